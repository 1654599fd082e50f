package edgeauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// SecretsAPI is the part of the Secrets Manager client the authorizer uses.
type SecretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// MinSecretLength is the shortest origin-verify value accepted: the bootstrap step
// generates 48 random characters; anything much shorter is guessable or a mistake.
const MinSecretLength = 32

var errTooShort = errors.New("origin-verify value too short")

// OriginSecrets holds the values of the origin-verify secret that CloudFront may be
// sending: AWSCURRENT and, during a rotation, AWSPREVIOUS. They are cached for TTL so
// a rotation in Secrets Manager takes effect without a redeploy and without a
// Secrets Manager call per request.
type OriginSecrets struct {
	API      SecretsAPI
	SecretID string
	TTL      time.Duration
	Retry    time.Duration // after a failed refresh, when to try again
	Now      func() time.Time

	mu      sync.Mutex
	values  [][]byte
	expires time.Time
}

// NewOriginSecrets returns OriginSecrets with the Lambda's defaults.
func NewOriginSecrets(api SecretsAPI, secretID string, ttl time.Duration) *OriginSecrets {
	return &OriginSecrets{API: api, SecretID: secretID, TTL: ttl, Retry: 10 * time.Second, Now: time.Now}
}

// Match reports whether header is one of the current values (compared in constant
// time). It errs only when no value could ever be loaded.
func (o *OriginSecrets) Match(ctx context.Context, header string) (bool, error) {
	values, err := o.current(ctx)
	if err != nil {
		return false, err
	}
	ok := false
	for _, v := range values {
		// Every value is compared, so timing says nothing about which one matched.
		if subtle.ConstantTimeCompare([]byte(header), v) == 1 {
			ok = true
		}
	}
	return ok && header != "", nil
}

func (o *OriginSecrets) current(ctx context.Context) ([][]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.Now()
	if o.values != nil && now.Before(o.expires) {
		return o.values, nil
	}
	values, err := o.load(ctx)
	if err != nil {
		if o.values == nil {
			return nil, err
		}
		// Secrets Manager briefly unreachable: keep the values we have rather than
		// refuse everyone; a rotation is delayed by as much.
		o.expires = now.Add(o.Retry)
		return o.values, nil
	}
	o.values, o.expires = values, now.Add(o.TTL)
	return values, nil
}

func (o *OriginSecrets) load(ctx context.Context) ([][]byte, error) {
	cur, err := o.stage(ctx, "AWSCURRENT")
	if err != nil {
		return nil, err
	}
	values := [][]byte{cur}
	prev, err := o.stage(ctx, "AWSPREVIOUS")
	var notFound *smtypes.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		// Never rotated: there is no previous version.
	case errors.Is(err, errTooShort):
		// A bad value put in by mistake and since replaced: CloudFront cannot be
		// sending it (the platform stage refuses it), so it is simply not accepted.
	case err != nil:
		return nil, err
	default:
		values = append(values, prev)
	}
	return values, nil
}

func (o *OriginSecrets) stage(ctx context.Context, stage string) ([]byte, error) {
	out, err := o.API.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(o.SecretID), VersionStage: aws.String(stage)})
	if err != nil {
		return nil, fmt.Errorf("read %s of secret %s: %w", stage, o.SecretID, err)
	}
	v := aws.ToString(out.SecretString)
	if len(v) < MinSecretLength {
		return nil, fmt.Errorf("%s of secret %s is %d characters, want at least %d: %w", stage, o.SecretID, len(v), MinSecretLength, errTooShort)
	}
	return []byte(v), nil
}
