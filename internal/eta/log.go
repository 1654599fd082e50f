package eta

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/bloody-sweet/platform/services/eta/model"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/world"
)

// WriteLog writes simulated trips as the saga's event log (one envelope per
// line, JSON), stamped in wall time as services at the world's Scale would
// have written them, so `platform eta train --from` reads a simulated log
// and a recorded one alike.
func WriteLog(out io.Writer, w *world.World, trips []world.Trip) error {
	bw := bufio.NewWriter(out)
	c := w.Config()
	for _, t := range trips {
		ref := events.OrderRef{OrderID: t.ID, StoreID: t.Store, CustomerID: "sim"}
		items := make([]events.Item, t.Items)
		for i := range items {
			items[i] = events.Item{SKU: fmt.Sprintf("sku-%d", i+1), Quantity: 1, PriceCents: 500}
		}
		steps := []struct {
			typ  events.Type
			data any
		}{
			{events.OrderPlaced, events.OrderPlacedData{OrderRef: ref, Items: items, Address: events.Address{Street: "1 Sim St", City: "Sim", Postcode: world.Postcode(t.Zone)}, TotalCents: int64(500 * t.Items)}},
			{events.OrderAccepted, events.StoreData{OrderRef: ref}},
			{events.OrderReady, events.StoreData{OrderRef: ref}},
			{events.CourierAssigned, events.DeliveryData{OrderRef: ref, CourierID: "courier"}},
			{events.OrderPickedUp, events.DeliveryData{OrderRef: ref, CourierID: "courier"}},
			{events.OrderDelivered, events.DeliveryData{OrderRef: ref, CourierID: "courier"}},
		}
		for s, st := range steps {
			at := world.Start().Add(c.ToWall(t.At[s].Sub(world.Start())))
			e, err := events.New(st.typ, t.ID, at, st.data)
			if err != nil {
				return err
			}
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if _, err := bw.Write(append(b, '\n')); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// ReadLog reads an event log (one envelope per line); a line that is not
// an event is an error naming its line.
func ReadLog(in io.Reader, name string) ([]events.Envelope, error) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), events.MaxEventSize+1)
	var out []events.Envelope
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		e, err := events.Decode(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// Train trains a model on the delivered orders of an event log.
func Train(w *world.World, log []events.Envelope) (*model.Model, error) {
	recs, err := model.Replay(w, log)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("no delivered order in %d events", len(log))
	}
	var last = log[0].Time
	for _, e := range log {
		if e.Time.After(last) {
			last = e.Time
		}
	}
	return model.Train(recs, last)
}
