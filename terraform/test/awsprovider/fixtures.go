package awsprovider

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// DataFixturesEnv names a JSON file of data source answers for offline plans, by
// type and then attribute: {"aws_lb": {"arn": "...", "internal": true}}. Offline, a
// data source otherwise answers null for everything AWS would tell (so a plan can
// show only that the lookup is configured); with a fixture, a test can plan the code
// that depends on the answer, postconditions included, as if AWS held that object.
// A few types have a built-in answer (builtinFixtures) that the file can replace.
// Only computed attributes the configuration left null are filled: a fixture never
// changes what the configuration asked for.
const DataFixturesEnv = "AWSPROVIDER_DATA_FIXTURES"

// OriginVerifySecret is the offline answer for the value of every
// aws_secretsmanager_secret_version: the origin-verify secret that the
// waf-cdn-acm-route53 module reads into CloudFront's X-Origin-Verify header, which
// the bootstrap step creates before any plan (terraform/README.md, "Edge"). Without an
// answer the platform stage cannot be planned offline at all (the module's
// postcondition requires a well-formed value, as it should with AWS).
const OriginVerifySecret = "OfflineOriginVerify0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHI"

// builtinFixtures answer, in every plan, the data sources whose null answer would
// stop the plan rather than show it; a fixture file's entry for the same type
// replaces the built-in one.
var builtinFixtures = map[string]map[string]json.RawMessage{
	"aws_secretsmanager_secret_version": {"secret_string": json.RawMessage(`"` + OriginVerifySecret + `"`)},
}

func loadDataFixtures() (map[string]map[string]json.RawMessage, error) {
	fx := map[string]map[string]json.RawMessage{}
	for typ, attrs := range builtinFixtures {
		fx[typ] = attrs
	}
	path := os.Getenv(DataFixturesEnv)
	if path == "" {
		return fx, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", DataFixturesEnv, err)
	}
	var file map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &file); err != nil {
		return nil, fmt.Errorf("%s %s: %w", DataFixturesEnv, path, err)
	}
	for typ, attrs := range file {
		fx[typ] = attrs
	}
	return fx, nil
}

// withFixture fills the null computed attributes of a data source's configuration
// from its fixture. An attribute the schema does not have, or one the configuration
// sets, is an error: the fixture would not say what the test thinks it says.
func withFixture(b *Block, typeName string, cfg tftypes.Value, fx map[string]json.RawMessage) (tftypes.Value, error) {
	if len(fx) == 0 {
		return cfg, nil
	}
	var attrs map[string]tftypes.Value
	if err := cfg.As(&attrs); err != nil {
		return cfg, fmt.Errorf("read configuration: %w", err)
	}
	names := make([]string, 0, len(fx))
	for n := range fx {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		a, ok := b.Attributes[name]
		if !ok || !a.Computed {
			return cfg, fmt.Errorf("fixture of %s: %q is not a computed attribute of its schema", typeName, name)
		}
		if cur := attrs[name]; cur.IsKnown() && !cur.IsNull() {
			return cfg, fmt.Errorf("fixture of %s: %q is set by the configuration", typeName, name)
		}
		v, err := (&tfprotov6.DynamicValue{JSON: fx[name]}).Unmarshal(attrs[name].Type())
		if err != nil {
			return cfg, fmt.Errorf("fixture of %s: %q: %w", typeName, name, err)
		}
		attrs[name] = v
	}
	return tftypes.NewValue(cfg.Type(), attrs), nil
}
