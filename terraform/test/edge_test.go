package test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gruntwork-io/terratest/modules/terraform"
	tfjson "github.com/hashicorp/terraform-json"
	"gopkg.in/yaml.v3"

	"github.com/bloody-sweet/platform/terraform/test/awsprovider"
)

// The edge stage (terraform/live/<env>/edge) runs after the platform stage and the
// first Argo CD sync: it reads the platform's outputs from its state and looks up the
// ALB the AWS Load Balancer Controller created for the Ingress group. Offline there is
// neither, so the plans here get
//   - a platform state holding the platform plan's own outputs, with made-up IDs for
//     the values AWS assigns at apply (subnets, security groups, certificate, zone);
//   - data source fixtures (awsprovider.DataFixturesEnv) for what the controller
//     would have created: an internal ALB carrying the platform's security group and
//     an HTTPS listener; and for the origin-verify secret the bootstrap step creates
//     (its ARN here; its value, awsprovider.OriginVerifySecret, in the platform plan).
// What the plans prove: the lookup asks for the controller's tags with the names the
// rendered Ingresses declare; the integration is wired to that lookup's listener
// through the VPC link; every route has the edge Lambda authorizer (origin secret +
// JWT), whose role reads only the secret CloudFront sends as X-Origin-Verify, and no
// health route is exposed; the execute-api endpoint is off and the custom domain is
// CloudFront's origin; and the postconditions reject an internet-facing ALB. What
// they cannot prove: that the controller really tags and configures the ALB so (that
// is the controller's documented behaviour, checked by the nightly real-AWS run), nor
// that the authorizer code behaves (services/edge-authorizer's tests do).

