// RequireTLSPasswords turns a throwaway Postgres (StartPostgres) into what
// RDS IAM auth looks like to a client: TLS on, and the named roles allowed
// to log in over TLS with their password only (scram-sha-256), never in
// clear text. The test gives a role the password its stubbed token source
// returns, so "the token is the password" is checked by a real server.

package testenv

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver
)

// RequireTLSPasswords enables TLS on pg and makes roles authenticate with
// scram-sha-256 over TLS (plain-text connections of those roles are
// rejected); other users keep StartPostgres' trust. It returns once a new
// connection sees the change.
func RequireTLSPasswords(t testing.TB, pg *Postgres, roles ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var dataDir, hbaFile string
	if err := admin.QueryRowContext(ctx, "SHOW data_directory").Scan(&dataDir); err != nil {
		t.Fatal(err)
	}
	if err := admin.QueryRowContext(ctx, "SHOW hba_file").Scan(&hbaFile); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	uid, gid := int(st.Sys().(*syscall.Stat_t).Uid), int(st.Sys().(*syscall.Stat_t).Gid)
	certPEM, keyPEM := selfSigned(t)
	for name, b := range map[string][]byte{"server.crt": certPEM, "server.key": keyPEM} {
		p := filepath.Join(dataDir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		// postgres refuses a key file it does not own or others can read.
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	hba, err := os.ReadFile(hbaFile)
	if err != nil {
		t.Fatal(err)
	}
	var rules strings.Builder
	for _, r := range roles {
		fmt.Fprintf(&rules, "hostssl all %s 127.0.0.1/32 scram-sha-256\nhost all %s 127.0.0.1/32 reject\n", r, r)
	}
	// pg_hba.conf is read top down, first match wins: ours go first.
	if err := os.WriteFile(hbaFile, append([]byte(rules.String()), hba...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(ctx, "ALTER SYSTEM SET ssl = on"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(ctx, "SELECT pg_reload_conf()"); err != nil {
		t.Fatal(err)
	}
	// The postmaster reloads asynchronously: wait until a new session runs
	// with TLS on and the new rules loaded.
	for {
		var ssl string
		var n int
		err := admin.QueryRowContext(ctx, "SELECT current_setting('ssl')").Scan(&ssl)
		if err == nil {
			err = admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'reject'").Scan(&n)
		}
		if err == nil && ssl == "on" && n >= len(roles) && reloaded(ctx, pg) {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("postgres did not turn TLS on: ssl=%q err=%v", ssl, err)
		}
		admin.SetMaxIdleConns(0) // next query on a new session
		time.Sleep(50 * time.Millisecond)
	}
}

// reloaded reports whether a new TLS connection is served.
func reloaded(ctx context.Context, pg *Postgres) bool {
	db, err := sql.Open("pgx", strings.Replace(pg.URL("postgres"), "sslmode=disable", "sslmode=require", 1))
	if err != nil {
		return false
	}
	defer db.Close()
	var on bool
	return db.QueryRowContext(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&on) == nil && on
}

// selfSigned is a certificate for 127.0.0.1 (sslmode=require does not
// verify it; that is what require means).
func selfSigned(t testing.TB) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}
