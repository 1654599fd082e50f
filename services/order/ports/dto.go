package ports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/bloody-sweet/platform/services/apiclient"
	"github.com/bloody-sweet/platform/services/order/app"
	"github.com/bloody-sweet/platform/services/order/domain"
)

// The order API's wire shapes are services/apiclient's (declared once, the
// schemas in api/ are made from them): this file maps them to the domain.

// draftOf is the domain's view of a POST /v1/orders body.
func draftOf(req apiclient.OrderRequest) domain.Draft {
	d := domain.Draft{StoreID: req.StoreID, Address: req.Address}
	for _, it := range req.Items {
		d.Items = append(d.Items, domain.Line{SKU: it.SKU, Quantity: it.Quantity})
	}
	return d
}

// linesOf is the domain's view of a revision's lines.
func linesOf(items []apiclient.Item) []domain.Line {
	var out []domain.Line
	for _, it := range items {
		out = append(out, domain.Line{SKU: it.SKU, Quantity: it.Quantity})
	}
	return out
}

// fingerprint identifies a decoded request body: the same content written
// with other spacing or key order is the same request.
func fingerprint(body any) string {
	b, _ := json.Marshal(body)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// orderDTO is an order as the API answers it.
func orderDTO(o domain.Order) apiclient.Order {
	var rev *apiclient.Revision
	if r := o.Revision; r != nil {
		rev = &apiclient.Revision{Number: r.Number, Items: r.Items, TotalCents: r.TotalCents, Status: r.Status,
			Reason: r.Reason, RequestedAt: r.RequestedAt, DecidedAt: r.DecidedAt}
	}
	return apiclient.Order{Revision: rev,
		ID: o.ID, CustomerID: o.CustomerID, StoreID: o.StoreID, Items: o.Items, Address: o.Address,
		TotalCents: o.TotalCents, Status: o.Status, CancelReason: o.CancelReason,
		PlacedAt: o.PlacedAt, PaidAt: o.PaidAt, AcceptedAt: o.AcceptedAt, ReadyAt: o.ReadyAt,
		PickedUpAt: o.PickedUpAt, DeliveredAt: o.DeliveredAt, CancelledAt: o.CancelledAt,
	}
}

// OrderJSON is the app's Presenter: the body of an answer carrying o.
func OrderJSON(o domain.Order) ([]byte, error) { return json.Marshal(orderDTO(o)) }

// withETA is an order's answer with its latest ETA, if there is one.
func withETA(o apiclient.Order, etas map[string]app.ETA) apiclient.Order {
	if e, ok := etas[o.ID]; ok {
		o.ETA = &apiclient.ETA{At: e.At, P10: e.P10, P90: e.P90, Step: e.Step, MadeAt: e.MadeAt, ModelVersion: e.ModelVersion}
	}
	return o
}
