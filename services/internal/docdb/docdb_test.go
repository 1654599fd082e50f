package docdb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bloody-sweet/platform/services/internal/config"
)

func TestValidateNamesTheSettingAndHidesThePassword(t *testing.T) {
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{}, "MONGODB_URL is not set"},
		{Config{URL: "postgres://u:hunter2@h/db"}, "MONGODB_URL"},
		{Config{URL: config.Embedded, CAFile: "/ca.pem"}, "MONGODB_CA_FILE"},
	} {
		err := tc.c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%+v: %v", tc.c, err)
		}
	}
	for _, ok := range []string{config.Embedded, "mongodb://u:p@docdb.example:27017/catalog?tls=true&replicaSet=rs0"} {
		if err := (Config{URL: ok}).Validate(); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// A CA bundle that is missing or holds no certificate fails the start,
// before any connection: TLS must not quietly fall back to the system pool.
func TestCABundleMustHoldACertificate(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{filepath.Join(dir, "missing.pem"): "no such file", empty: "no PEM certificate"} {
		_, err := Open(context.Background(), Config{URL: "mongodb://127.0.0.1:1/catalog", CAFile: file}, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", file, err, want)
		}
	}
}

// The driver's errors quote the URI; the password never reaches them.
func TestOpenErrorsHideThePassword(t *testing.T) {
	_, err := Open(context.Background(), Config{URL: "mongodb://u:hunter2@127.0.0.1:1/catalog?connectTimeoutMS=hunter2"}, nil)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("got %v", err)
	}
}
