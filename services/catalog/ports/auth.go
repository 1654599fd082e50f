package ports

import (
	"errors"
	"strings"

	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/config"
)

// AuthConfig is how the catalog API verifies tokens (AUTH_*, as the other
// APIs) and which scope edits the catalog.
type AuthConfig struct {
	auth.Config
	OperatorScope string
}

// BindAuth registers the AUTH_* flags.
func BindAuth(b *config.Binder, c *AuthConfig) {
	auth.Bind(b, &c.Config)
	b.String(&c.OperatorScope, "auth-operator-scope", "AUTH_OPERATOR_SCOPE", DefaultOperatorScope, "scope that edits restaurants and menus (PUT /v1/restaurants/...)")
	b.AfterParse(func() error {
		c.OperatorScope = strings.TrimSpace(c.OperatorScope)
		if c.OperatorScope == "" {
			return errors.New("config: AUTH_OPERATOR_SCOPE is empty")
		}
		return nil
	})
}
