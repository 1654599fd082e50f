package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bloody-sweet/platform/internal/load/scenario"
)

// OrderRequest is the body of POST /v1/orders (docs/CONTRACTS.md), with
// the customer who places it: not sent in the body, the order API takes
// the customer from the bearer token.
type OrderRequest struct {
	CustomerID string          `json:"-"`
	StoreID    string          `json:"store_id"`
	Items      []scenario.Item `json:"items"`
	Address    Address         `json:"address"`
}

// Address is the delivery address of an order.
type Address struct {
	Street   string `json:"street"`
	City     string `json:"city"`
	Postcode string `json:"postcode"`
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
		StoreID:    fmt.Sprintf("store-%d", 1+rng.IntN(m.sc.Stores)),
		Items:      kind.Items,
		Address:    Address{Street: fmt.Sprintf("%d Main St", n), City: "Springfield", Postcode: fmt.Sprintf("%05d", 10000+n)},
	}, kind.Name
}

// HTTPError is a non-201 answer of the order API.
type HTTPError struct {
	Status int
	Body   string
}

// Shed reports a refusal by the order API's admission control: a 503
// whose problem body names a reason (docs/CONTRACTS.md). A 503 without
// one (a storage outage) is an error.
func (e *HTTPError) Shed() bool {
	if e.Status != http.StatusServiceUnavailable {
		return false
	}
	var p struct {
		Reason string `json:"reason"`
	}
	return json.Unmarshal([]byte(e.Body), &p) == nil && p.Reason != ""
}

func (e *HTTPError) Error() string { return fmt.Sprintf("order API answered %d: %s", e.Status, e.Body) }

// Kind groups failures by status code in the report.
func (e *HTTPError) Kind() string { return fmt.Sprintf("http %d", e.Status) }

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

// Send places order seq and returns its id.
func (h *HTTPSender) Send(ctx context.Context, seq int) (string, error) {
	order, _ := h.Mix.Order(seq)
	body, err := json.Marshal(order)
	if err != nil {
		return "", fmt.Errorf("encode order: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(h.BaseURL, "/")+"/v1/orders", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("load-%s-%d", h.RunID, seq))
	if h.Tokens != nil {
		tok, err := h.Tokens.Token(order.CustomerID)
		if err != nil {
			return "", fmt.Errorf("token for %s: %w", order.CustomerID, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("place order: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("read order response: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return "", &HTTPError{Status: resp.StatusCode, Body: strings.TrimSpace(string(data))}
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.ID == "" {
		return "", &HTTPError{Status: resp.StatusCode, Body: "no order id in response: " + strings.TrimSpace(string(data))}
	}
	return out.ID, nil
}