var fakeIDs = map[string]any{
	"private_subnet_ids":         []any{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2", "subnet-0aaaaaaaaaaaaaaa3"},
	"alb_security_group_id":      "sg-0a1b2c3d4e5f60001",
	"vpc_link_security_group_id": "sg-0a1b2c3d4e5f60002",
	"regional_certificate_arn":   "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
	"zone_id":                    "Z0123456789ABCDEFGHIJ",
	// the customers' user pool (module identity, in the platform stage), which the
	// edge authorizer trusts
	"jwt_issuer":    fakeIssuer,
	"jwks_url":      fakeIssuer + "/.well-known/jwks.json",
	"jwt_audiences": []any{"1example23456789abcdefghij", "2example23456789abcdefghij"},
}

const fakeIssuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EdgeTest1"

// fakeSecretARN is the ARN Secrets Manager gave the origin-verify secret of env.
func fakeSecretARN(env string) string {
	return "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bloody-sweet/" + env + "/edge/origin-verify-AbC123"
}

const (
	fakeALBARN      = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/k8s-bloodysweet-0123456789/0123456789abcdef"
	fakeListenerARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/k8s-bloodysweet-0123456789/0123456789abcdef/fedcba9876543210"
)

// platformState writes a Terraform state (format 4) whose outputs are the platform
// plan's known outputs plus fakeIDs for those known only after apply.
func platformState(t *testing.T, p *rootPlan, file string) map[string]any {
	t.Helper()
	outputs := map[string]any{}
	values := map[string]any{}
	for name, o := range p.Plan.PlannedValues.Outputs {
		v := o.Value
		if fake, ok := fakeIDs[name]; ok {
			if v != nil {
				t.Fatalf("platform output %s is known at plan time (%v): use it instead of a fake", name, v)
			}
			v = fake
		}
		if v == nil {
			continue // unknown until apply and not read by the edge stage
		}
		typ, err := ctyType(v)
		if err != nil {
			t.Fatalf("platform output %s: %v", name, err)
		}
		outputs[name] = map[string]any{"value": v, "type": typ}
		values[name] = v
	}
	state := map[string]any{"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "edge-test", "outputs": outputs, "resources": []any{}}
	b, err := json.Marshal(state)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return values
}

func ctyType(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return "string", nil
	case bool:
		return "bool", nil
	case float64:
		return "number", nil
	case []any:
		return []any{"list", "string"}, nil
	case map[string]any:
		attrs := map[string]any{}
		for k, e := range x {
			et, err := ctyType(e)
			if err != nil {
				return nil, err
			}
			attrs[k] = et
		}
		return []any{"object", attrs}, nil
	}
	return nil, fmt.Errorf("no cty type for %T", v)
}

// planEdge plans live/<env>/edge against the platform state and ALB fixture; with
// lbInternal false the fixture ALB is internet-facing. It returns the plan or the
// error of a failed plan.
func planEdge(t *testing.T, env string, lbInternal bool) (*rootPlan, map[string]any, error) {
	t.Helper()
	if lbInternal {
		edgeMu.Lock()
		defer edgeMu.Unlock()
		if c, ok := edgePlans[env]; ok {
			return c.plan, c.outputs, nil
		}
	}
	platform := planRoot(t, env)
	// In the shared copy of terraform/, so that the relative module source resolves.
	dir := filepath.Join(workDir, "live", env, "edge")
	stateFile := filepath.Join(dir, "platform.tfstate")
	outputs := platformState(t, platform, stateFile)
	override := fmt.Sprintf("terraform {\n  backend \"local\" {}\n}\n\ndata \"terraform_remote_state\" \"platform\" {\n  backend = \"local\"\n  config = {\n    path = %q\n  }\n}\n", stateFile)
	if err := os.WriteFile(filepath.Join(dir, "offline_override.tf"), []byte(override), 0o644); err != nil {
		t.Fatal(err)
	}
	fixture := map[string]any{
		"aws_lb": map[string]any{
			"arn": fakeALBARN, "internal": lbInternal, "load_balancer_type": "application",
			"security_groups": []any{fakeIDs["alb_security_group_id"], "sg-0c0ffee0c0ffee000"},
			"dns_name":        "internal-k8s-bloodysweet-0123456789.eu-west-1.elb.amazonaws.com",
		},
		"aws_lb_listener":           map[string]any{"arn": fakeListenerARN, "protocol": "HTTPS"},
		"aws_secretsmanager_secret": map[string]any{"arn": fakeSecretARN(env)},
	}
	p, err := planWithFixture(t, dir, fmt.Sprintf("fixtures-internal-%v.json", lbInternal), fixture)
	if err != nil {
		return nil, outputs, err
	}
	if lbInternal {
		edgePlans[env] = edgePlan{p, outputs}
	}
	return p, outputs, nil
}

// planWithFixture inits and plans the root in dir with the offline provider answering
// data sources from fixture (written to dir/name). A failed plan is returned as an
// error with its output; any other failure stops the test.
func planWithFixture(t *testing.T, dir, name string, fixture map[string]any) (*rootPlan, error) {
	t.Helper()
	fb, err := json.Marshal(fixture)
	if err != nil {
		t.Fatal(err)
	}
	fixtureFile := filepath.Join(dir, name)
	if err := os.WriteFile(fixtureFile, fb, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := options(dir)
	opts.EnvVars["AWSPROVIDER_DATA_FIXTURES"] = fixtureFile
	opts.PlanFilePath = filepath.Join(dir, "tfplan.bin")
	if _, err := terraform.InitE(t, opts); err != nil {
		t.Fatalf("init %s: %v", dir, err)
	}
	if out, err := terraform.PlanE(t, opts); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, out)
	}
	out, err := terraform.RunTerraformCommandAndGetStdoutE(t, opts, "show", "-json", opts.PlanFilePath)
	if err != nil {
		t.Fatalf("show %s: %v", dir, err)
	}
	var plan tfjson.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("parse plan of %s: %v", dir, err)
	}
	return &rootPlan{JSON: []byte(out), Plan: &plan}, nil
}

type edgePlan struct {
	plan    *rootPlan
	outputs map[string]any
}

var (
	edgeMu    sync.Mutex
	edgePlans = map[string]edgePlan{}
)

// platformBinary is the `platform` CLI: built ahead by scripts/test-terraform.sh
// (PLATFORM_BIN), or here when the tests run alone.
func platformBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("PLATFORM_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "platform")
	build := exec.Command("go", "build", "-o", bin, "./cmd/platform")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build platform: %v\n%s", err, out)
	}
	return bin
}

