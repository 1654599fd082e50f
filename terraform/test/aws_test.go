//go:build aws

package test

// Real-AWS apply/destroy tests, run by .github/workflows/nightly-infra.yml with AWS
// credentials and the real hashicorp/aws provider from the registry. They prove what
// the offline plans cannot: that AWS accepts the configuration, and that the values
// the modules build at plan time (repository URLs, role ARNs) are the real ones.

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/gruntwork-io/terratest/modules/terraform"
)

// realOptions runs against the registry provider: no CLI config override.
func realOptions(t *testing.T, dir string, vars map[string]any) *terraform.Options {
	t.Helper()
	if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		t.Fatal("AWS_REGION is not set: these tests need AWS credentials (see nightly-infra.yml)")
	}
	return terraform.WithDefaultRetryableErrors(t, &terraform.Options{
		TerraformBinary: tfBinary,
		TerraformDir:    dir,
		Vars:            vars,
		NoColor:         true,
		EnvVars:         map[string]string{"TF_CLI_CONFIG_FILE": filepath.Join(t.TempDir(), "none.tfrc")},
	})
}

func TestAWSVPCApplyDestroy(t *testing.T) {
	suffix := strings.ToLower(random.UniqueId())
	opts := realOptions(t, filepath.Join(workDir, "modules", "vpc"), map[string]any{
		"name": "bs-nightly-" + suffix,
		"cidr": "10.250.0.0/16",
		"azs":  []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"},
		"tags": map[string]any{"environment": "dev", "owner": "platform", "cost-center": "cc-4200"},
	})
	defer terraform.Destroy(t, opts)
	terraform.InitAndApply(t, opts)

	if got := terraform.OutputList(t, opts, "private_subnet_ids"); len(got) != 3 {
		t.Errorf("private subnets = %v, want 3", got)
	}
	if got := terraform.Output(t, opts, "nat_gateway_count"); got != "1" {
		t.Errorf("nat_gateway_count = %s, want 1", got)
	}
}

func TestAWSECRRepositoryURLsAreTheRealOnes(t *testing.T) {
	suffix := strings.ToLower(random.UniqueId())
	account := os.Getenv("AWS_ACCOUNT_ID")
	if account == "" {
		t.Fatal("AWS_ACCOUNT_ID is not set")
	}
	svc := "nightly-" + suffix
	opts := realOptions(t, filepath.Join(workDir, "modules", "ecr"), map[string]any{
		"services":   []string{svc},
		"account_id": account,
		"region":     "eu-west-1",
		"tags":       map[string]any{"environment": "dev", "owner": "platform", "cost-center": "cc-4200"},
	})
	defer terraform.Destroy(t, opts)
	terraform.InitAndApply(t, opts)

	built := terraform.OutputMap(t, opts, "repository_urls")[svc]
	var state struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Type   string         `json:"type"`
					Values map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	out := terraform.RunTerraformCommandAndGetStdout(t, opts, "show", "-json")
	if err := json.Unmarshal([]byte(out), &state); err != nil {
		t.Fatalf("parse state: %v", err)
	}
	found := false
	for _, r := range state.Values.RootModule.Resources {
		if r.Type == "aws_ecr_repository" {
			found = true
			if r.Values["repository_url"] != built {
				t.Errorf("built URL %s, AWS says %v", built, r.Values["repository_url"])
			}
		}
	}
	if !found {
		t.Fatal("no aws_ecr_repository in the state")
	}
}

// TestAWSIdentityIssuerIsTheRealOne applies modules/identity and fetches the pool's
// OpenID configuration: the issuer and JWKS the module outputs (and the edge
// authorizer is configured with) must be the ones Cognito publishes. Threat
// protection OFF keeps the pool on the ESSENTIALS plan.
func TestAWSIdentityIssuerIsTheRealOne(t *testing.T) {
	suffix := strings.ToLower(random.UniqueId())
	opts := realOptions(t, filepath.Join(workDir, "modules", "identity"), map[string]any{
		"name":                  "bs-nightly-" + suffix,
		"environment":           "dev",
		"domain_prefix":         "bs-nightly-" + suffix,
		"callback_urls":         []string{"bloodysweet://auth/callback"},
		"scopes":                map[string]any{"stream.all": "nightly test scope"},
		"machine_client_scopes": []string{"stream.all"},
		"threat_protection":     "OFF",
		"tags":                  map[string]any{"environment": "dev", "owner": "platform", "cost-center": "cc-4200"},
	})
	defer terraform.Destroy(t, opts)
	terraform.InitAndApply(t, opts)

	issuer := terraform.Output(t, opts, "issuer_url")
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("fetch the discovery document of %s: %v", issuer, err)
	}
	defer resp.Body.Close()
	var discovery struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&discovery); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery document of %s: status %d, %v", issuer, resp.StatusCode, err)
	}
	if discovery.Issuer != issuer {
		t.Errorf("module issuer_url %s, Cognito's issuer %s", issuer, discovery.Issuer)
	}
	if jwks := terraform.Output(t, opts, "jwks_url"); discovery.JWKSURI != jwks {
		t.Errorf("module jwks_url %s, Cognito's jwks_uri %s", jwks, discovery.JWKSURI)
	}
}
