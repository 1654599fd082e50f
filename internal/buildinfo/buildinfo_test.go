package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	t.Parallel()
	stamped := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/bloody-sweet/platform", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	devel := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/bloody-sweet/platform", Version: "(devel)"}}
	cases := []struct {
		name             string
		bi               *debug.BuildInfo
		ldVer, ldCommit  string
		wantVer, wantRev string
		wantModified     bool
		wantShort        string
	}{
		{"go build stamps version and commit", stamped, "", "", "v1.4.0", "0123456789abcdef0123456789abcdef01234567", true,
			"v1.4.0 (commit 0123456789ab-dirty, go1.26.8, "},
		{"stamped data wins over ldflags", stamped, "v9", "ffff", "v1.4.0", "0123456789abcdef0123456789abcdef01234567", true, ""},
		{"go run: ldflags fill the gaps", devel, "v1.5.0-rc1", "abc123", "v1.5.0-rc1", "abc123", false,
			"v1.5.0-rc1 (commit abc123, go1.26.8, "},
		{"nothing known", devel, "", "", "(devel)", "unknown", false, "(devel) (commit unknown, "},
		{"no build info at all", nil, "", "", "(devel)", "unknown", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := fromBuildInfo(tc.bi, tc.bi != nil, tc.ldVer, tc.ldCommit)
			if got.Version != tc.wantVer || got.Commit != tc.wantRev || got.Modified != tc.wantModified {
				t.Errorf("got %+v, want version %q commit %q modified %v", got, tc.wantVer, tc.wantRev, tc.wantModified)
			}
			if !strings.HasPrefix(got.Short(), tc.wantShort) {
				t.Errorf("Short() = %q, want prefix %q", got.Short(), tc.wantShort)
			}
		})
	}
}
