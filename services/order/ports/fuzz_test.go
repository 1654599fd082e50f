package ports

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzDecodePlaceRequest: the request decoder never panics, every rejection
// is a 4xx naming a field, and what it accepts passes validation.
func FuzzDecodePlaceRequest(f *testing.F) {
	f.Add([]byte(`{"store_id":"store-1","items":[{"sku":"pizza-margherita","quantity":2}],"address":{"street":"1 Main St","city":"Springfield","postcode":"12345"}}`))
	f.Add([]byte(`{"customer_id":"c","store_id":"store-99","items":[],"address":{}}`))
	// Keys encoding/json would fold or let the last one win.
	f.Add([]byte(`{"store_id":"store-1","Store_ID":"store-2"}`))
	f.Add([]byte(`{"store_id":"store-1","store_id":"store-2"}`))
	f.Add([]byte(`{"ſtore_id":"store-1"}`))
	f.Add([]byte(`{"items":[{"sku":"a","quantity":1,"quantity":2}]}`))
	f.Add([]byte(`{"address":{"street":"x","\u0073treet":"y"}}`))
	// Text encoding/json would store: control characters, invalid UTF-8,
	// unpaired surrogates.
	f.Add([]byte(`{"store_id":"store-1","items":[{"sku":"pizza-margherita","quantity":2}],"address":{"street":"1\u0000","city":"a\u001bb","postcode":"\ud800"}}`))
	f.Add([]byte("{\"store_id\":\"store-1\",\"items\":[{\"sku\":\"pizza-margherita\",\"quantity\":2}],\"address\":{\"street\":\"\xff\",\"city\":\"c\",\"postcode\":\"1\"}}"))
	f.Add([]byte(`{"items":[{"sku":"a","quantity":0}]}`))
	f.Add([]byte(`{"extra":1}`))
	f.Add([]byte(`[`))
	f.Add([]byte(`{"items":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, _, rerr := DecodePlaceRequest(bytes.NewReader(body))
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
		// Every accepted text is clean UTF-8 without control characters.
		texts := map[string]string{"store_id": req.StoreID, "address.street": req.Address.Street, "address.city": req.Address.City, "address.postcode": req.Address.Postcode}
		for i, it := range req.Items {
			texts[fmt.Sprintf("items[%d].sku", i)] = it.SKU
		}
		for f, v := range texts {
			if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
				t.Fatalf("accepted %s = %q", f, v)
			}
		}
	})
}
