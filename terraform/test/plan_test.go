package test

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var envs = []string{"dev", "staging", "prod"}

// sizes are the per-environment facts the plans must show.
var sizes = map[string]struct {
	vpcCIDR      string
	natGateways  int
	nodeGroups   int
	docdb        int
	bastions     int
	rdsMultiAZ   bool
	redisNodes   float64
	redisFailver bool
	brokers      float64
	backupDays   float64
}{
	"dev":     {"10.10.0.0/16", 1, 1, 1, 1, false, 1, false, 3, 3},
	"staging": {"10.20.0.0/16", 1, 1, 2, 1, false, 2, true, 3, 7},
	"prod":    {"10.30.0.0/16", 3, 2, 3, 0, true, 3, true, 6, 30},
}

func TestLiveRootsPlanPerEnvironmentSizes(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			p := planRoot(t, env)
			want := sizes[env]
			counts := map[string]int{}
			for _, typ := range []string{"aws_nat_gateway", "aws_eks_node_group", "aws_docdb_cluster_instance", "aws_instance", "aws_subnet", "aws_iam_role_policy", "aws_eks_addon"} {
				counts[typ] = len(after(p, typ))
			}
			wantCounts := map[string]int{
				"aws_nat_gateway":            want.natGateways,
				"aws_eks_node_group":         want.nodeGroups,
				"aws_docdb_cluster_instance": want.docdb,
				"aws_instance":               want.bastions,
				"aws_subnet":                 9,
				// six services, the LB controller, the autoscaler, the flow logs,
				// the External Secrets Operator, the OpenTelemetry collector, Loki,
				// and rds-db:connect for the five services with a database
				"aws_iam_role_policy": 17,
				"aws_eks_addon":       5,
			}
			if diff := cmp.Diff(wantCounts, counts); diff != "" {
				t.Errorf("resource counts (-want +got):\n%s", diff)
			}

			vpc := only(t, after(p, "aws_vpc"))
			if vpc["cidr_block"] != want.vpcCIDR {
				t.Errorf("VPC CIDR = %v, want %s", vpc["cidr_block"], want.vpcCIDR)
			}
			_, vpcNet, err := net.ParseCIDR(want.vpcCIDR)
			if err != nil {
				t.Fatal(err)
			}
			for addr, s := range after(p, "aws_subnet") {
				cidr, _ := s["cidr_block"].(string)
				ip, _, err := net.ParseCIDR(cidr)
				if err != nil || !vpcNet.Contains(ip) {
					t.Errorf("%s: CIDR %q is not inside the VPC %s", addr, cidr, want.vpcCIDR)
				}
				if strings.Contains(addr, "private") && !strings.HasSuffix(cidr, "/19") {
					t.Errorf("%s: private subnets must be /19, got %s", addr, cidr)
				}
			}

			rds := only(t, after(p, "aws_db_instance"))
			if rds["multi_az"] != want.rdsMultiAZ || rds["backup_retention_period"] != want.backupDays {
				t.Errorf("RDS multi_az=%v backups=%v, want %v and %v", rds["multi_az"], rds["backup_retention_period"], want.rdsMultiAZ, want.backupDays)
			}
			redis := only(t, after(p, "aws_elasticache_replication_group"))
			if redis["num_cache_clusters"] != want.redisNodes || redis["multi_az_enabled"] != want.redisFailver {
				t.Errorf("Redis nodes=%v multi_az=%v, want %v and %v", redis["num_cache_clusters"], redis["multi_az_enabled"], want.redisNodes, want.redisFailver)
			}
			msk := only(t, after(p, "aws_msk_cluster"))
			if msk["number_of_broker_nodes"] != want.brokers {
				t.Errorf("MSK brokers = %v, want %v", msk["number_of_broker_nodes"], want.brokers)
			}
		})
	}
}

