package storage_test

import (
	"context"
	"strings"
	"testing"

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