// checkPlanWithGate runs `platform check` (the OPA policy gate) on a plan's JSON.
func checkPlanWithGate(t *testing.T, bin, name string, p *rootPlan) {
	t.Helper()
	file := filepath.Join(t.TempDir(), name+".plan.json")
	if err := os.WriteFile(file, p.JSON, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "check", file)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("platform check %s: %v\n%s", file, err, out)
	}
}

// dataValues returns the values a data source of type typ was read with during the plan.
func dataValues(p *rootPlan, typ string) []map[string]any {
	var out []map[string]any
	var walk func(m *tfjson.StateModule)
	walk = func(m *tfjson.StateModule) {
		if m == nil {
			return
		}
		for _, r := range m.Resources {
			if r.Mode == tfjson.DataResourceMode && r.Type == typ {
				out = append(out, r.AttributeValues)
			}
		}
		for _, c := range m.ChildModules {
			walk(c)
		}
	}
	if p.Plan.PriorState != nil && p.Plan.PriorState.Values != nil {
		walk(p.Plan.PriorState.Values.RootModule)
	}
	return out
}

// renderedIngress is what the edge relies on in an Ingress the chart renders.
type renderedIngress struct {
	Service     string
	Annotations map[string]string
	TLSHosts    []string
	Paths       []struct{ Path, PathType string }
}

func renderedIngresses(t *testing.T, env string) []renderedIngress {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "environments", env, "*", "manifests.gen.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rendered manifests for %s (run `make render`): %v", env, err)
	}
	var out []renderedIngress
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc struct {
				Kind     string
				Metadata struct {
					Name        string
					Annotations map[string]string
				}
				Spec struct {
					TLS   []struct{ Hosts []string }
					Rules []struct {
						Host string
						HTTP struct {
							Paths []struct {
								Path     string
								PathType string `yaml:"pathType"`
							}
						}
					}
				}
			}
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if doc.Kind != "Ingress" {
				continue
			}
			ing := renderedIngress{Service: doc.Metadata.Name, Annotations: doc.Metadata.Annotations}
			for _, tls := range doc.Spec.TLS {
				ing.TLSHosts = append(ing.TLSHosts, tls.Hosts...)
			}
			for _, r := range doc.Spec.Rules {
				for _, p := range r.HTTP.Paths {
					ing.Paths = append(ing.Paths, struct{ Path, PathType string }{p.Path, p.PathType})
				}
			}
			out = append(out, ing)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out
}