func TestLiveRootsEncryptEverything(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			p := planRoot(t, env)
			checks := []struct {
				typ, path string
				want      any
			}{
				{"aws_db_instance", "storage_encrypted", true},
				{"aws_db_instance", "publicly_accessible", false},
				{"aws_docdb_cluster", "storage_encrypted", true},
				{"aws_elasticache_replication_group", "transit_encryption_enabled", true},
				// a string in the 6.x schema ("true"), compared as printed
				{"aws_elasticache_replication_group", "at_rest_encryption_enabled", "true"},
				{"aws_msk_cluster", "encryption_info.0.encryption_in_transit.0.client_broker", "TLS"},
				{"aws_msk_cluster", "encryption_info.0.encryption_in_transit.0.in_cluster", true},
				{"aws_msk_cluster", "client_authentication.0.sasl.0.iam", true},
				{"aws_instance", "root_block_device.0.encrypted", true},
				{"aws_instance", "metadata_options.0.http_tokens", "required"},
				{"aws_kms_key", "enable_key_rotation", true},
				{"aws_lb", "internal", true},
				{"aws_sqs_queue", "sqs_managed_sse_enabled", true},
			}
			for _, c := range checks {
				for addr, v := range after(p, c.typ) {
					if got := dig(v, c.path); fmt.Sprint(got) != fmt.Sprint(c.want) {
						t.Errorf("%s: %s = %v, want %v", addr, c.path, got, c.want)
					}
				}
			}
			for addr, c := range after(p, "aws_eks_cluster") {
				if got := dig(c, "encryption_config.0.resources.0"); got != "secrets" {
					t.Errorf("%s: secrets are not KMS-encrypted (%v)", addr, got)
				}
				if got := dig(c, "vpc_config.0.endpoint_public_access"); got != false {
					t.Errorf("%s: public API endpoint is on", addr)
				}
			}
		})
	}
}

func TestLiveRootsTagEveryResource(t *testing.T) {
	for _, env := range append(envs, "shared") {
		t.Run(env, func(t *testing.T) {
			p := planRoot(t, env)
			tagged := 0
			for _, rc := range p.Plan.ResourceChanges {
				v, ok := rc.Change.After.(map[string]any)
				if !ok {
					continue
				}
				if _, taggable := v["tags"]; !taggable {
					continue
				}
				tagged++
				tags, _ := v["tags"].(map[string]any)
				for _, k := range []string{"environment", "owner", "cost-center"} {
					if s, _ := tags[k].(string); s == "" {
						t.Errorf("%s: tag %q missing", rc.Address, k)
					}
				}
				if tags["environment"] != env {
					t.Errorf("%s: environment tag = %v, want %s", rc.Address, tags["environment"], env)
				}
				// tags_all is what AWS receives: default_tags from the provider merged in.
				all, _ := v["tags_all"].(map[string]any)
				if all["cost-center"] != tags["cost-center"] {
					t.Errorf("%s: tags_all %v does not carry the cost-center tag", rc.Address, all)
				}
			}
			if tagged < 6 {
				t.Fatalf("only %d taggable resources in the plan: did the plan run?", tagged)
			}
		})
	}
}

// The topic table of docs/CONTRACTS.md, as IAM must enforce it.
var contractTopics = map[string]struct{ produces, consumes []string }{
	"order":        {[]string{"order.events.v1"}, []string{"payment.events.v1", "store.events.v1", "delivery.events.v1", "eta.events.v1"}},
	"payment":      {[]string{"payment.events.v1"}, []string{"order.events.v1", "store.events.v1"}},
	"store":        {[]string{"store.events.v1"}, []string{"payment.events.v1"}},
	"delivery":     {[]string{"delivery.events.v1"}, []string{"store.events.v1"}},
	"eta":          {[]string{"eta.events.v1"}, []string{"order.events.v1", "store.events.v1", "delivery.events.v1"}},
	"notification": {nil, []string{"order.events.v1", "payment.events.v1", "store.events.v1", "delivery.events.v1", "eta.events.v1"}},
}

