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
	sc, err := DemoScenario(80, 60*time.Second, 5)
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	res, err := RunDemo(ctx, st, sc, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if !res.AllTerminal() {
		t.Fatalf("not all terminal: %+v (run %+v)", res.ByStatus, res.Run.Total)
	}
	// what the stream showed the harness is what the order API says
	if res.Placed != 80 || res.Run.Total.Delivered != res.ByStatus[events.StatusDelivered] ||
		res.Run.Total.Cancelled != res.ByStatus[events.StatusCancelled] || res.Run.Total.EndToEnd.Count != uint64(res.Run.Total.Delivered) {
		t.Errorf("placed %d; stream: %d delivered (%d latencies), %d cancelled; order API: %v",
			res.Placed, res.Run.Total.Delivered, res.Run.Total.EndToEnd.Count, res.Run.Total.Cancelled, res.ByStatus)
	}
	// One order in ten is cancelled by its customer, one revised (the
	// demo scenario's change_every): each asked once and answered (a 409 is
	// a refusal the saga explains).
	c := res.Run.Changes
	if c == nil {
		t.Fatal("the run counted no changes")
	}
	if c.CancelAsked != 8 || c.Cancelled+c.CancelRefused != 8 || c.Cancelled == 0 || c.ReviseAsked != 8 || c.ReviseTaken+c.ReviseRefused != 8 ||
		res.RevisionApplied+res.RevisionRefused != c.ReviseTaken || c.Failed != 0 {
		t.Errorf("changes %+v: want 8 cancels and 8 revisions, every one answered and every taken revision decided", c)
	}
	if res.ByStatus[events.StatusCancelled] < c.Cancelled {
		t.Errorf("%d orders cancelled by their customers, %d CANCELLED in all", c.Cancelled, res.ByStatus[events.StatusCancelled])
	}
	var table bytes.Buffer
	res.WriteTable(&table)
	// The eta service promised a delivery time for the orders, and the
	// table says how it held.
	if p := res.Promise; p.Orders == 0 || p.Promised <= 0 || p.Actual <= 0 {
		t.Errorf("no delivery time promised and kept: %+v", p)
	}
	for _, want := range []string{string(events.StatusDelivered), string(events.StatusCancelled), "p50", "p99", "total", "cancel: asked 8", "revise: asked 8", "promised vs actual"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if !strings.Contains(progress.String(), "[demo demo]") {
		t.Errorf("no progress line of the harness:\n%s", progress.String())
	}
}
