package rawkafka

import (
	"context"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/internal/load"
	"github.com/bloody-sweet/platform/internal/load/scenario"
)

// TestChainDeliversEveryArrival runs a short open-model schedule through
// the 4 hops on an in-process broker: every produced arrival must come out
// of hop 4 exactly once, and the topics are removed afterwards.
func TestChainDeliversEveryArrival(t *testing.T) {
	broker, err := LocalBroker()
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	sc := &scenario.Scenario{
		Name: "raw", Seed: 1, MaxInFlight: 100, Stores: 2, Customers: 2,
		Stages:          []scenario.Stage{{Name: "s", Duration: scenario.Duration{Duration: time.Second}, Rate: 40}},
		DeliveryTimeout: scenario.Duration{Duration: 20 * time.Second},
		OrderMix:        []scenario.OrderKind{{Name: "one", Weight: 1, Items: []scenario.Item{{SKU: "pizza-margherita", Quantity: 1}}}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	chain, err := Start(ctx, broker.ListenAddrs(), "test", load.NewMix(sc))
	if err != nil {
		t.Fatal(err)
	}
	res, err := load.Run(ctx, sc, chain, load.Options{Mode: "raw", Completions: chain.Completions()})
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.Close(context.Background()); err != nil {
		t.Errorf("close: %v", err)
	}
	if res.Total.OK != 40 || res.Total.Delivered != 40 || res.Total.Undelivered != 0 {
		t.Errorf("ok %d delivered %d undelivered %d, want 40, 40, 0 (errors %v)", res.Total.OK, res.Total.Delivered, res.Total.Undelivered, res.ErrorSamples)
	}
	if res.Total.EndToEnd.Count != 40 {
		t.Errorf("end-to-end latencies %d, want 40", res.Total.EndToEnd.Count)
	}
}
