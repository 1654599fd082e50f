package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	tfjson "github.com/hashicorp/terraform-json"
)

// The status streams (Server-Sent Events of the notification service) bypass API
// Gateway, which buffers whole responses and ends integrations at 30 s: CloudFront
// sends GET /v1/stream and GET /v1/orders/*/stream to the internal ALB through a
// CloudFront VPC origin, and the notification service verifies the bearer JWT itself.
// The ALB is the controller's, created at the first sync, so the platform stage finds
// it with a lookup that may come back empty: its plan before the sync has no stream
// behavior, its plan after the sync (here: data source fixtures standing for the
// controller's ALB) has the VPC origin and both behaviors.

const (
	fakeALBDNSName = "internal-k8s-bloodysweet-0123456789.eu-west-1.elb.amazonaws.com"
	// The managed prefix list com.amazonaws.global.cloudfront.origin-facing in eu-west-1.
	fakeCloudFrontPrefixList = "pl-4fa04526"

	// Managed CloudFront policies, by ID (the names are documented by AWS).
	cachingDisabledPolicy = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad" // Managed-CachingDisabled
	allViewerPolicy       = "216adef6-5c7f-47e4-b989-5492eafa07d3" // Managed-AllViewer
)

var streamPaths = []string{"/v1/orders/*/stream", "/v1/stream"}

// planPlatformWithALB plans live/<env> (in a copy of its own) as it is after the first
// sync: the controller's internal ALB exists and CloudFront's prefix list answers.
func planPlatformWithALB(t *testing.T, env string) *rootPlan {
	t.Helper()
	dir := filepath.Join(workDir, "live", env+"-with-alb")
	if err := copyTree(filepath.Join(workDir, "live", env), dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tfplan.bin", "backend_override.tf"} {
		os.Remove(filepath.Join(dir, f))
	}
	os.RemoveAll(filepath.Join(dir, "edge"))
	if err := os.WriteFile(filepath.Join(dir, "backend_override.tf"), []byte("terraform {\n  backend \"local\" {}\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fixture := map[string]any{
		"aws_lbs": map[string]any{"arns": []any{fakeALBARN}},
		"aws_lb": map[string]any{
			"internal": true, "load_balancer_type": "application", "dns_name": fakeALBDNSName,
			"security_groups": []any{fakeIDs["alb_security_group_id"], "sg-0c0ffee0c0ffee000"},
		},
		"aws_ec2_managed_prefix_list": map[string]any{"id": fakeCloudFrontPrefixList},
	}
	p, err := planWithFixture(t, dir, "fixtures.json", fixture)
	if err != nil {
		t.Fatalf("plan live/%s with the ingress ALB: %v", env, err)
	}
	return p
}

// sseHeartbeatSeconds reads the notification service's keep-alive comment interval
// (services/notification/ports/sse.go): CloudFront's origin timeouts must exceed it.
func sseHeartbeatSeconds(t *testing.T) float64 {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, "services", "notification", "ports", "sse.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*(?:const\s+)?Heartbeat\s*=\s*(\d+)\s*\*\s*time\.Second`).FindSubmatch(src)
	if m == nil {
		t.Fatal("services/notification/ports/sse.go declares no Heartbeat = <n> * time.Second: the SSE keep-alive interval the origin timeouts are checked against")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return float64(n)
}

// TestStreamsBypassAPIGateway checks, per environment, that the status streams go
// from CloudFront to the ALB through a VPC origin once the ALB exists (and not before),
// that the ALB admits CloudFront's VPC origins, that API Gateway has no route for the
// streams, that a rendered Ingress serves both paths, and that the policy gate
// accepts the plan.
func TestStreamsBypassAPIGateway(t *testing.T) {
	heartbeat := sseHeartbeatSeconds(t)
	bin := platformBinary(t)
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			// Before the first sync: no ALB, no VPC origin, no stream behavior.
			before := planRoot(t, env)
			if n := len(after(before, "aws_cloudfront_vpc_origin")); n != 0 {
				t.Errorf("the platform plan without an ALB has %d VPC origins", n)
			}
			if cf := only(t, after(before, "aws_cloudfront_distribution")); len(asList(cf["ordered_cache_behavior"])) != 0 {
				t.Errorf("the platform plan without an ALB has stream behaviors: %v", cf["ordered_cache_behavior"])
			}

			p := planPlatformWithALB(t, env)
			checkStreamLookup(t, env, p)
			checkStreamOrigin(t, p, heartbeat)
			checkALBAdmitsCloudFront(t, p)
			checkPlanWithGate(t, bin, env+"-with-alb", p)

			// API Gateway: no route for the streams, no route scope for them.
			edge, _, err := planEdge(t, env, true)
			if err != nil {
				t.Fatalf("plan live/%s/edge: %v", env, err)
			}
			for _, r := range after(edge, "aws_apigatewayv2_route") {
				if key, _ := r["route_key"].(string); strings.HasSuffix(key, "/stream") {
					t.Errorf("API Gateway routes %s: the streams bypass it", key)
				}
			}
			fn := only(t, after(edge, "aws_lambda_function"))
			if raw, _ := dig(fn, "environment.0.variables.EDGE_AUTH_ROUTE_SCOPES").(string); strings.Contains(raw, "stream") {
				t.Errorf("the authorizer's route scopes %s name a stream route", raw)
			}
			// Both stream paths reach a service.
			ingresses := renderedIngresses(t, env)
			for _, path := range []string{"/v1/stream", "/v1/orders/0b4f6a1e-3c2d-4e5f-8a9b-0c1d2e3f4a5b/stream"} {
				if !servedBy(path, ingresses) {
					t.Errorf("no rendered Ingress serves %s, which CloudFront sends to the ALB", path)
				}
			}
		})
	}
}

