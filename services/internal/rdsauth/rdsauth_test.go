package rdsauth

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

var static = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "session"}, nil
})

// TestTokenIsAPresignedConnectForTheUser: the token is what RDS checks, a
// SigV4 presigned rds-db connect for host:port and the user, in the region.
func TestTokenIsAPresignedConnectForTheUser(t *testing.T) {
	t.Parallel()
	tok, err := Signer{Region: "eu-west-1", Creds: static}.Password(context.Background(), "db.example.internal", 5432, "order_svc")
	if err != nil {
		t.Fatal(err)
	}
	host, rawQuery, ok := strings.Cut(tok, "?")
	if !ok || host != "db.example.internal:5432" {
		t.Fatalf("token %q: want db.example.internal:5432?<query>", tok)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"Action":               "connect",
		"DBUser":               "order_svc",
		"X-Amz-Algorithm":      "AWS4-HMAC-SHA256",
		"X-Amz-Expires":        "900",
		"X-Amz-Security-Token": "session",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if c := q.Get("X-Amz-Credential"); !strings.HasPrefix(c, "AKIDEXAMPLE/") || !strings.HasSuffix(c, "/eu-west-1/rds-db/aws4_request") {
		t.Errorf("X-Amz-Credential = %q, want AKIDEXAMPLE/<date>/eu-west-1/rds-db/aws4_request", c)
	}
	if q.Get("X-Amz-Signature") == "" {
		t.Error("token is not signed")
	}
}

func TestSignerNeedsRegionAndUser(t *testing.T) {
	t.Parallel()
	if _, err := (Signer{Creds: static}).Password(context.Background(), "h", 5432, "u"); err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("no region: %v, want an error naming AWS_REGION", err)
	}
	if _, err := (Signer{Region: "eu-west-1", Creds: static}).Password(context.Background(), "h", 5432, ""); err == nil || !strings.Contains(err.Error(), "no user") {
		t.Errorf("no user: %v, want an error", err)
	}
}
