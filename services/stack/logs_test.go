package stack

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
)

// lockedBuffer is the five services' shared log sink.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogsCarryNoSecrets: every service logging at debug through accepted
// orders, refused requests (a forged and an unsigned token, a missing one)
// and followed streams writes no bearer token, no part of one (header,
// payload or signature) and no Authorization header value. The test can
// fail: the refusals are logged, so the tokens had their chance to leak.
func TestLogsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	st := startStack(t, Config{LogWriter: logs, LogLevel: "debug"})
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))

	var tokens []string
	var ids []string
	for i := range 5 {
		customer := fmt.Sprintf("c-logs-%d", i)
		tok, err := st.Issuer.Token(customer)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
		c, err := st.Issuer.Client(customer)
		if err != nil {
			t.Fatal(err)
		}
		id, err := placeOrderClient(ctx, c, st.OrderURL, fmt.Sprintf("logs-%d", i), r)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// a forged signature, and a token without one (alg none's shape).
	forged := tokens[0][:len(tokens[0])-6] + "AAAAAA"
	unsigned := tokens[1][:strings.LastIndex(tokens[1], ".")+1]
	tokens = append(tokens, forged, unsigned)
	for _, bad := range []string{forged, unsigned, ""} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, st.OrderURL+"/v1/orders",
			strings.NewReader(`{"store_id":"store-1","items":[{"sku":"pizza-margherita","quantity":1}],"address":{"street":"1 Main St","city":"Springfield","postcode":"12345"}}`))
		req.Header.Set("Idempotency-Key", "logs-refused")
		if bad != "" {
			req.Header.Set("Authorization", "Bearer "+bad)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a request with token %q... answered %d, want 401", bad[:min(len(bad), 8)], resp.StatusCode)
		}
	}
	awaitTerminal(t, st, ids, 60*time.Second)
	op, err := operator(st)
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	errc, err := op.StreamOrder(sctx, ids[0], "", func(events.StatusChange) {})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("stream: %v", err)
	}

	out := logs.String()
	if !strings.Contains(out, `"level":"DEBUG"`) && !strings.Contains(out, `"level":"INFO"`) {
		t.Fatalf("no debug or info line was logged: the scan below would prove nothing\n%s", out)
	}
	for i, tok := range tokens {
		for j, part := range strings.Split(tok, ".") {
			if len(part) >= 16 && strings.Contains(out, part) {
				t.Errorf("token %d: part %d is in the logs", i, j)
			}
		}
	}
	for _, s := range []string{"Bearer ", "eyJ"} {
		if strings.Contains(out, s) {
			i := strings.Index(out, s)
			// the context before it only: the failure must not print the token.
			t.Errorf("the logs carry %q after: ...%s", s, out[max(0, i-80):i])
		}
	}
}
