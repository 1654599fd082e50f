//go:build integration

package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/tests/testenv"
)

// TestPasswordFuncSignsEveryNewConnection: with Options.Password every new
// connection asks the token source for host, port and the URL's user, and
// logs in with what it returns; a real Postgres that takes that role over
// TLS with its password only accepts the good token and refuses a wrong one.
func TestPasswordFuncSignsEveryNewConnection(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateDatabase(t, "iam")
	testenv.RequireTLSPasswords(t, pg, "iam_user")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := sql.Open("pgx", pg.URL("iam"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE ROLE iam_user LOGIN PASSWORD 'token-good'"); err != nil {
		t.Fatal(err)
	}

	type call struct {
		Host string
		Port uint16
		User string
	}
	var (
		mu    sync.Mutex
		calls []call
		token = "token-good"
	)
	src := func(_ context.Context, host string, port uint16, user string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{host, port, user})
		return token, nil
	}
	url := fmt.Sprintf("postgres://iam_user@127.0.0.1:%d/iam?sslmode=require", pg.Port)
	db, err := storage.Open(ctx, url, "iam", storage.Options{Password: src})
	if err != nil {
		t.Fatalf("open with the good token: %v", err)
	}
	defer db.Close()
	// Hold three connections at once: the pool opens new ones for them.
	var conns []*sql.Conn
	for range 3 {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var user string
		var ssl bool
		if err := c.QueryRowContext(ctx, "SELECT current_user, (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())").Scan(&user, &ssl); err != nil {
			t.Fatal(err)
		}
		if user != "iam_user" || !ssl {
			t.Errorf("session user %q ssl %v, want iam_user over TLS", user, ssl)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	mu.Lock()
	got := append([]call(nil), calls...)
	token = "token-expired"
	mu.Unlock()
	want := []call{{"127.0.0.1", uint16(pg.Port), "iam_user"}, {"127.0.0.1", uint16(pg.Port), "iam_user"}, {"127.0.0.1", uint16(pg.Port), "iam_user"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("token source calls, one per new connection (-want +got):\n%s", d)
	}

	// A new connection with a token the server does not take fails: the
	// token really is the password (the server is not trusting anyone).
	db.SetMaxIdleConns(0)
	c, err := db.Conn(ctx)
	if err == nil {
		err = c.PingContext(ctx)
		c.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "password authentication failed") {
		t.Errorf("connection with a wrong token: %v, want password authentication failed", err)
	}
}
