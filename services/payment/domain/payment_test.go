package domain

import (
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
)

// TestEventCarriesTheCustomer: the authorization event copies the order's
// customer from the OrderPlaced reference, so the notification service can
// tell who may stream the order whichever event it sees first.
func TestEventCarriesTheCustomer(t *testing.T) {
	t.Parallel()
	ref := events.OrderRef{OrderID: "o-1", StoreID: "store-1", CustomerID: "alice"}
	e, err := FromResult(ref, 1200, Result{Approved: true, PaymentID: "p-1"}).Event(time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	d, err := events.DecodeData[events.PaymentData](e)
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != events.PaymentAuthorized || d.CustomerID != "alice" {
		t.Errorf("%s with customer %q, want PaymentAuthorized for alice", e.Type, d.CustomerID)
	}
}
