// Package loadtest checks the k6 scripts in tests/load/k6 against the
// scenario files they read, by evaluating them with node (k6 itself cannot
// be installed here). node is part of the machine image; the test fails,
// rather than skips, without it.
package loadtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/api"
	"github.com/bloody-sweet/platform/internal/load"
	"github.com/bloody-sweet/platform/internal/load/scenario"
	"github.com/bloody-sweet/platform/services/apiclient"
)

// evaluated is what k6check/evaluate.mjs reports for one script.
type evaluated struct {
	Script   string              `json:"script"`
	Opened   []string            `json:"opened"`
	Options  *k6Options          `json:"options"`
	Error    *string             `json:"error"`
	Checks   []struct{ OK bool } `json:"checks"`
	Metrics  map[string][]any    `json:"metrics"`
	Requests []struct {
		Method string `json:"method"`
		URL    string `json:"url"`
		Body   string `json:"body"`
		Params struct {
			Headers map[string]string `json:"headers"`
			Tags    map[string]string `json:"tags"`
		} `json:"params"`
	} `json:"requests"`
}

type k6Options struct {
	Scenarios  map[string]k6Scenario `json:"scenarios"`
	Thresholds map[string][]string   `json:"thresholds"`
}

type k6Scenario struct {
	Executor        string `json:"executor"`
	Rate            int    `json:"rate,omitempty"`
	TimeUnit        string `json:"timeUnit,omitempty"`
	Duration        string `json:"duration,omitempty"`
	VUs             int    `json:"vus,omitempty"`
	Iterations      int    `json:"iterations,omitempty"`
	MaxDuration     string `json:"maxDuration,omitempty"`
	StartTime       string `json:"startTime"`
	PreAllocatedVUs int    `json:"preAllocatedVUs,omitempty"`
	MaxVUs          int    `json:"maxVUs,omitempty"`
	GracefulStop    string `json:"gracefulStop"`
}

func evaluate(t *testing.T, scripts ...string) []evaluated {
	t.Helper()
	return evaluateWithEnv(t, nil, scripts...)
}

// evaluateWithEnv evaluates scripts with env added to their __ENV.
func evaluateWithEnv(t *testing.T, env map[string]string, scripts ...string) []evaluated {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed to check the k6 scripts (it is in the machine image, Debian package nodejs): %v", err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(node, append([]string{"k6check/evaluate.mjs"}, scripts...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	extra, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "K6_EXTRA_ENV="+string(extra))
	if err := cmd.Run(); err != nil {
		t.Fatalf("node k6check/evaluate.mjs: %v\n%s", err, stderr.String())
	}
	var out []evaluated
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("decode evaluate.mjs output: %v\n%s", err, stdout.String())
	}
	return out
}

// jsNum formats a number the way JavaScript's String(n) does for the
// values thresholds have.
func jsNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func msOf(d scenario.Duration) float64 { return float64(d.Duration) / 1e6 }

// expectedOptions is the Go side of the mapping documented in
// tests/load/k6/lib/scenario.js, written independently of it.
func expectedOptions(sc *scenario.Scenario) k6Options {
	o := k6Options{Scenarios: map[string]k6Scenario{}}
	var start float64
	for _, st := range sc.Stages {
		if st.Closed() {
			o.Scenarios[st.Name] = k6Scenario{
				Executor: "shared-iterations", VUs: st.Clients, Iterations: st.Orders,
				MaxDuration: jsNum(msOf(st.Duration)) + "ms", StartTime: jsNum(start) + "ms",
				GracefulStop: jsNum(msOf(sc.DeliveryTimeout)) + "ms",
			}
			start += msOf(st.Duration)
			continue
		}
		ks := k6Scenario{
			Executor: "constant-arrival-rate", Rate: int(st.Rate), TimeUnit: "1s",
			Duration: jsNum(msOf(st.Duration)) + "ms", StartTime: jsNum(start) + "ms",
			PreAllocatedVUs: min(sc.MaxInFlight, max(1, int(math.Ceil(st.Rate)))),
			MaxVUs:          sc.MaxInFlight, GracefulStop: jsNum(msOf(sc.DeliveryTimeout)) + "ms",
		}
		if st.Rate != math.Trunc(st.Rate) {
			ks.Rate, ks.TimeUnit = int(math.Round(st.Rate*1000)), "1000s"
		}
		o.Scenarios[st.Name] = ks
		start += msOf(st.Duration)
	}
	t := sc.Thresholds
	offered := float64(sc.PlannedOrders()) / sc.TotalDuration().Seconds()
	o.Thresholds = map[string][]string{
		"http_req_duration{name:place_order}":                {"p(95)<=" + jsNum(msOf(t.HTTPP95)), "p(99)<=" + jsNum(msOf(t.HTTPP99))},
		"placed_to_delivered":                                {"p(99)<=" + jsNum(msOf(t.PlacedToDeliveredP99))},
		"order_errors":                                       {"rate<=" + jsNum(t.MaxErrorRate)},
		"dropped_iterations":                                 {"rate<=" + jsNum(math.Round(t.MaxErrorRate*offered*1e6)/1e6)},
		"http_reqs{name:place_order,expected_response:true}": {"rate>=" + jsNum(t.MinThroughput)},
	}
	return o
}