// TestEdgeStageFindsTheIngressALB is the contract between the rendered Ingresses and
// the edge stage: one Ingress group per environment, internal, carrying the security
// group Terraform makes (by Name tag), and the edge stage looks up exactly that
// group's ALB (the controller's tags elbv2.k8s.aws/cluster and ingress.k8s.aws/stack)
// and sends every API route to a path some api service's Ingress serves.
func TestEdgeStageFindsTheIngressALB(t *testing.T) {
	var cueEnvs map[string]struct {
		AWS struct {
			ClusterName string `json:"clusterName"`
		} `json:"aws"`
		APIHost string `json:"apiHost"`
	}
	if err := json.Unmarshal(cueExport(t, "environments"), &cueEnvs); err != nil {
		t.Fatalf("parse CUE environments: %v", err)
	}
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			edge, platform, err := planEdge(t, env, true)
			if err != nil {
				t.Fatalf("plan live/%s/edge: %v", env, err)
			}
			ingresses := renderedIngresses(t, env)
			if got := len(ingresses); got != 2 {
				t.Fatalf("%d Ingresses rendered in %s, want 2 (order, notification)", got, env)
			}
			groups := map[string]bool{}
			for _, ing := range ingresses {
				a := ing.Annotations
				groups[a["alb.ingress.kubernetes.io/group.name"]] = true
				if a["alb.ingress.kubernetes.io/scheme"] != "internal" {
					t.Errorf("Ingress %s: scheme %q, want internal", ing.Service, a["alb.ingress.kubernetes.io/scheme"])
				}
				if a["alb.ingress.kubernetes.io/security-groups"] != platform["alb_security_group_name"] {
					t.Errorf("Ingress %s attaches security group %q, Terraform's is named %v", ing.Service, a["alb.ingress.kubernetes.io/security-groups"], platform["alb_security_group_name"])
				}
				if !strings.Contains(a["alb.ingress.kubernetes.io/listen-ports"], `"HTTPS":443`) {
					t.Errorf("Ingress %s listens on %q; the edge stage reads the HTTPS listener on 443", ing.Service, a["alb.ingress.kubernetes.io/listen-ports"])
				}
				if diff := cmp.Diff([]string{cueEnvs[env].APIHost}, ing.TLSHosts); diff != "" {
					t.Errorf("Ingress %s TLS hosts (the certificate the controller picks; -api host +ingress):\n%s", ing.Service, diff)
				}
			}
			if len(groups) != 1 || !groups[platform["ingress_group"].(string)] {
				t.Errorf("Ingress groups %v, want only Terraform's ingress_group %v", mapKeys(groups), platform["ingress_group"])
			}

			// The lookup: the controller's tags with the rendered group and CUE cluster.
			lbs := dataValues(edge, "aws_lb")
			if len(lbs) != 1 {
				t.Fatalf("%d aws_lb lookups in the edge plan, want 1", len(lbs))
			}
			wantTags := map[string]any{"elbv2.k8s.aws/cluster": cueEnvs[env].AWS.ClusterName, "ingress.k8s.aws/stack": platform["ingress_group"]}
			if diff := cmp.Diff(wantTags, lbs[0]["tags"]); diff != "" {
				t.Errorf("ALB lookup tags (-rendered Ingress/CUE +edge stage):\n%s", diff)
			}
			if platform["cluster_name"] != cueEnvs[env].AWS.ClusterName {
				t.Errorf("platform cluster_name %v, CUE %s", platform["cluster_name"], cueEnvs[env].AWS.ClusterName)
			}
			listeners := dataValues(edge, "aws_lb_listener")
			if len(listeners) != 1 || listeners[0]["load_balancer_arn"] != fakeALBARN || listeners[0]["port"] != float64(443) {
				t.Errorf("listener lookup %v: want port 443 of the ALB found by tags", listeners)
			}

			// The API: wired to that listener through the VPC link, behind JWT.
			integ := only(t, after(edge, "aws_apigatewayv2_integration"))
			if integ["integration_uri"] != fakeListenerARN || integ["connection_type"] != "VPC_LINK" {
				t.Errorf("integration %v via %v, want the looked-up listener through the VPC link", integ["integration_uri"], integ["connection_type"])
			}
			if diff := cmp.Diff(map[string]any{"remove:header.X-Origin-Verify": "''"}, integ["request_parameters"]); diff != "" {
				t.Errorf("the integration must drop the origin secret before the services (-want +got):\n%s", diff)
			}
			if got := dig(integ, "tls_config.0.server_name_to_verify"); got != cueEnvs[env].APIHost {
				t.Errorf("API Gateway verifies %v on the ALB, the Ingress's certificate host is %s", got, cueEnvs[env].APIHost)
			}
			link := only(t, after(edge, "aws_apigatewayv2_vpc_link"))
			if diff := cmp.Diff([]any{fakeIDs["vpc_link_security_group_id"]}, link["security_group_ids"]); diff != "" {
				t.Errorf("VPC link security groups (-platform +edge):\n%s", diff)
			}
			api := only(t, after(edge, "aws_apigatewayv2_api"))
			if api["disable_execute_api_endpoint"] != true {
				t.Errorf("the execute-api endpoint must be disabled behind the custom domain")
			}
			domain := only(t, after(edge, "aws_apigatewayv2_domain_name"))
			if domain["domain_name"] != platform["api_origin_host"] {
				t.Errorf("API custom domain %v, CloudFront's origin %v", domain["domain_name"], platform["api_origin_host"])
			}
			checkCloudFrontOrigin(t, planRoot(t, env), platform["api_origin_host"])
			checkEdgeAuthorizer(t, env, edge)
			routes := after(edge, "aws_apigatewayv2_route")
			if len(routes) == 0 {
				t.Fatal("the edge plan has no routes")
			}
			for addr, r := range routes {
				key, _ := r["route_key"].(string)
				if r["authorization_type"] != "CUSTOM" {
					t.Errorf("%s (%s): authorization_type %v, want CUSTOM (the edge Lambda authorizer)", addr, key, r["authorization_type"])
				}
				if key == "$default" || strings.Contains(key, "healthz") || strings.Contains(key, "readyz") || strings.Contains(key, "metrics") {
					t.Errorf("%s exposes %s", addr, key)
				}
				if _, p, ok := strings.Cut(key, " "); ok && !servedBy(p, ingresses) {
					t.Errorf("route %s reaches no api service: no rendered Ingress path serves %s", key, p)
				}
			}
		})
	}
}

