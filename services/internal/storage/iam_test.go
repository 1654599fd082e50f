package storage_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/services/internal/storage"
)

// TestPasswordFuncRefusesPlainText: a token is a bearer credential, so a URL
// that does not insist on TLS is a configuration error before any dial.
func TestPasswordFuncRefusesPlainText(t *testing.T) {
	t.Parallel()
	src := func(context.Context, string, uint16, string) (string, error) {
		t.Error("the token source was called for a URL without TLS")
		return "", nil
	}
	for url, want := range map[string]string{
		"postgres://u@127.0.0.1:1/db":                 "add sslmode=require",
		"postgres://u@127.0.0.1:1/db?sslmode=prefer":  "sslmode=prefer allows plain text",
		"postgres://u@127.0.0.1:1/db?sslmode=disable": "sslmode=disable allows plain text",
		"sqlite:///tmp/x.db":                          "need a postgres:// database URL",
	} {
		_, err := storage.Open(context.Background(), url, "iam", storage.Options{Password: src})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want an error with %q", url, err, want)
		}
	}
}

// TestPendingReadsWithoutWriting: Pending lists every migration on a fresh
// database without creating anything, and none once Migrate ran.
func TestPendingReadsWithoutWriting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := storage.Open(ctx, "", "probe")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	migs := fstest.MapFS{"001_a.sql": {Data: []byte("CREATE TABLE {p}a (id INT)")}, "002_b.sql": {Data: []byte("CREATE TABLE {p}b (id INT)")}}
	for i, want := range [][]string{{"000_outbox_inbox.sql", "001_a.sql", "002_b.sql"}, {"000_outbox_inbox.sql", "001_a.sql", "002_b.sql"}} {
		got, err := db.Pending(ctx, migs)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("pending #%d (-want +got):\n%s", i, d)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&n); err != nil || n != 0 {
		t.Errorf("tables after Pending: %d, %v; want none", n, err)
	}
	if err := db.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Pending(ctx, migs); err != nil || len(got) != 0 {
		t.Errorf("pending after Migrate: %v, %v; want none", got, err)
	}
}
