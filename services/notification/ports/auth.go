package ports

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/config"
)

// The stream endpoints are reached from CloudFront straight through the
// internal ALB (API Gateway buffers responses and cuts them at 30 s, so SSE
// cannot go through it, nor through its edge Lambda authorizer). The service
// therefore verifies the bearer JWT itself (services/internal/auth, the
// authorizer's own verifier), and a per-order stream is served only to the
// order's customer: the status events carry the customer (data.customer_id),
// the store keeps it per order, and someone else's order is 404.

// DefaultStreamAllScope is the scope GET /v1/stream needs (the edge
// authorizer's route scope; the Cognito machine client holds it).
const DefaultStreamAllScope = "orders/stream.all"

// RefusalsMetric counts stream requests refused before the stream started.
const RefusalsMetric = "notification_stream_auth_refusals_total"

// AuthConfig is how the stream endpoints verify tokens (docs/CONTRACTS.md,
// "Service runtime": AUTH_*).
type AuthConfig struct {
	auth.Config
	StreamAllScope string
}

// Validate checks the settings, naming the variable at fault.
func (c AuthConfig) Validate() error {
	errs := []error{c.Config.Validate()}
	if c.Enabled() && strings.TrimSpace(c.StreamAllScope) == "" {
		errs = append(errs, errors.New("config: AUTH_STREAM_ALL_SCOPE is empty"))
	}
	return errors.Join(errs...)
}

// BindAuth registers the AUTH_* flags.
func BindAuth(b *config.Binder, c *AuthConfig) {
	auth.Bind(b, &c.Config)
	b.String(&c.StreamAllScope, "auth-stream-all-scope", "AUTH_STREAM_ALL_SCOPE", DefaultStreamAllScope, "scope GET /v1/stream needs")
	b.AfterParse(func() error {
		c.StreamAllScope = strings.TrimSpace(c.StreamAllScope)
		if c.Enabled() && c.StreamAllScope == "" {
			return fmt.Errorf("config: AUTH_STREAM_ALL_SCOPE is empty")
		}
		return nil
	})
}
