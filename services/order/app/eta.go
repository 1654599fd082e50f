package app

import (
	"context"
	"time"

	"github.com/bloody-sweet/platform/services/events"
)

// ETA is an order's latest delivery-time prediction, the order service's
// read model of eta.events.v1: the point and the P10-P90 interval (wall
// times), the step and the time it was made at and the model version.
type ETA struct {
	OrderID      string
	Step         string
	ModelVersion string
	At, P10, P90 time.Time
	MadeAt       time.Time
}

// StepRank orders the steps an ETA is made at: a prediction replaces the
// stored one when it was made at a later step, or at the same step later
// (an EtaUpdated redelivered or overtaken by a later one changes nothing).
func StepRank(step string) int {
	return map[string]int{events.EtaStepPlaced: 1, events.EtaStepAccepted: 2, events.EtaStepReady: 3,
		events.EtaStepCourierAssigned: 4, events.EtaStepPickedUp: 5}[step]
}

// ETAStore keeps the latest ETA of each order.
type ETAStore interface {
	// PutETAs stores each ETA unless the order's stored one ranks higher
	// (StepRank, then MadeAt).
	PutETAs(ctx context.Context, etas []ETA) error
	// ETAs returns the stored ETAs of the orders ids (absent: none yet).
	ETAs(ctx context.Context, ids []string) (map[string]ETA, error)
}

// WithETAs gives the app the store of its ETA read model; without it the
// app ignores EtaUpdated and answers no ETA.
func (a *App) WithETAs(s ETAStore) *App {
	a.etas = s
	return a
}

// ETAs returns the latest ETAs of the orders ids.
func (a *App) ETAs(ctx context.Context, ids []string) (map[string]ETA, error) {
	if a.etas == nil || len(ids) == 0 {
		return map[string]ETA{}, nil
	}
	return a.etas.ETAs(ctx, ids)
}

// splitETAs takes the EtaUpdated events out of a batch: they update the
// ETA read model, not the order.
func splitETAs(in []events.Incoming) (rest []events.Incoming, etas []ETA, err error) {
	rest = in[:0:0]
	for _, d := range in {
		if d.Event.Type != events.EtaUpdated {
			rest = append(rest, d)
			continue
		}
		p, err := events.DecodeData[events.EtaData](d.Event)
		if err != nil {
			return nil, nil, err
		}
		if StepRank(p.Step) == 0 {
			return nil, nil, &events.DecodeError{Field: "data.step", Reason: "unknown step " + p.Step}
		}
		etas = append(etas, ETA{OrderID: p.OrderID, Step: p.Step, ModelVersion: p.ModelVersion, At: p.ETA, P10: p.ETAP10, P90: p.ETAP90, MadeAt: d.Event.Time})
	}
	return rest, etas, nil
}

// putETAs stores a batch's ETAs (a database error is transient: the
// consumer retries the batch, and storing again changes nothing).
func (a *App) putETAs(ctx context.Context, etas []ETA) error {
	if a.etas == nil || len(etas) == 0 {
		return nil
	}
	return a.etas.PutETAs(ctx, etas)
}