// checkStreamLookup: the platform stage looks the ALB up by the controller's tags
// with the group the Ingresses declare (the same as the edge stage).
func checkStreamLookup(t *testing.T, env string, p *rootPlan) {
	t.Helper()
	lookups := dataValues(p, "aws_lbs")
	if len(lookups) != 1 {
		t.Fatalf("%d aws_lbs lookups in the platform plan, want 1", len(lookups))
	}
	want := map[string]any{"elbv2.k8s.aws/cluster": "bloody-sweet-" + env, "ingress.k8s.aws/stack": output(t, p, "ingress_group")}
	if diff := cmp.Diff(want, lookups[0]["tags"]); diff != "" {
		t.Errorf("ALB lookup tags (-controller's +platform stage):\n%s", diff)
	}
}

// checkStreamOrigin: the VPC origin is the looked-up ALB over HTTPS/TLS 1.2, the
// distribution's stream origin uses it with timeouts above the SSE heartbeat, and the
// two stream behaviors send GET/HEAD there uncached with the viewer's headers and
// query string; everything else still goes to API Gateway, and the web ACL stays.
func checkStreamOrigin(t *testing.T, p *rootPlan, heartbeat float64) {
	t.Helper()
	vo := only(t, after(p, "aws_cloudfront_vpc_origin"))
	cfg, _ := dig(vo, "vpc_origin_endpoint_config.0").(map[string]any)
	if cfg["arn"] != fakeALBARN || cfg["origin_protocol_policy"] != "https-only" || cfg["https_port"] != float64(443) {
		t.Errorf("VPC origin %v: want the looked-up ALB %s, https-only on 443", cfg, fakeALBARN)
	}
	if diff := cmp.Diff([]any{"TLSv1.2"}, dig(cfg, "origin_ssl_protocols.0.items")); diff != "" {
		t.Errorf("VPC origin TLS protocols (-want +got):\n%s", diff)
	}

	var rc *tfjson.ResourceChange
	for _, c := range p.Plan.ResourceChanges {
		if c.Type == "aws_cloudfront_distribution" && c.Mode == tfjson.ManagedResourceMode {
			rc = c
		}
	}
	if rc == nil {
		t.Fatal("no CloudFront distribution in the platform plan")
	}
	cf, _ := rc.Change.After.(map[string]any)
	origins := asList(cf["origin"])
	if len(origins) != 2 {
		t.Fatalf("CloudFront has %d origins, want 2 (API Gateway, the streams' VPC origin)", len(origins))
	}
	var streamOrigin map[string]any
	var streamIdx int
	for i, o := range origins {
		if m := o.(map[string]any); len(asList(m["vpc_origin_config"])) == 1 {
			streamOrigin, streamIdx = m, i
		}
	}
	if streamOrigin == nil {
		t.Fatal("no CloudFront origin has a vpc_origin_config")
	}
	if streamOrigin["domain_name"] != fakeALBDNSName {
		t.Errorf("stream origin domain %v, want the ALB's %s", streamOrigin["domain_name"], fakeALBDNSName)
	}
	if len(asList(streamOrigin["custom_origin_config"])) != 0 || len(asList(streamOrigin["custom_header"])) != 0 {
		t.Errorf("the stream origin must be a VPC origin only, with no custom origin or header: %v", streamOrigin)
	}
	vc, _ := dig(streamOrigin, "vpc_origin_config.0").(map[string]any)
	if dig(rc.Change.AfterUnknown, fmt.Sprintf("origin.%d.vpc_origin_config.0.vpc_origin_id", streamIdx)) != true {
		t.Errorf("the stream origin's vpc_origin_id is %v at plan: it must be the VPC origin's (known after apply)", vc["vpc_origin_id"])
	}
	for _, k := range []string{"origin_read_timeout", "origin_keepalive_timeout"} {
		if v, _ := vc[k].(float64); v <= heartbeat {
			t.Errorf("stream origin %s %v s: must exceed the SSE heartbeat of %v s, or CloudFront drops idle streams", k, vc[k], heartbeat)
		}
	}

	var paths []string
	for _, b := range asList(cf["ordered_cache_behavior"]) {
		m := b.(map[string]any)
		path, _ := m["path_pattern"].(string)
		paths = append(paths, path)
		if m["target_origin_id"] != streamOrigin["origin_id"] {
			t.Errorf("%s goes to origin %v, want the streams' %v", path, m["target_origin_id"], streamOrigin["origin_id"])
		}
		if diff := cmp.Diff([]any{"GET", "HEAD"}, sortedAny(m["allowed_methods"])); diff != "" {
			t.Errorf("%s methods (-want +got):\n%s", path, diff)
		}
		// CachingDisabled + AllViewer: nothing cached, and Authorization (forwarded by
		// an origin request policy only when caching is disabled), Last-Event-ID, the
		// query string and Host = api.<domain> (the ALB certificate's name) forwarded.
		if m["cache_policy_id"] != cachingDisabledPolicy || m["origin_request_policy_id"] != allViewerPolicy {
			t.Errorf("%s: cache policy %v, origin request policy %v; want CachingDisabled %s and AllViewer %s", path, m["cache_policy_id"], m["origin_request_policy_id"], cachingDisabledPolicy, allViewerPolicy)
		}
		if m["viewer_protocol_policy"] == "allow-all" {
			t.Errorf("%s allows plain HTTP viewers", path)
		}
	}
	sort.Strings(paths)
	if diff := cmp.Diff(streamPaths, paths); diff != "" {
		t.Errorf("stream behaviors (-want +got):\n%s", diff)
	}
	if got := dig(cf, "default_cache_behavior.0.target_origin_id"); got == streamOrigin["origin_id"] {
		t.Errorf("the default behavior goes to the streams' origin: every other route must stay behind API Gateway's authorizer")
	}
	if cf["web_acl_id"] == nil && !unknownIn(p, "aws_cloudfront_distribution", "web_acl_id") {
		t.Error("CloudFront has no web ACL: the streams would bypass WAF")
	}
}

