package awsprovider

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func readLB(t *testing.T, fixture string) (*tfprotov6.ReadDataSourceResponse, tftypes.Type) {
	t.Helper()
	s := schemas(t)
	if fixture != "" {
		path := filepath.Join(t.TempDir(), "fixtures.json")
		if err := os.WriteFile(path, []byte(fixture), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv(DataFixturesEnv, path)
	} else {
		t.Setenv(DataFixturesEnv, "")
	}
	typ := s.DataSources["aws_lb"].Block.ValueType()
	cfg := object(typ, map[string]tftypes.Value{"tags": strMap(map[string]string{"ingress.k8s.aws/stack": "bloody-sweet-dev"})})
	resp, err := New(s).ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{TypeName: "aws_lb", Config: dynamic(t, typ, cfg)})
	if err != nil {
		t.Fatal(err)
	}
	return resp, typ
}

func TestDataSourceFixtureAnswersComputedAttributes(t *testing.T) {
	resp, typ := readLB(t, `{"aws_lb": {"arn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/k8s-x/1", "internal": true, "security_groups": ["sg-1"]}}`)
	if len(resp.Diagnostics) > 0 {
		t.Fatalf("diagnostics: %v", resp.Diagnostics[0].Detail)
	}
	v, err := resp.State.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		t.Fatal(err)
	}
	var arn string
	var internal bool
	if err := attrs["arn"].As(&arn); err != nil || arn != "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/k8s-x/1" {
		t.Errorf("arn = %q (%v), want the fixture's", arn, err)
	}
	if err := attrs["internal"].As(&internal); err != nil || !internal {
		t.Errorf("internal = %v (%v), want true", internal, err)
	}
	var tags map[string]tftypes.Value
	if err := attrs["tags"].As(&tags); err != nil || len(tags) != 1 {
		t.Errorf("the configuration's tags were not kept: %v", attrs["tags"])
	}
	if !attrs["dns_name"].IsNull() {
		t.Errorf("dns_name = %v, want null (not in the fixture)", attrs["dns_name"])
	}
}

func TestDataSourceWithoutFixtureAnswersNull(t *testing.T) {
	resp, typ := readLB(t, "")
	v, err := resp.State.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		t.Fatal(err)
	}
	if !attrs["arn"].IsNull() || !attrs["internal"].IsNull() {
		t.Errorf("without a fixture arn and internal must be null, got %v %v", attrs["arn"], attrs["internal"])
	}
}

func TestDataSourceFixtureRejectsWhatItCannotMean(t *testing.T) {
	for name, fixture := range map[string]string{
		"unknown attribute":    `{"aws_lb": {"interal": true}}`,
		"configured attribute": `{"aws_lb": {"tags": {"a": "b"}}}`,
		"wrong type":           `{"aws_lb": {"internal": "yes"}}`,
		"not JSON":             `{"aws_lb": `,
	} {
		t.Run(name, func(t *testing.T) {
			resp, _ := readLB(t, fixture)
			if len(resp.Diagnostics) == 0 || !strings.Contains(resp.Diagnostics[0].Summary, "fixture") {
				t.Errorf("fixture %s was accepted: %+v", fixture, resp.Diagnostics)
			}
		})
	}
}

// The origin-verify secret has a built-in answer (the platform stage cannot plan
// without one); a fixture file replaces it.
func TestBuiltinFixtureOfTheOriginVerifySecret(t *testing.T) {
	s := schemas(t)
	typ := s.DataSources["aws_secretsmanager_secret_version"].Block.ValueType()
	read := func() string {
		t.Helper()
		cfg := object(typ, map[string]tftypes.Value{"secret_id": tftypes.NewValue(tftypes.String, "bloody-sweet/dev/edge/origin-verify")})
		resp, err := New(s).ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{TypeName: "aws_secretsmanager_secret_version", Config: dynamic(t, typ, cfg)})
		if err != nil || len(resp.Diagnostics) > 0 {
			t.Fatalf("read: %v %+v", err, resp.Diagnostics)
		}
		v, err := resp.State.Unmarshal(typ)
		if err != nil {
			t.Fatal(err)
		}
		var attrs map[string]tftypes.Value
		if err := v.As(&attrs); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := attrs["secret_string"].As(&got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	t.Setenv(DataFixturesEnv, "")
	if got := read(); got != OriginVerifySecret {
		t.Errorf("secret_string = %q, want the built-in %q", got, OriginVerifySecret)
	}
	path := filepath.Join(t.TempDir(), "fixtures.json")
	if err := os.WriteFile(path, []byte(`{"aws_secretsmanager_secret_version": {"secret_string": "from-the-file"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(DataFixturesEnv, path)
	if got := read(); got != "from-the-file" {
		t.Errorf("secret_string = %q, want the file's", got)
	}
}
