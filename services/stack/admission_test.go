package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAdmissionOnEmbeddedStack: with payment stopped, placed orders stay in
// flight; at the bound (3) the order API refuses new orders 503 with
// Retry-After and a problem body naming the reason, while a retry of an
// accepted order replays it; once payment is back every accepted order
// finishes and new orders are admitted again. Nothing accepted is lost.
func TestAdmissionOnEmbeddedStack(t *testing.T) {
	t.Parallel()
	adm := AdmissionDefaults()
	adm.MaxInFlight = 3
	adm.SampleInterval = 20 * time.Millisecond
	st := startStack(t, Config{Admission: &adm})
	ctx := context.Background()
	if err := st.StopService(ctx, "payment"); err != nil {
		t.Fatal(err)
	}
	client, err := st.Issuer.Client("c-admission")
	if err != nil {
		t.Fatal(err)
	}
	body := `{"store_id":"store-1","items":[{"sku":"pizza-margherita","quantity":1}],"address":{"street":"1 Main St","city":"Springfield","postcode":"12345"}}`
	post := func(key string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, st.OrderURL+"/v1/orders", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}

	// Place until refused: the gate counts its own admissions between
	// samples, so at most the bound is accepted; payment is down, so none
	// of them finishes.
	var accepted []string
	var firstBody []byte
	var shed *http.Response
	var shedBody []byte
	for i := 0; shed == nil; i++ {
		if i > 50 {
			t.Fatalf("50 orders placed with payment down and a bound of 3: nothing was shed")
		}
		resp, b := post(fmt.Sprintf("adm-%d", i))
		switch resp.StatusCode {
		case http.StatusCreated:
			var o struct{ ID string }
			if err := json.Unmarshal(b, &o); err != nil {
				t.Fatal(err)
			}
			if firstBody == nil {
				firstBody = b
			}
			accepted = append(accepted, o.ID)
		case http.StatusServiceUnavailable:
			shed, shedBody = resp, b
		default:
			t.Fatalf("POST %d: %d %s", i, resp.StatusCode, b)
		}
	}
	if len(accepted) < 3 {
		t.Errorf("shed after %d accepted orders, want the bound 3 first", len(accepted))
	}
	var p struct {
		Status int    `json:"status"`
		Reason string `json:"reason"`
	}
	if shed.Header.Get("Retry-After") == "" || shed.Header.Get("Content-Type") != "application/problem+json" ||
		json.Unmarshal(shedBody, &p) != nil || p.Status != 503 || p.Reason == "" {
		t.Errorf("shed answer: Retry-After %q Content-Type %q body %s", shed.Header.Get("Retry-After"), shed.Header.Get("Content-Type"), shedBody)
	}

	// A retry of the first accepted order gets that order back.
	resp, b := post("adm-0")
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(b, firstBody) {
		t.Errorf("retry of an accepted order at the bound: %d replayed %q %s", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), b)
	}

	if err := st.StartService(ctx, "payment"); err != nil {
		t.Fatal(err)
	}
	awaitTerminal(t, st, accepted, 60*time.Second)
	// Admitted again once the gate has counted the drained pipeline.
	deadline := time.Now().Add(30 * time.Second)
	for {
		id, err := placeOrder(ctx, st, "adm-after", rand.New(rand.NewPCG(1, 2)))
		if err == nil && id != "" {
			break
		}
		if !strings.Contains(fmt.Sprint(err), "503") || time.Now().After(deadline) {
			t.Fatalf("after the pipeline drained: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