// servedBy reports whether an API Gateway route path ({param} segments) falls under
// a path of the rendered Ingresses (Prefix, or ImplementationSpecific with * segments
// as the ALB matches them).
func servedBy(route string, ingresses []renderedIngress) bool {
	sample := strings.NewReplacer("{id}", "o-1").Replace(route)
	for _, ing := range ingresses {
		for _, p := range ing.Paths {
			switch p.PathType {
			case "Prefix":
				if sample == p.Path || strings.HasPrefix(sample, strings.TrimSuffix(p.Path, "/")+"/") {
					return true
				}
			case "ImplementationSpecific":
				if ok, _ := path.Match(p.Path, sample); ok {
					return true
				}
			case "Exact":
				if sample == p.Path {
					return true
				}
			}
		}
	}
	return false
}

func checkCloudFrontOrigin(t *testing.T, p *rootPlan, origin any) {
	t.Helper()
	cf := only(t, after(p, "aws_cloudfront_distribution"))
	origins, _ := cf["origin"].([]any)
	if len(origins) != 1 {
		t.Fatalf("CloudFront has %d origins, want 1", len(origins))
	}
	if got := origins[0].(map[string]any)["domain_name"]; got != origin {
		t.Errorf("CloudFront's origin is %v, the API's custom domain %v", got, origin)
	}
	// The proof of passage through CloudFront: the secret's value (the data source's
	// answer) as X-Origin-Verify, and no other header.
	want := []any{map[string]any{"name": "X-Origin-Verify", "value": awsprovider.OriginVerifySecret}}
	if diff := cmp.Diff(want, origins[0].(map[string]any)["custom_header"]); diff != "" {
		t.Errorf("CloudFront's origin headers (-want +got):\n%s", diff)
	}
	if cf["web_acl_id"] == nil && !unknownIn(p, "aws_cloudfront_distribution", "web_acl_id") {
		t.Errorf("CloudFront has no web ACL")
	}
}

