package redisauth

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/redis/go-redis/v9"
)

var at = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func signer() Signer {
	return Signer{
		Cache: "bloody-sweet-prod", User: "bloody-sweet-prod-orders", Region: "eu-west-1",
		Creds: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "session-token"),
		Now:   func() time.Time { return at },
	}
}

// TestTokenIsAPresignedConnect checks the parts ElastiCache verifies: the
// cache as host, the connect action for the user, SigV4 for the
// elasticache service in the region, 15 minutes, the session token, and
// no scheme.
func TestTokenIsAPresignedConnect(t *testing.T) {
	tok, err := signer().Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	host, rawQuery, ok := strings.Cut(tok, "/?")
	if !ok || host != "bloody-sweet-prod" {
		t.Fatalf("token %q: want bloody-sweet-prod/?...", tok)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"Action":               "connect",
		"User":                 "bloody-sweet-prod-orders",
		"X-Amz-Algorithm":      "AWS4-HMAC-SHA256",
		"X-Amz-Credential":     "AKIDEXAMPLE/20261125/eu-west-1/elasticache/aws4_request",
		"X-Amz-Date":           "20261125T100000Z",
		"X-Amz-Expires":        "900",
		"X-Amz-SignedHeaders":  "host",
		"X-Amz-Security-Token": "session-token",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if len(q.Get("X-Amz-Signature")) != 64 {
		t.Errorf("X-Amz-Signature = %q, want 64 hex digits", q.Get("X-Amz-Signature"))
	}
	// A different user or a later time is a different signature.
	other := signer()
	other.User = "someone-else"
	if tok2, _ := other.Token(context.Background()); tok2 == tok {
		t.Error("token does not depend on the user")
	}
}

// TestRedisClientAuthenticatesWithToken: a go-redis client given
// Credentials sends AUTH <user> <token> on connect; a server that expects
// exactly that token accepts it, and one expecting another refuses.
func TestRedisClientAuthenticatesWithToken(t *testing.T) {
	s := signer()
	tok, err := s.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mr := miniredis.RunT(t)
	mr.RequireUserAuth(s.User, tok)
	c := redis.NewClient(&redis.Options{Addr: mr.Addr(), CredentialsProviderContext: s.Credentials})
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ping with an IAM token: %v", err)
	}

	later := signer()
	later.Now = func() time.Time { return at.Add(time.Minute) }
	c2 := redis.NewClient(&redis.Options{Addr: mr.Addr(), CredentialsProviderContext: later.Credentials})
	defer c2.Close()
	if err := c2.Ping(context.Background()).Err(); err == nil {
		t.Fatal("a token signed at another time was accepted: the test server does not check it")
	}
}
