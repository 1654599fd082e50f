package load

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/bloody-sweet/platform/internal/load/scenario"
	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/events"
)

// OrderRequest is one arrival's order: the body of POST /v1/orders and
// the customer who places it (not in the body: the order API takes the
// customer from the bearer token).
type OrderRequest struct {
	CustomerID string `json:"-"`
	apiclient.OrderRequest
}

// Mix draws orders from a scenario's order mix. Order seq is a pure
// function of (seed, seq), so runs are reproducible and arrivals can be
// generated concurrently.
type Mix struct {
	sc    *scenario.Scenario
	total int
}

// NewMix prepares the weighted order mix of sc.
func NewMix(sc *scenario.Scenario) *Mix {
	m := &Mix{sc: sc}
	for _, k := range sc.OrderMix {
		m.total += k.Weight
	}
	return m
}

// Order returns arrival seq's order and the name of its kind.
func (m *Mix) Order(seq int) (OrderRequest, string) {
	rng := rand.New(rand.NewPCG(uint64(m.sc.Seed), uint64(seq)))
	pick := rng.IntN(m.total)
	kind := m.sc.OrderMix[len(m.sc.OrderMix)-1]
	for _, k := range m.sc.OrderMix {
		if pick < k.Weight {
			kind = k
			break
		}
		pick -= k.Weight
	}
	n := 1 + rng.IntN(200)
	return OrderRequest{
		CustomerID: fmt.Sprintf("c-%d", 1+rng.IntN(m.sc.Customers)),
		OrderRequest: apiclient.OrderRequest{
			StoreID: fmt.Sprintf("store-%d", 1+rng.IntN(m.sc.Stores)),
			Items:   kind.Items,
			Address: events.Address{Street: fmt.Sprintf("%d Main St", n), City: "Springfield", Postcode: fmt.Sprintf("%05d", 10000+n)},
		},
	}, kind.Name
}

// HTTPSender places orders through the order API.
type HTTPSender struct {
	BaseURL string
	Client  *http.Client
	Mix     *Mix
	// RunID makes Idempotency-Keys unique per run, so a second run does not
	// get the first run's orders back.
	RunID string
	// Tokens, when set, gives each order its customer's bearer token (a
	// local issuer can mint one per customer); nil leaves authentication
	// to Client (a deployed environment's client-credentials token, whose
	// subject is then every order's customer).
	Tokens *TokenCache
	// ChangeEvery: one order in ChangeEvery is cancelled right after it was
	// placed and one revised (the scenario's change_every), counted in
	// Changes.
	ChangeEvery int
	Changes     Changes
}

// TokenCache mints a bearer token per customer once and reuses it (a run
// places many orders per customer, and signing costs CPU the pipeline
// benchmark measures).
type TokenCache struct {
	Mint func(customer string) (string, error)
	m    sync.Map // customer -> token
}

// Token returns customer's token.
func (c *TokenCache) Token(customer string) (string, error) {
	if t, ok := c.m.Load(customer); ok {
		return t.(string), nil
	}
	t, err := c.Mint(customer)
	if err != nil {
		return "", err
	}
	c.m.Store(customer, t)
	return t, nil
}

// NewHTTPClient returns a client sized for many concurrent requests to one
// host; the default transport keeps only 2 idle connections per host,
// which would make the harness open a connection per request.
func NewHTTPClient(maxConns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxConns
	t.MaxIdleConnsPerHost = maxConns
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// Send places order seq and returns its id. A refusal is an
// apiclient.HTTPError, whose Kind groups the report's failures.
func (h *HTTPSender) Send(ctx context.Context, seq int) (string, error) {
	order, _ := h.Mix.Order(seq)
	p := apiclient.Place{Key: fmt.Sprintf("load-%s-%d", h.RunID, seq), Order: order.OrderRequest}
	if h.Tokens != nil {
		tok, err := h.Tokens.Token(order.CustomerID)
		if err != nil {
			return "", fmt.Errorf("token for %s: %w", order.CustomerID, err)
		}
		p.Token = tok
	}
	c := apiclient.Client{OrderURL: h.BaseURL, HTTP: h.Client}
	id, err := c.PlaceOrder(ctx, p)
	if err != nil {
		return id, err
	}
	// A change's failure is counted apart: the arrival (the order) succeeded.
	kind, cerr := Change(ctx, &c, h.ChangeEvery, seq, id, p.Token, p.Key, order.OrderRequest)
	_ = h.Changes.Record(kind, cerr)
	return id, nil
}
