// Package buildinfo says which build of the platform is running: the module
// version and the VCS commit the go command stamped into the binary
// (runtime/debug.ReadBuildInfo). `go run` and `go test` stamp no VCS data, so
// the Makefile passes the commit with -ldflags -X; a stamped value wins over
// an ldflags one only when the latter is empty.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set with -ldflags "-X github.com/bloody-sweet/platform/internal/buildinfo.commit=...".
var (
	version string
	commit  string
)

// Info is what `platform version` prints.
type Info struct {
	Version   string `json:"version"`              // module version, "(devel)" for a work tree build
	Commit    string `json:"commit"`               // full VCS revision, "unknown" without one
	Time      string `json:"commitTime,omitempty"` // RFC 3339 commit time, when stamped
	Modified  bool   `json:"modified"`             // the work tree had uncommitted changes
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"` // GOOS/GOARCH
}

// Read returns the running binary's build information.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	return fromBuildInfo(bi, ok, version, commit)
}

func fromBuildInfo(bi *debug.BuildInfo, ok bool, ldVersion, ldCommit string) Info {
	info := Info{Version: "(devel)", Commit: "unknown", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if ok && bi != nil {
		if bi.Main.Version != "" {
			info.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.time":
				info.Time = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if ldVersion != "" && (info.Version == "(devel)" || info.Version == "") {
		info.Version = ldVersion
	}
	if ldCommit != "" && info.Commit == "unknown" {
		info.Commit = ldCommit
	}
	return info
}

// Short is the one-line form `platform --version` prints.
func (i Info) Short() string {
	c := i.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	if i.Modified {
		c += "-dirty"
	}
	return fmt.Sprintf("%s (commit %s, %s, %s)", i.Version, c, i.GoVersion, i.Platform)
}
