package devstack

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/stack"
)

// TestDemoOnEmbeddedStack runs the demo engine end to end on the embedded
// stack `platform demo` runs.
func TestDemoOnEmbeddedStack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := stack.Start(ctx, stack.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := st.Close(cctx); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	if st.OrderURL == "" || st.NotificationURL == "" || len(st.Brokers) == 0 {
		t.Fatalf("stack %+v lacks URLs or brokers", st)
	}
	var progress bytes.Buffer
	res, err := RunDemo(ctx, st, DemoOptions{Orders: 80, Timeout: 30 * time.Second, Seed: 5, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if !res.AllTerminal() {
		t.Fatalf("not all terminal: %+v", res.ByStatus)
	}
	if res.Placed != 80 || res.Latency.Count() != uint64(res.ByStatus[events.StatusDelivered]) {
		t.Errorf("placed %d, %d latencies for %d delivered", res.Placed, res.Latency.Count(), res.ByStatus[events.StatusDelivered])
	}
	var table bytes.Buffer
	res.WriteTable(&table)
	// The eta service promised a delivery time for the orders, and the
	// table says how it held.
	if p := res.Promise; p.Orders == 0 || p.Promised <= 0 || p.Actual <= 0 {
		t.Errorf("no delivery time promised and kept: %+v", p)
	}
	for _, want := range []string{string(events.StatusDelivered), string(events.StatusCancelled), "p50", "p99", "total", "promised from acceptance on"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if !strings.Contains(progress.String(), "placed 80/80") {
		t.Errorf("no final progress line:\n%s", progress.String())
	}
}
