package events

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	e, err := New(PaymentAuthorized, "o-1", at, PaymentData{OrderRef: OrderRef{OrderID: "o-1", StoreID: "store-3"}, AmountCents: 1299})
	if err != nil {
		t.Fatal(err)
	}
	if e.Topic() != TopicPayment || e.Source != "/services/payment" || e.SpecVersion != "1.0" {
		t.Errorf("envelope %+v", e)
	}
	b, _ := Encode(e)
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(e, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	p, err := DecodeData[PaymentData](got)
	if err != nil || p.AmountCents != 1299 || p.StoreID != "store-3" {
		t.Errorf("data %+v err %v", p, err)
	}
}

func TestDecodeNamesTheField(t *testing.T) {
	t.Parallel()
	good := `{"id":"e1","type":"OrderReady","source":"/s","specversion":"1.0","time":"2026-01-01T00:00:00Z","subject":"o-1","dataversion":1,"data":{"order_id":"o-1"}}`
	if _, err := Decode([]byte(good)); err != nil {
		t.Fatalf("good envelope: %v", err)
	}
	cases := map[string]struct{ edit, field string }{
		"no id":          {`"id":"e1"`, "id"},
		"unknown type":   {`"type":"OrderReady"`, "type"},
		"old spec":       {`"specversion":"1.0"`, "specversion"},
		"no subject":     {`"subject":"o-1"`, "subject"},
		"future version": {`"dataversion":1`, "dataversion"},
		"array data":     {`"data":{"order_id":"o-1"}`, "data"},
	}
	repl := map[string]string{"id": `"id":""`, "type": `"type":"Nope"`, "specversion": `"specversion":"0.3"`,
		"subject": `"subject":""`, "dataversion": `"dataversion":9`, "data": `"data":[1]`}
	for name, tc := range cases {
		_, err := Decode([]byte(strings.Replace(good, tc.edit, repl[tc.field], 1)))
		de, ok := err.(*DecodeError)
		if !ok || de.Field != tc.field {
			t.Errorf("%s: %v, want a DecodeError on %q", name, err, tc.field)
		}
	}
	if _, err := Decode([]byte(`{"id":`)); !IsDecodeError(err) {
		t.Errorf("truncated: %v", err)
	}
	e, _ := Decode([]byte(good))
	e.Subject = "o-2"
	if _, err := DecodeData[StoreData](e); !IsDecodeError(err) {
		t.Errorf("subject mismatch accepted: %v", err)
	}
}

func TestEveryTypeHasATopicAndDLQ(t *testing.T) {
	t.Parallel()
	for typ, topic := range topicOf {
		if !strings.HasSuffix(topic, ".v1") {
			t.Errorf("%s on unversioned topic %s", typ, topic)
		}
		if _, ok := DataOf(typ); !ok {
			t.Errorf("%s has no payload type", typ)
		}
	}
	if len(dataOf) != len(topicOf) {
		t.Errorf("%d payload types for %d event types", len(dataOf), len(topicOf))
	}
	if got := len(AllTopicsWithDLQ()); got != 10 {
		t.Errorf("%d topics with DLQs, want 10", got)
	}
}
