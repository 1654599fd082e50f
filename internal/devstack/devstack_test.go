package devstack

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

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
	if res.Placed != 80 || len(res.Latencies) != res.ByStatus["DELIVERED"] {
		t.Errorf("placed %d, %d latencies for %d delivered", res.Placed, len(res.Latencies), res.ByStatus["DELIVERED"])
	}
	var table bytes.Buffer
	res.WriteTable(&table)
	for _, want := range []string{"DELIVERED", "CANCELLED", "p50", "p99", "total"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if !strings.Contains(progress.String(), "placed 80/80") {
		t.Errorf("no final progress line:\n%s", progress.String())
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := Percentile(ds, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if Percentile(nil, 50) != 0 {
		t.Error("empty input")
	}
}

func TestReadSSE(t *testing.T) {
	t.Parallel()
	in := ": keep-alive\n\nid: 1\nevent: PLACED\ndata: {\"a\":1}\n\nid: 2\ndata: x\ndata: y\n\n"
	var got []SSEEvent
	if err := ReadSSE(strings.NewReader(in), func(e SSEEvent) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "1" || got[0].Event != "PLACED" || got[1].Data != "x\ny" {
		t.Errorf("events %+v", got)
	}
}
