package stack

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// startStack starts a fully embedded stack for one test.
func startStack(t *testing.T, cfg Config) *Stack {
	t.Helper()
	st, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := st.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return st
}

// awaitTerminal polls the order API until every order is terminal.
func awaitTerminal(t *testing.T, st *Stack, ids []string, within time.Duration) map[string]string {
	t.Helper()
	deadline := time.Now().Add(within)
	final := map[string]string{}
	for {
		for _, id := range ids {
			if _, done := final[id]; done {
				continue
			}
			s, err := getStatus(context.Background(), st, id)
			if err != nil {
				t.Fatal(err)
			}
			if s == "DELIVERED" || s == "CANCELLED" {
				final[id] = s
			}
		}
		if len(final) == len(ids) {
			return final
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d orders terminal after %v", len(final), len(ids), within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func metricNames(t *testing.T, url string) map[string]bool {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			names[f[2]] = true
		}
	}
	return names
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// TestEveryServiceExportsItsCatalogMetrics scrapes each running service
// and checks it exports every name of its set in
// policies/data/metric_catalog.json (common + api for api kinds + own).
func TestEveryServiceExportsItsCatalogMetrics(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "policies/data/metric_catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Catalog map[string][]string `json:"metric_catalog"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	st := startStack(t, Config{})
	api := map[string]bool{"order": true, "notification": true}
	for _, svc := range Services {
		want := append([]string{}, doc.Catalog["common"]...)
		if api[svc] {
			want = append(want, doc.Catalog["api"]...)
		}
		want = append(want, doc.Catalog[svc]...)
		got := metricNames(t, st.MetricsURLs[svc])
		var missing []string
		for _, n := range want {
			if !got[n] {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s does not export %v", svc, missing)
		}
	}
}

// TestSagaOnEmbeddedDefaults runs orders through all five services and
// checks that every one ends terminal, with both outcomes represented and
// the notification stream resumable with Last-Event-ID.
func TestSagaOnEmbeddedDefaults(t *testing.T) {
	t.Parallel()
	st := startStack(t, Config{})
	ctx := context.Background()
	var ids []string
	for i := range 60 {
		id, err := placeOrder(ctx, st, fmt.Sprintf("saga-%d", i), rand.New(rand.NewPCG(3, uint64(i))))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	final := awaitTerminal(t, st, ids, 30*time.Second)
	count := map[string]int{}
	for _, s := range final {
		count[s]++
	}
	if count["DELIVERED"] == 0 || count["CANCELLED"] == 0 {
		t.Errorf("outcomes %v: want both DELIVERED and CANCELLED with the default rates", count)
	}
	for id, n := range st.Provider.Charges() {
		if n > 1 {
			t.Errorf("order %s charged %d times", id, n)
		}
	}

	// A delivered order's stream replays its whole history, and resuming
	// after event 2 yields exactly the rest.
	var delivered string
	for id, s := range final {
		if s == "DELIVERED" {
			delivered = id
			break
		}
	}
	// The order service saw DELIVERED; the notification service may still
	// be consuming an earlier status from another topic: read until all six.
	var all []streamEvent
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if all = readOrderStream(t, st, delivered, ""); len(all) == 6 {
			break
		}
	}
	var statuses []string
	for _, e := range all {
		statuses = append(statuses, e.Status)
	}
	if d := cmp.Diff([]string{"PLACED", "PAID", "ACCEPTED", "READY", "PICKED_UP", "DELIVERED"}, sortedBySaga(statuses)); d != "" {
		t.Errorf("history of %s %v (-want +got):\n%s", delivered, all, d)
	}
	rest := readOrderStream(t, st, delivered, "2")
	if len(rest) != len(all)-2 || rest[0].Seq != 3 {
		t.Errorf("resume after 2: %+v, want seq 3..%d", rest, len(all))
	}
}

type streamEvent struct {
	Status string `json:"status"`
	Seq    int64  `json:"seq"`
}

// readOrderStream reads an order's SSE stream until it ends (it ends after
// a terminal status).
func readOrderStream(t *testing.T, st *Stack, id, lastEventID string) []streamEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, st.NotificationURL+"/v1/orders/"+id+"/stream", nil)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	c, err := operator(st)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	var out []streamEvent
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var e streamEvent
			if err := json.Unmarshal([]byte(data), &e); err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
	}
	return out
}

var sagaRank = map[string]int{"PLACED": 0, "PAID": 1, "ACCEPTED": 2, "READY": 3, "PICKED_UP": 4, "DELIVERED": 5, "CANCELLED": 6}

// sortedBySaga orders statuses by saga step: the stream's order is arrival
// order, which may interleave topics.
func sortedBySaga(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if sagaRank[out[j]] < sagaRank[out[i]] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

var _ = sync.Mutex{}