func TestIRSARolesTouchOnlyTheirOwnTopics(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			p := planRoot(t, env)
			topicARN := fmt.Sprintf("arn:aws:kafka:eu-west-1:123456789012:topic/bloody-sweet-%s/*/", env)
			policies := map[string]map[string]any{}
			for addr, v := range after(p, "aws_iam_role_policy") {
				if !strings.Contains(addr, "module.iam.aws_iam_role_policy.msk[") {
					continue // the rds-db:connect policies: contract_test.go
				}
				svc := between(addr, `["`, `"]`)
				policies[svc] = decodeJSON(t, addr, v["policy"])
			}
			if len(policies) != len(contractTopics) {
				t.Fatalf("IRSA policies for %d services, want %d", len(policies), len(contractTopics))
			}
			for svc, want := range contractTopics {
				got := map[string][]string{}
				for _, st := range policies[svc]["Statement"].([]any) {
					s := st.(map[string]any)
					for _, r := range s["Resource"].([]any) {
						got[s["Sid"].(string)] = append(got[s["Sid"].(string)], strings.TrimPrefix(r.(string), topicARN))
					}
				}
				writes := append([]string{}, want.produces...)
				for _, c := range want.consumes {
					writes = append(writes, c+".dlq")
				}
				sort.Strings(writes)
				reads := append([]string{}, want.consumes...)
				sort.Strings(reads)
				if diff := cmp.Diff(writes, got["Write"]); diff != "" {
					t.Errorf("%s may write (-want +got):\n%s", svc, diff)
				}
				if diff := cmp.Diff(reads, got["Read"]); diff != "" {
					t.Errorf("%s may read (-want +got):\n%s", svc, diff)
				}
			}
			roles := after(p, "aws_iam_role")
			for svc := range contractTopics {
				r, ok := roles[fmt.Sprintf(`module.platform.module.iam.aws_iam_role.service["%s"]`, svc)]
				if !ok || r["name"] != fmt.Sprintf("bloody-sweet-%s-%s", env, svc) {
					t.Errorf("IRSA role of %s missing or misnamed: %v", svc, r["name"])
					continue
				}
				// The trust policy names the cluster's OIDC provider, known only after
				// apply; tests/iam.tftest.hcl checks its service-account condition.
			}
		})
	}
}

func TestSharedRootOwnsImmutableRepositories(t *testing.T) {
	p := planRoot(t, "shared")
	repos := after(p, "aws_ecr_repository")
	var names []string
	for addr, r := range repos {
		names = append(names, r["name"].(string))
		if r["image_tag_mutability"] != "IMMUTABLE" || dig(r, "image_scanning_configuration.0.scan_on_push") != true {
			t.Errorf("%s: tags must be immutable and images scanned on push", addr)
		}
	}
	sort.Strings(names)
	want := []string{"bloody-sweet/delivery", "bloody-sweet/eta", "bloody-sweet/notification", "bloody-sweet/order", "bloody-sweet/payment", "bloody-sweet/store"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
	shared := output(t, p, "ecr_repository_urls")
	for _, env := range envs {
		if diff := cmp.Diff(shared, output(t, planRoot(t, env), "ecr_repository_urls")); diff != "" {
			t.Errorf("live/%s ecr_repository_urls differ from live/shared (-shared +%s):\n%s", env, env, diff)
		}
	}
}

func only(t *testing.T, m map[string]map[string]any) map[string]any {
	t.Helper()
	if len(m) != 1 {
		t.Fatalf("want exactly one resource, got %d", len(m))
	}
	for _, v := range m {
		return v
	}
	return nil
}

// dig follows a dotted path of map keys and list indexes.
func dig(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			var i int
			if _, err := fmt.Sscanf(part, "%d", &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func between(s, open, close string) string {
	i := strings.Index(s, open)
	if i < 0 {
		return ""
	}
	s = s[i+len(open):]
	if j := strings.Index(s, close); j >= 0 {
		return s[:j]
	}
	return s
}

func decodeJSON(t *testing.T, where string, v any) map[string]any {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s: policy is not known at plan time", where)
	}
	var m map[string]any
	if err := jsonUnmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%s: policy is not JSON: %v", where, err)
	}
	return m
}