// checkScript returns every way a script disagrees with its scenario file
// or sends a request the order API would reject.
func checkScript(e evaluated, scenarioDir string) []string {
	var problems []string
	if e.Error != nil {
		return []string{"evaluating the script failed: " + *e.Error}
	}
	want := filepath.Join(scenarioDir, strings.TrimSuffix(filepath.Base(e.Script), ".js")+".json")
	absWant, _ := filepath.Abs(want)
	if !slices.Contains(e.Opened, absWant) {
		return []string{fmt.Sprintf("does not read its scenario file %s (opened %v)", want, e.Opened)}
	}
	sc, err := scenario.Load(want)
	if err != nil {
		return []string{err.Error()}
	}
	if e.Options == nil {
		return []string{"exports no options"}
	}
	if diff := cmp.Diff(expectedOptions(sc), *e.Options); diff != "" {
		problems = append(problems, "options differ from the scenario file (-scenario +script):\n"+diff)
	}
	if len(e.Requests) == 0 || e.Requests[0].Method != "POST" || e.Requests[0].URL != "http://orders.test/v1/orders" {
		return append(problems, fmt.Sprintf("first request is not POST /v1/orders: %+v", e.Requests))
	}
	r := e.Requests[0]
	if r.Params.Headers["Idempotency-Key"] == "" || r.Params.Headers["Content-Type"] != "application/json" {
		problems = append(problems, fmt.Sprintf("order request headers %v lack Idempotency-Key or Content-Type", r.Params.Headers))
	}
	if r.Params.Tags["name"] != "place_order" {
		problems = append(problems, fmt.Sprintf("order request tag name=%q, the thresholds select name=place_order", r.Params.Tags["name"]))
	}
	// the body's shape is the contract's (api/schemas), not only one our
	// Go type happens to decode
	if err := api.Validate("schemas/OrderRequest.schema.json", []byte(r.Body)); err != nil {
		problems = append(problems, fmt.Sprintf("order body %s does not validate against the order API's schema: %v", r.Body, err))
	}
	dec := json.NewDecoder(strings.NewReader(r.Body))
	dec.DisallowUnknownFields()
	var body load.OrderRequest
	if err := dec.Decode(&body); err != nil {
		problems = append(problems, fmt.Sprintf("order body %s: %v", r.Body, err))
	}
	if !slices.ContainsFunc(sc.OrderMix, func(k scenario.OrderKind) bool { return cmp.Equal(k.Items, body.Items) }) {
		problems = append(problems, fmt.Sprintf("order items %v are not one of the scenario's order mix", body.Items))
	}
	n, err := strconv.Atoi(strings.TrimPrefix(body.StoreID, "store-"))
	if err != nil || n < 1 || n > sc.Stores || body.Address.City == "" {
		problems = append(problems, fmt.Sprintf("order body %s: store or address out of the scenario's ranges", r.Body))
	}
	if got := e.Metrics["placed_to_delivered"]; len(got) != 1 {
		problems = append(problems, fmt.Sprintf("following a delivered order recorded %d placed_to_delivered values, want 1", len(got)))
	}
	for _, c := range e.Checks {
		if !c.OK {
			problems = append(problems, "a check failed on a 201 PLACED answer")
		}
	}
	return problems
}

func TestK6ScriptsMatchScenarios(t *testing.T) {
	scripts, err := filepath.Glob("k6/*.js")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no k6 scripts in tests/load/k6: %v", err)
	}
	// Every scenario file has a k6 script, so the nightly job can run it.
	scenarios, _ := filepath.Glob("scenarios/*.json")
	for _, f := range scenarios {
		js := filepath.Join("k6", strings.TrimSuffix(filepath.Base(f), ".json")+".js")
		if !slices.Contains(scripts, js) {
			t.Errorf("scenario %s has no k6 script %s", f, js)
		}
	}
	for _, e := range evaluate(t, scripts...) {
		for _, p := range checkScript(e, "scenarios") {
			t.Errorf("%s: %s", e.Script, p)
		}
	}
}

// TestDriftIsCaught: a script that overrides a threshold and a rate by
// hand is reported, so the check above can fail.
func TestDriftIsCaught(t *testing.T) {
	e := evaluate(t, "testdata/k6/drifted.js")[0]
	e.Script = "smoke.js" // it reads scenarios/smoke.json
	problems := checkScript(e, "scenarios")
	if len(problems) != 1 {
		t.Fatalf("got %d problems, want 1 options diff: %q", len(problems), problems)
	}
	for _, want := range []string{`"p(95)<=250"`, `"p(95)<=999"`, "Rate:", "25"} {
		if !strings.Contains(problems[0], want) {
			t.Errorf("problem report lacks %s:\n%s", want, problems[0])
		}
	}
}

