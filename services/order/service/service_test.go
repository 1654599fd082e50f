package service

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/svc"
	"github.com/bloody-sweet/platform/services/order/ports"
)

// TestAuthConfig: the order service refuses to start with AUTH_REQUIRED and
// no issuer (clusters set it), and reads its store-read scope flag.
func TestAuthConfig(t *testing.T) {
	t.Parallel()
	var ac ports.AuthConfig
	if _, err := config.Parse("order", []string{"-auth-required"}, func(b *config.Binder) { ports.BindAuth(b, &ac) }); err == nil ||
		!strings.Contains(err.Error(), "AUTH_ISSUER is not set") {
		t.Errorf("config.Parse = %v, want the AUTH_REQUIRED error", err)
	}
	cfg := config.Common{ServiceName: "order", HTTPAddr: "127.0.0.1:0", LogLevel: "error", KafkaBrokers: []string{config.Embedded}, DatabaseURL: config.Embedded}
	s, err := svc.Start(context.Background(), cfg, Spec(&ports.AuthConfig{Config: auth.Config{Required: true}}, nil), svc.Options{LogWriter: io.Discard})
	if err == nil {
		_ = s.Close(context.Background(), 0)
		t.Fatal("the order service started with AUTH_REQUIRED and no issuer")
	}
	if !strings.Contains(err.Error(), "AUTH_ISSUER") {
		t.Errorf("start error %q does not name AUTH_ISSUER", err)
	}
	ac = ports.AuthConfig{}
	if _, err := config.Parse("order", []string{"-auth-issuer", "https://idp.example.com", "-auth-audiences", "a", "-auth-store-read-scope", " "},
		func(b *config.Binder) { ports.BindAuth(b, &ac) }); err == nil || !strings.Contains(err.Error(), "AUTH_STORE_READ_SCOPE") {
		t.Errorf("empty store scope: %v", err)
	}
	ac = ports.AuthConfig{}
	if _, err := config.Parse("order", nil, func(b *config.Binder) { ports.BindAuth(b, &ac) }); err != nil || ac.StoreReadScope != ports.DefaultStoreReadScope {
		t.Errorf("defaults: %+v, %v", ac, err)
	}
}