// checkEdgeAuthorizer checks the edge plan's Lambda authorizer: REQUEST, payload
// 2.0, simple responses, cached on the token, the origin header and the route; the
// function runs the release zip with the environment's issuer and the secret the
// platform stage's CloudFront sends; its role may read that secret and nothing else
// of Secrets Manager; and every route's authorizer is this one (by reference: IDs
// are known only after apply).
func checkEdgeAuthorizer(t *testing.T, env string, edge *rootPlan) {
	t.Helper()
	authz := only(t, after(edge, "aws_apigatewayv2_authorizer"))
	if authz["authorizer_type"] != "REQUEST" || authz["authorizer_payload_format_version"] != "2.0" || authz["enable_simple_responses"] != true {
		t.Errorf("authorizer %v payload %v simple %v, want a REQUEST authorizer, 2.0, simple responses", authz["authorizer_type"], authz["authorizer_payload_format_version"], authz["enable_simple_responses"])
	}
	sources := fmt.Sprint(authz["identity_sources"])
	for _, want := range []string{"$request.header.Authorization", "$request.header.X-Origin-Verify"} {
		if !strings.Contains(sources, want) {
			t.Errorf("authorizer identity sources %s lack %s (the cache key, and what API Gateway requires before calling it)", sources, want)
		}
	}
	if ttl, _ := authz["authorizer_result_ttl_in_seconds"].(float64); ttl < 60 || ttl > 3600 {
		t.Errorf("authorizer cache TTL %v s, want a few minutes", authz["authorizer_result_ttl_in_seconds"])
	}

	fn := only(t, after(edge, "aws_lambda_function"))
	vars, _ := dig(fn, "environment.0.variables").(map[string]any)
	if vars["EDGE_AUTH_ORIGIN_SECRET_ID"] != fakeSecretARN(env) {
		t.Errorf("the authorizer reads secret %v, want the looked-up %s", vars["EDGE_AUTH_ORIGIN_SECRET_ID"], fakeSecretARN(env))
	}
	// Its issuer, JWKS and audiences are the user pool's: TestEdgeAuthorizerTrustsTheUserPool.
	if key, _ := fn["s3_key"].(string); fn["runtime"] != "provided.al2023" || fmt.Sprint(fn["architectures"]) != "[arm64]" || !strings.HasPrefix(key, "edge-authorizer/") || !strings.HasSuffix(key, ".zip") {
		t.Errorf("authorizer function runs %v/%v from %v, want provided.al2023/arm64 from edge-authorizer/<version>.zip", fn["runtime"], fn["architectures"], key)
	}

	// The secret it reads is the one the platform stage's CloudFront sends.
	secrets := dataValues(edge, "aws_secretsmanager_secret")
	versions := dataValues(planRoot(t, env), "aws_secretsmanager_secret_version")
	if len(secrets) != 1 || len(versions) != 1 || secrets[0]["name"] != versions[0]["secret_id"] {
		t.Errorf("the edge stage looks up secret %v, CloudFront's header is read from %v: want the same one", secrets, versions)
	}

	// Least privilege: one statement on Secrets Manager, GetSecretValue on that ARN;
	// no managed policy on the role.
	role, _ := only(t, after(edge, "aws_iam_role"))["name"].(string)
	var secretStatements []any
	for addr, pol := range after(edge, "aws_iam_role_policy") {
		if pol["role"] != role {
			t.Errorf("%s is on role %v, not the authorizer's %s", addr, pol["role"], role)
		}
		doc, ok := pol["policy"].(string)
		if !ok {
			continue // known after apply: the log group's ARN (checked below by reference)
		}
		var parsed struct{ Statement []map[string]any }
		if err := json.Unmarshal([]byte(doc), &parsed); err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		for _, st := range parsed.Statement {
			if strings.Contains(fmt.Sprint(st["Action"]), "secretsmanager") || strings.Contains(fmt.Sprint(st["Action"]), "*") {
				secretStatements = append(secretStatements, st)
			}
		}
	}
	want := []any{map[string]any{"Sid": "ReadOriginVerifySecret", "Effect": "Allow", "Action": []any{"secretsmanager:GetSecretValue"}, "Resource": []any{fakeSecretARN(env)}}}
	if diff := cmp.Diff(want, secretStatements); diff != "" {
		t.Errorf("the authorizer role's Secrets Manager statements (-want +got):\n%s", diff)
	}
	if n := len(after(edge, "aws_iam_role_policy_attachment")); n != 0 {
		t.Errorf("%d managed policies attached in the edge stage, want none", n)
	}

	// Wiring by reference, in the module's configuration.
	refs := moduleReferences(t, edge, "edge", "api")
	for _, w := range []struct{ res, attr, want string }{
		{"aws_apigatewayv2_route.this", "authorizer_id", "aws_apigatewayv2_authorizer.edge.id"},
		{"aws_apigatewayv2_authorizer.edge", "authorizer_uri", "aws_lambda_function.authorizer.invoke_arn"},
		{"aws_lambda_function.authorizer", "role", "aws_iam_role.authorizer.arn"},
		{"aws_lambda_permission.api_gateway", "function_name", "aws_lambda_function.authorizer.function_name"},
		{"aws_lambda_permission.api_gateway", "source_arn", "aws_apigatewayv2_authorizer.edge.id"},
		{"aws_iam_role_policy.authorizer_logs", "policy", "aws_cloudwatch_log_group.authorizer.arn"},
	} {
		if !slices.Contains(refs[w.res][w.attr], w.want) {
			t.Errorf("%s.%s refers to %v, want %s", w.res, w.attr, refs[w.res][w.attr], w.want)
		}
	}
	if perm := only(t, after(edge, "aws_lambda_permission")); perm["principal"] != "apigateway.amazonaws.com" || perm["action"] != "lambda:InvokeFunction" {
		t.Errorf("lambda permission %v for %v, want lambda:InvokeFunction for apigateway.amazonaws.com", perm["action"], perm["principal"])
	}
}

