package events

import (
	"testing"
	"time"
)

// FuzzDecode: the event decoder never panics, and what it accepts
// re-encodes to an envelope it accepts again with the same attributes.
func FuzzDecode(f *testing.F) {
	e, _ := New(OrderPlaced, "o-1", time.Unix(1700000000, 0), OrderPlacedData{OrderRef: OrderRef{OrderID: "o-1", StoreID: "store-1"}})
	good, _ := Encode(e)
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"x","type":"Nope","specversion":"1.0"}`))
	f.Add([]byte(`{"id":"x","type":"OrderPlaced","source":"/s","specversion":"1.0","time":"2026-01-01T00:00:00Z","subject":"o","dataversion":1,"data":[]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(b)
		if err != nil {
			if !IsDecodeError(err) {
				t.Fatalf("error %v is not a DecodeError", err)
			}
			return
		}
		again, err := Encode(e)
		if err != nil {
			t.Fatalf("accepted envelope does not encode: %v", err)
		}
		e2, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded envelope rejected: %v", err)
		}
		if e2.ID != e.ID || e2.Type != e.Type || e2.Subject != e.Subject || !e2.Time.Equal(e.Time) {
			t.Fatalf("round trip changed the envelope: %+v vs %+v", e, e2)
		}
	})
}
