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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/services/events"
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
func awaitTerminal(t *testing.T, st *Stack, ids []string, within time.Duration) map[string]events.Status {
	t.Helper()
	deadline := time.Now().Add(within)
	final := map[string]events.Status{}
	for {
		for _, id := range ids {
			if _, done := final[id]; done {
				continue
			}
			s, err := getStatus(context.Background(), st, id)
			if err != nil {
				t.Fatal(err)
			}
			if s.Terminal() {
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
	count := map[events.Status]int{}
	for _, s := range final {
		count[s]++
	}
	if count[events.StatusDelivered] == 0 || count[events.StatusCancelled] == 0 {
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
		if s == events.StatusDelivered {
			delivered = id
			break
		}
	}
	// The order service saw DELIVERED; the notification service may still
	// be consuming an earlier status from another topic: read until all six.
	var all []events.StatusChange
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if all = readOrderStream(t, st, delivered, ""); len(all) == 6 {
			break
		}
	}
	var statuses []events.Status
	for _, e := range all {
		statuses = append(statuses, e.Status)
	}
	want := slices.DeleteFunc(events.AllStatuses(), func(s events.Status) bool { return s == events.StatusCancelled })
	if d := cmp.Diff(want, sortedBySaga(statuses)); d != "" {
		t.Errorf("history of %s %v (-want +got):\n%s", delivered, all, d)
	}
	rest := readOrderStream(t, st, delivered, "2")
	if len(rest) != len(all)-2 || rest[0].Seq != 3 {
		t.Errorf("resume after 2: %+v, want seq 3..%d", rest, len(all))
	}
}

// readOrderStream reads an order's stream until the server ends it (a
// grace period after the terminal status).
func readOrderStream(t *testing.T, st *Stack, id, lastEventID string) []events.StatusChange {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := operator(st)
	if err != nil {
		t.Fatal(err)
	}
	var out []events.StatusChange
	errc, err := c.StreamOrder(ctx, id, lastEventID, func(s events.StatusChange) { out = append(out, s) })
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return out
}

// sortedBySaga orders statuses by saga step: the stream's order is arrival
// order, which may interleave topics.
func sortedBySaga(s []events.Status) []events.Status {
	rank := events.AllStatuses()
	out := slices.Clone(s)
	slices.SortStableFunc(out, func(a, b events.Status) int { return slices.Index(rank, a) - slices.Index(rank, b) })
	return out
}