// checkALBAdmitsCloudFront: the ALB's group admits, besides the VPC link's, HTTPS
// from CloudFront's managed origin-facing prefix list, and nothing else.
func checkALBAdmitsCloudFront(t *testing.T, p *rootPlan) {
	t.Helper()
	lists := dataValues(p, "aws_ec2_managed_prefix_list")
	if len(lists) != 1 || lists[0]["name"] != "com.amazonaws.global.cloudfront.origin-facing" {
		t.Fatalf("prefix list lookups %v, want com.amazonaws.global.cloudfront.origin-facing", lists)
	}
	rule := after(p, "aws_vpc_security_group_ingress_rule")[`module.platform.module.alb.aws_vpc_security_group_ingress_rule.alb_from_cloudfront`]
	if rule == nil {
		t.Fatal("no CloudFront ingress rule on the ALB's group")
	}
	if rule["prefix_list_id"] != fakeCloudFrontPrefixList || rule["cidr_ipv4"] != nil || rule["cidr_ipv6"] != nil || rule["referenced_security_group_id"] != nil {
		t.Errorf("the CloudFront rule must admit the prefix list %s only: %v", fakeCloudFrontPrefixList, rule)
	}
	if rule["ip_protocol"] != "tcp" || rule["from_port"] != float64(443) || rule["to_port"] != float64(443) {
		t.Errorf("the CloudFront rule must be TCP 443 only: %v", rule)
	}
	var onALB []string
	for addr := range after(p, "aws_vpc_security_group_ingress_rule") {
		if strings.Contains(addr, "module.alb.") {
			onALB = append(onALB, strings.TrimPrefix(addr, "module.platform.module.alb."))
		}
	}
	slices.Sort(onALB)
	want := []string{"aws_vpc_security_group_ingress_rule.alb_from_cloudfront", "aws_vpc_security_group_ingress_rule.alb_from_vpc_link"}
	if diff := cmp.Diff(want, onALB); diff != "" {
		t.Errorf("ingress rules on the edge groups (-want +got):\n%s", diff)
	}
}