// moduleReferences returns, for each resource of the module at the path of module
// calls from the root (e.g. "edge", "api"), the references of each of its configured
// attributes.
func moduleReferences(t *testing.T, p *rootPlan, path ...string) map[string]map[string][]string {
	t.Helper()
	if p.Plan.Config == nil || p.Plan.Config.RootModule == nil {
		t.Fatal("the plan has no configuration")
	}
	m := p.Plan.Config.RootModule
	for _, call := range path {
		c := m.ModuleCalls[call]
		if c == nil || c.Module == nil {
			t.Fatalf("the plan's configuration has no module call %q (path %v)", call, path)
		}
		m = c.Module
	}
	out := map[string]map[string][]string{}
	for _, r := range m.Resources {
		attrs := map[string][]string{}
		for name, e := range r.Expressions {
			if e != nil && e.ExpressionData != nil {
				attrs[name] = e.References
			}
		}
		out[r.Address] = attrs
	}
	return out
}

func unknownIn(p *rootPlan, typ, attr string) bool {
	for _, rc := range p.Plan.ResourceChanges {
		if rc.Type == typ {
			if m, ok := rc.Change.AfterUnknown.(map[string]any); ok && m[attr] == true {
				return true
			}
		}
	}
	return false
}

// TestEdgeStageRejectsAnInternetFacingALB plans the edge stage against an ALB the
// controller made internet-facing (an Ingress whose scheme was changed): the plan must
// stop at the lookup's postcondition, before anything points at it.
func TestEdgeStageRejectsAnInternetFacingALB(t *testing.T) {
	_, _, err := planEdge(t, "dev", false)
	if err == nil {
		t.Fatal("the edge stage planned against an internet-facing ALB")
	}
	folded := strings.Join(strings.Fields(err.Error()), " ")
	if !strings.Contains(folded, "must be an internal application load balancer") {
		t.Errorf("plan failed for another reason:\n%s", err)
	}
}

// TestPlatformStageLeavesTheALBToTheController checks the platform stage creates no
// load balancer, listener or target group (the controller owns the ALB), and that the
// ALB's security group admits only the VPC link's group and CloudFront's VPC origins.
func TestPlatformStageLeavesTheALBToTheController(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			p := planRoot(t, env)
			for _, typ := range []string{"aws_lb", "aws_alb", "aws_lb_listener", "aws_lb_listener_rule", "aws_lb_target_group"} {
				if n := len(after(p, typ)); n != 0 {
					t.Errorf("the platform stage plans %d %s: the ALB belongs to the Load Balancer Controller", n, typ)
				}
			}
			sg := after(p, "aws_security_group")[`module.platform.module.alb.aws_security_group.alb`]
			if sg == nil {
				t.Fatal("no ALB security group in the platform plan")
			}
			if tags, _ := sg["tags"].(map[string]any); tags["Name"] != output(t, p, "alb_security_group_name") {
				t.Errorf("ALB security group Name tag %v, output alb_security_group_name %v", tags["Name"], output(t, p, "alb_security_group_name"))
			}
			rules := after(p, "aws_vpc_security_group_ingress_rule")
			rule := rules[`module.platform.module.alb.aws_vpc_security_group_ingress_rule.alb_from_vpc_link`]
			if rule == nil || rule["cidr_ipv4"] != nil || rule["from_port"] != float64(443) {
				t.Errorf("the ALB's only ingress must be 443 from the VPC link's group, got %v", rule)
			}
			// Besides the VPC link, only CloudFront's VPC origins (the SSE streams;
			// streams_test.go checks that rule).
			for addr := range rules {
				if strings.Contains(addr, "module.alb.") && addr != `module.platform.module.alb.aws_vpc_security_group_ingress_rule.alb_from_vpc_link` && addr != `module.platform.module.alb.aws_vpc_security_group_ingress_rule.alb_from_cloudfront` {
					t.Errorf("unexpected ingress rule on the edge groups: %s", addr)
				}
			}
		})
	}
}

// TestPolicyGateAcceptsEdgePlans feeds each edge stage plan to `platform check`.
func TestPolicyGateAcceptsEdgePlans(t *testing.T) {
	bin := platformBinary(t)
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			p, _, err := planEdge(t, env, true)
			if err != nil {
				t.Fatalf("plan live/%s/edge: %v", env, err)
			}
			checkPlanWithGate(t, bin, env+"-edge", p)
		})
	}
}
