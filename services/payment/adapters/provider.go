package adapters

import (
	"context"
	"sync"
	"time"

	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/payment/domain"
)

// SimProvider simulates a payment provider: seeded decisions, configurable
// latency, and idempotency keys like a real provider's. Its ledger lets
// tests check that no order was charged twice.
type SimProvider struct {
	cfg sim.Config

	mu       sync.Mutex
	results  map[string]domain.Result
	charges  map[string]int // successful authorizations per order
	refunds  map[string]int
	attempts map[string]int // calls per key, retries included
}

// NewSimProvider returns a provider simulator.
func NewSimProvider(cfg sim.Config) *SimProvider {
	return &SimProvider{cfg: cfg, results: map[string]domain.Result{}, charges: map[string]int{}, refunds: map[string]int{}, attempts: map[string]int{}}
}

// SetConfig replaces the simulator configuration (before use).
func (p *SimProvider) SetConfig(cfg sim.Config) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg = cfg
}

func (p *SimProvider) config() sim.Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg
}

// Authorize implements domain.Provider.
func (p *SimProvider) Authorize(ctx context.Context, key string, amount int64) (domain.Result, error) {
	cfg := p.config()
	latency := cfg.PaymentLatency.Draw(cfg.U(key, "payment-latency"))
	// The latency is a real provider's (milliseconds): the call waits it
	// on the wall clock, and on the simulated world's clock the answer
	// took as many world milliseconds, which the event times carry.
	took := cfg.WorldConfig().ToWall(latency)
	select {
	case <-time.After(latency):
	case <-ctx.Done():
		return domain.Result{}, ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.attempts[key]++
	if r, ok := p.results[key]; ok {
		return r, nil // same key, same answer, no second charge
	}
	r := domain.Result{Approved: true, PaymentID: "pay-" + key, Took: took}
	if p.cfg.U(key, "decline") < p.cfg.DeclineRate {
		r = domain.Result{Reason: "card declined", Took: took}
	} else {
		p.charges[key]++
	}
	p.results[key] = r
	return r, nil
}

// Refund implements domain.Provider; refunding twice refunds once.
func (p *SimProvider) Refund(_ context.Context, key, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refunds[key] == 0 && p.charges[key] > 0 {
		p.refunds[key]++
	}
	return nil
}

// Charges returns the successful charges per order.
func (p *SimProvider) Charges() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.charges))
	for k, v := range p.charges {
		out[k] = v
	}
	return out
}

// Refunds returns the refunds per order.
func (p *SimProvider) Refunds() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.refunds))
	for k, v := range p.refunds {
		out[k] = v
	}
	return out
}
