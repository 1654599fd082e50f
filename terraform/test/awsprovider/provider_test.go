package awsprovider

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func schemas(t *testing.T) *Schemas {
	t.Helper()
	s, err := LoadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSchemaCoversEveryTypeTheModulesUse fails when a module starts using an aws_*
// type that schema/generate.sh has not extracted yet.
func TestSchemaCoversEveryTypeTheModulesUse(t *testing.T) {
	s := schemas(t)
	re := regexp.MustCompile(`(?m)^\s*(resource|data)\s+"(aws_[a-z0-9_]+)"`)
	var missing []string
	seen := 0
	err := filepath.WalkDir("../..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(p, ".tf") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			seen++
			var ok bool
			if m[1] == "resource" {
				_, ok = s.Resources[m[2]]
			} else {
				_, ok = s.DataSources[m[2]]
			}
			if !ok {
				missing = append(missing, p+": "+m[1]+" "+m[2])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen == 0 {
		t.Fatal("found no aws_* types under terraform/: wrong directory?")
	}
	if len(missing) > 0 {
		t.Errorf("types missing from schema/aws.schema.json (run schema/generate.sh):\n%s", strings.Join(missing, "\n"))
	}
}

func TestParseTypeRejectsUnknownTypes(t *testing.T) {
	for _, bad := range []string{`"strin"`, `["tuple",["string"]]`, `["list"]`, `42`} {
		if _, err := ParseType([]byte(bad)); err == nil {
			t.Errorf("ParseType(%s) accepted a bad type", bad)
		}
	}
	got, err := ParseType([]byte(`["list",["object",{"a":"string","b":["set","number"]}]]`))
	if err != nil {
		t.Fatal(err)
	}
	want := tftypes.List{ElementType: tftypes.Object{AttributeTypes: map[string]tftypes.Type{"a": tftypes.String, "b": tftypes.Set{ElementType: tftypes.Number}}}}
	if !got.Equal(want) {
		t.Errorf("ParseType = %s, want %s", got, want)
	}
}

func dynamic(t *testing.T, typ tftypes.Type, v tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

// object builds a value of block type typ from the given attributes; the others are null.
func object(typ tftypes.Type, attrs map[string]tftypes.Value) tftypes.Value {
	o := typ.(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for n, at := range o.AttributeTypes {
		if v, ok := attrs[n]; ok {
			vals[n] = v
		} else {
			vals[n] = tftypes.NewValue(at, nil)
		}
	}
	return tftypes.NewValue(typ, vals)
}

func strMap(m map[string]string) tftypes.Value {
	vals := map[string]tftypes.Value{}
	for k, v := range m {
		vals[k] = tftypes.NewValue(tftypes.String, v)
	}
	return tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, vals)
}

func configure(t *testing.T, srv *Server, s *Schemas, tags map[string]string) {
	t.Helper()
	pt := s.Provider.Block.ValueType()
	dtType := pt.(tftypes.Object).AttributeTypes["default_tags"]
	elType := dtType.(tftypes.List).ElementType
	cfg := object(pt, map[string]tftypes.Value{
		"region":       tftypes.NewValue(tftypes.String, "eu-west-1"),
		"default_tags": tftypes.NewValue(dtType, []tftypes.Value{object(elType, map[string]tftypes.Value{"tags": strMap(tags)})}),
	})
	resp, err := srv.ConfigureProvider(context.Background(), &tfprotov6.ConfigureProviderRequest{Config: dynamic(t, pt, cfg)})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("configure: %v %v", err, resp.Diagnostics)
	}
}

func TestPlanCreateMarksComputedUnknownAndMergesDefaultTags(t *testing.T) {
	s := schemas(t)
	srv := New(s)
	configure(t, srv, s, map[string]string{"environment": "dev", "owner": "platform"})

	typ := s.Resources["aws_vpc"].Block.ValueType()
	proposed := object(typ, map[string]tftypes.Value{
		"cidr_block": tftypes.NewValue(tftypes.String, "10.0.0.0/16"),
		"tags":       strMap(map[string]string{"Name": "x", "owner": "orders"}),
	})
	resp, err := srv.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName:         "aws_vpc",
		PriorState:       dynamic(t, typ, tftypes.NewValue(typ, nil)),
		ProposedNewState: dynamic(t, typ, proposed),
		Config:           dynamic(t, typ, proposed),
	})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("plan: %v %v", err, resp.Diagnostics)
	}
	planned, err := resp.PlannedState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var attrs map[string]tftypes.Value
	if err := planned.As(&attrs); err != nil {
		t.Fatal(err)
	}
	var unknown, known []string
	for n, v := range attrs {
		if !v.IsKnown() {
			unknown = append(unknown, n)
		} else if !v.IsNull() {
			known = append(known, n)
		}
	}
	sort.Strings(unknown)
	sort.Strings(known)
	// Every computed attribute the config left null, and nothing else.
	wantUnknown := []string{"arn", "default_network_acl_id", "default_route_table_id", "default_security_group_id", "dhcp_options_id",
		"enable_dns_hostnames", "enable_network_address_usage_metrics", "id", "ipv6_association_id", "ipv6_cidr_block",
		"ipv6_cidr_block_network_border_group", "main_route_table_id", "owner_id", "region"}
	if diff := cmp.Diff(wantUnknown, unknown); diff != "" {
		t.Errorf("unknown after plan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"cidr_block", "tags", "tags_all"}, known); diff != "" {
		t.Errorf("known after plan (-want +got):\n%s", diff)
	}
	var allVals map[string]tftypes.Value
	if err := attrs["tags_all"].As(&allVals); err != nil {
		t.Fatal(err)
	}
	all := map[string]string{}
	for k, v := range allVals {
		var str string
		if err := v.As(&str); err != nil {
			t.Fatal(err)
		}
		all[k] = str
	}
	// Resource tags win over default tags, as in the real provider.
	if diff := cmp.Diff(map[string]string{"Name": "x", "environment": "dev", "owner": "orders"}, all); diff != "" {
		t.Errorf("tags_all (-want +got):\n%s", diff)
	}
}

func TestPlanUpdateKeepsPriorComputedValues(t *testing.T) {
	s := schemas(t)
	srv := New(s)
	typ := s.Resources["aws_vpc"].Block.ValueType()
	prior := object(typ, map[string]tftypes.Value{
		"cidr_block": tftypes.NewValue(tftypes.String, "10.0.0.0/16"),
		"id":         tftypes.NewValue(tftypes.String, "vpc-1"),
		"tags_all":   strMap(nil),
	})
	resp, err := srv.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName:         "aws_vpc",
		PriorState:       dynamic(t, typ, prior),
		ProposedNewState: dynamic(t, typ, prior),
		Config:           dynamic(t, typ, prior),
	})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("plan: %v %v", err, resp.Diagnostics)
	}
	planned, _ := resp.PlannedState.Unmarshal(typ)
	if !planned.Equal(prior) {
		t.Errorf("an unchanged resource must plan no change:\n got %s\nwant %s", planned, prior)
	}
}

func TestUnknownResourceTypeIsAnError(t *testing.T) {
	srv := New(schemas(t))
	resp, err := srv.ValidateResourceConfig(context.Background(), &tfprotov6.ValidateResourceConfigRequest{TypeName: "aws_not_a_thing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Diagnostics) != 1 || !strings.Contains(resp.Diagnostics[0].Detail, "generate.sh") {
		t.Errorf("want one diagnostic that says how to add the type, got %v", resp.Diagnostics)
	}
}
