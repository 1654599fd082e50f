package ports

import (
	"bytes"
	"net/http"
	"testing"
)

// FuzzDecodePlaceRequest: the request decoder never panics, every rejection
// is a 4xx naming a field, and what it accepts passes validation.
func FuzzDecodePlaceRequest(f *testing.F) {
	f.Add([]byte(`{"customer_id":"c-42","store_id":"store-1","items":[{"sku":"pizza-margherita","quantity":2}],"address":{"street":"1 Main St","city":"Springfield","postcode":"12345"}}`))
	f.Add([]byte(`{"customer_id":"c","store_id":"store-99","items":[],"address":{}}`))
	f.Add([]byte(`{"items":[{"sku":"a","quantity":0}]}`))
	f.Add([]byte(`{"extra":1}`))
	f.Add([]byte(`[`))
	f.Add([]byte(`{"items":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, rerr := DecodePlaceRequest(bytes.NewReader(body))
		if rerr != nil {
			if rerr.Status < 400 || rerr.Status >= 500 {
				t.Fatalf("status %d for bad input", rerr.Status)
			}
			if rerr.Field == "" {
				t.Fatalf("rejection names no field: %+v", rerr)
			}
			if rerr.Status == http.StatusRequestEntityTooLarge && len(body) <= MaxBodyBytes {
				t.Fatalf("413 for a %d-byte body", len(body))
			}
			return
		}
		if err := req.Validate(); err != nil {
			t.Fatalf("accepted request fails validation: %v", err)
		}
	})
}