func TestMain(m *testing.M) {
	// Paths above are relative to tests/load.
	if _, err := os.Stat("k6check/evaluate.mjs"); err != nil {
		fmt.Fprintln(os.Stderr, "run from tests/load:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// TestK6ScriptsSendBearerTokens: against a deployed environment (TOKEN_URL
// set) every request carries the client-credentials token, fetched once;
// without it no Authorization header is sent.
func TestK6ScriptsSendBearerTokens(t *testing.T) {
	env := map[string]string{"TOKEN_URL": "https://auth.test/oauth2/token", "CLIENT_ID": "machine", "CLIENT_SECRET": "s3cret"}
	// One node process per script: like a k6 VU, a process keeps its token.
	for _, script := range []string{"k6/smoke.js", "k6/soak.js"} {
		e := evaluateWithEnv(t, env, script)[0]
		if e.Error != nil {
			t.Fatalf("%s: %s", e.Script, *e.Error)
		}
		if len(e.Requests) < 2 {
			t.Fatalf("%s: %d requests, want the token and the order (and status polls)", e.Script, len(e.Requests))
		}
		tok := e.Requests[0]
		wantBasic := "Basic " + base64.StdEncoding.EncodeToString([]byte("machine:s3cret"))
		if tok.Method != "POST" || tok.URL != env["TOKEN_URL"] || tok.Params.Headers["Authorization"] != wantBasic ||
			!strings.Contains(tok.Body, `"grant_type":"client_credentials"`) {
			t.Errorf("%s: first request is not the client-credentials grant: %+v", e.Script, tok)
		}
		for _, r := range e.Requests[1:] {
			if r.URL == env["TOKEN_URL"] {
				t.Errorf("%s: a second token request while the first token is valid", e.Script)
			}
			if got := r.Params.Headers["Authorization"]; got != "Bearer tok-1" {
				t.Errorf("%s: %s %s has Authorization %q, want the token", e.Script, r.Method, r.URL, got)
			}
		}
	}
	for _, e := range evaluate(t, "k6/smoke.js") {
		for _, r := range e.Requests {
			if h, ok := r.Params.Headers["Authorization"]; ok {
				t.Errorf("%s: %s %s sends Authorization %q without TOKEN_URL or TOKEN", e.Script, r.Method, r.URL, h)
			}
		}
	}
	// A local stack's token (`platform dev token`) goes on every request.
	for _, e := range evaluateWithEnv(t, map[string]string{"TOKEN": "dev-token"}, "k6/smoke.js") {
		if e.Error != nil || len(e.Requests) == 0 {
			t.Fatalf("%s with TOKEN: %v, %d requests", e.Script, e.Error, len(e.Requests))
		}
		for _, r := range e.Requests {
			if got := r.Params.Headers["Authorization"]; got != "Bearer dev-token" {
				t.Errorf("%s: %s %s has Authorization %q, want the TOKEN", e.Script, r.Method, r.URL, got)
			}
		}
	}
}

// The scripts cancel one order in CHANGE_EVERY and revise another (the stub
// iteration is 7): each request names the order just placed, carries a key
// derived from the order's, and a body the order API takes.
func TestK6ScriptsCancelAndRevise(t *testing.T) {
	for _, tc := range []struct {
		every, path string
		body        any
	}{
		{"6", "/cancel", &apiclient.CancelRequest{}},  // 7 % 6 == 1
		{"12", "/revise", &apiclient.ReviseRequest{}}, // 7 % 12 == 1 + 12/2
	} {
		e := evaluateWithEnv(t, map[string]string{"CHANGE_EVERY": tc.every, "DELIVERY_SAMPLE": "0"}, "k6/smoke.js")[0]
		if e.Error != nil {
			t.Fatalf("CHANGE_EVERY=%s: %s", tc.every, *e.Error)
		}
		if len(e.Requests) != 2 {
			t.Fatalf("CHANGE_EVERY=%s: %d requests, want the order and its change", tc.every, len(e.Requests))
		}
		place, r := e.Requests[0], e.Requests[1]
		if r.Method != "POST" || r.URL != "http://orders.test/v1/orders/ord-1"+tc.path {
			t.Errorf("change request %s %s, want POST /v1/orders/ord-1%s", r.Method, r.URL, tc.path)
		}
		if k := r.Params.Headers["Idempotency-Key"]; !strings.HasPrefix(k, place.Params.Headers["Idempotency-Key"]) || k == place.Params.Headers["Idempotency-Key"] {
			t.Errorf("change key %q is not derived from the order's %q", k, place.Params.Headers["Idempotency-Key"])
		}
		dec := json.NewDecoder(strings.NewReader(r.Body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(tc.body); err != nil {
			t.Errorf("change body %s: %v", r.Body, err)
		}
		for _, c := range e.Checks {
			if !c.OK {
				t.Errorf("CHANGE_EVERY=%s: a check failed on the expected answers", tc.every)
			}
		}
		if got := e.Metrics["change_errors"]; len(got) != 1 || got[0] != false {
			t.Errorf("change_errors %v, want one false", got)
		}
	}
}
