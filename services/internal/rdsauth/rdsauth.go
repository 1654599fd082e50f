// Package rdsauth signs RDS IAM authentication tokens, so the services log
// in to Postgres as their own database user (<service>_svc, granted
// rds_iam) with their pod's IRSA role: no database password exists for them.
//
// A token is a SigV4-presigned "connect" request for host:port and user,
// valid 15 minutes; it is the password of a new connection only (open
// connections stay authenticated), so storage asks for one per connection.
package rdsauth

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
)

// Signer makes tokens in one region with one set of credentials.
type Signer struct {
	Region string
	Creds  aws.CredentialsProvider
}

// Password returns a fresh token for user at host:port; it has the shape of
// storage.PasswordFunc.
func (s Signer) Password(ctx context.Context, host string, port uint16, user string) (string, error) {
	if s.Region == "" {
		return "", fmt.Errorf("rdsauth: no AWS region (set AWS_REGION)")
	}
	if user == "" {
		return "", fmt.Errorf("rdsauth: the database URL names no user")
	}
	endpoint := net.JoinHostPort(host, strconv.Itoa(int(port)))
	tok, err := auth.BuildAuthToken(ctx, endpoint, s.Region, user, s.Creds)
	if err != nil {
		return "", fmt.Errorf("rdsauth: token for %s@%s: %w", user, endpoint, err)
	}
	return tok, nil
}
