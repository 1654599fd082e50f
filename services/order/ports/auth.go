package ports

import (
	"errors"
	"strings"

	"github.com/bloody-sweet/platform/services/internal/admission"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/config"
)

// RefusalsMetric counts requests refused before the handler ran.
const RefusalsMetric = "order_auth_refusals_total"

// AdmissionMetrics are the admission gate's metrics (catalogued in
// policies/data/metric_catalog.json; the AdmissionShedding alert reads
// the counter).
var AdmissionMetrics = admission.Metrics{
	Shed:     "order_admission_shed_total",
	InFlight: "order_admission_in_flight",
	Bound:    "order_admission_bound",
}

// AuthConfig is how the order API verifies tokens (AUTH_*, as the
// notification service).
type AuthConfig struct {
	auth.Config
	StoreReadScope string
}

// Validate checks the settings, naming the variable at fault.
func (c AuthConfig) Validate() error {
	errs := []error{c.Config.Validate()}
	if c.Enabled() && strings.TrimSpace(c.StoreReadScope) == "" {
		errs = append(errs, errors.New("config: AUTH_STORE_READ_SCOPE is empty"))
	}
	return errors.Join(errs...)
}

// BindAuth registers the AUTH_* flags.
func BindAuth(b *config.Binder, c *AuthConfig) {
	auth.Bind(b, &c.Config)
	b.String(&c.StoreReadScope, "auth-store-read-scope", "AUTH_STORE_READ_SCOPE", DefaultStoreReadScope, "scope that lists a store's orders (GET /v1/orders?store=) and reads any order")
	b.AfterParse(func() error {
		c.StoreReadScope = strings.TrimSpace(c.StoreReadScope)
		if c.Enabled() && c.StoreReadScope == "" {
			return errors.New("config: AUTH_STORE_READ_SCOPE is empty")
		}
		return nil
	})
}
