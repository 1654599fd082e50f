// Package redisauth signs ElastiCache IAM authentication tokens, so the
// services connect to Redis as an IAM-enabled ElastiCache user with their
// pod's IRSA role: no Redis password exists anywhere.
//
// A token is a SigV4-presigned "connect" request for the replication group
// and user, valid 15 minutes; it is the AUTH password of a new connection
// (open connections stay authenticated; ElastiCache closes them after 12 h
// and the client reconnects with a fresh token).
package redisauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// tokenTTL is the longest validity ElastiCache accepts.
const tokenTTL = 15 * time.Minute

var emptyPayload = func() string { h := sha256.Sum256(nil); return hex.EncodeToString(h[:]) }()

// Signer makes tokens for one replication group and user.
type Signer struct {
	Cache  string // replication group id (lower case)
	User   string // the ElastiCache user; its id and name are the same
	Region string
	Creds  aws.CredentialsProvider
	Now    func() time.Time // nil: time.Now
}

// Token returns a fresh IAM auth token.
func (s Signer) Token(ctx context.Context) (string, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	q := url.Values{"Action": {"connect"}, "User": {s.User}, "X-Amz-Expires": {fmt.Sprint(int(tokenTTL.Seconds()))}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.Cache+"/?"+q.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("redisauth: %w", err)
	}
	creds, err := s.Creds.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("redisauth: AWS credentials: %w", err)
	}
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, emptyPayload, "elasticache", s.Region, now().UTC())
	if err != nil {
		return "", fmt.Errorf("redisauth: sign: %w", err)
	}
	return strings.TrimPrefix(signed, "http://"), nil
}

// Credentials is a go-redis CredentialsProviderContext: the user and a
// fresh token for every new connection.
func (s Signer) Credentials(ctx context.Context) (string, string, error) {
	tok, err := s.Token(ctx)
	return s.User, tok, err
}
