// Package domain predicts when an order will be delivered: it keeps the
// features of the saga's orders from their events (services/eta/model's
// Tracker), asks the model at placement and at every later step, and, when
// an order is delivered, scores the predictions it made.
package domain

import (
	"context"
	"fmt"
	"time"

	"github.com/bloody-sweet/platform/services/eta/model"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/world"
)

// Steps names the prediction points as EtaUpdated says them.
var Steps = [model.Stages]string{events.EtaStepPlaced, events.EtaStepAccepted, events.EtaStepReady,
	events.EtaStepCourierAssigned, events.EtaStepPickedUp}

// Prediction is one ETA to announce.
type Prediction struct {
	Ref          events.OrderRef
	Step         string
	ModelVersion string
	At           time.Time // wall time of the event that triggered it
	ETA          time.Time // median delivery time (wall)
	P10, P90     time.Time
	Remaining    time.Duration // median time left, world time
}

// Data is the EtaUpdated payload of p.
func (p Prediction) Data() events.EtaData {
	return events.EtaData{OrderRef: p.Ref, Step: p.Step, ModelVersion: p.ModelVersion, ETA: p.ETA, ETAP10: p.P10, ETAP90: p.P90,
		RemainingS: p.Remaining.Seconds()}
}

// Outcome is how one prediction of a delivered order fared, in world time.
type Outcome struct {
	Step         string
	ModelVersion string
	AbsError     time.Duration
	Hit          bool // the delivery fell inside P10-P90
}

// Predictor turns events into predictions and outcomes. It is not safe for
// concurrent use: the app serialises it.
type Predictor struct {
	world   *world.World
	model   *model.Model
	tracker *model.Tracker
	// made holds, per order, the prediction made at each step and when, to
	// score them at delivery.
	made map[string]*made
}

type made struct {
	est     [model.Stages]model.Estimate
	at      [model.Stages]time.Time
	version [model.Stages]string
	has     [model.Stages]bool
}

// NewPredictor predicts with m in world w, keeping the queues and the
// couriers in c (nil: in this process).
func NewPredictor(w *world.World, m *model.Model, c model.Counts) *Predictor {
	return &Predictor{world: w, model: m, tracker: model.NewTracker(w, c), made: map[string]*made{}}
}

// ModelVersion is the version of the model predicting.
func (p *Predictor) ModelVersion() string { return p.model.Version }

// Observe applies one event: a step of an order gives a prediction, its
// delivery gives the outcomes of the predictions made for it.
func (p *Predictor) Observe(ctx context.Context, e events.Envelope) (*Prediction, []Outcome, error) {
	u, ok, err := p.tracker.Observe(ctx, e)
	if err != nil || !ok {
		return nil, nil, err
	}
	switch {
	case u.Gone:
		delete(p.made, u.OrderID)
		return nil, nil, nil
	case u.Done != nil:
		return nil, p.score(u.OrderID, e.Time, *u.Done), nil
	}
	ref, err := events.DecodeData[events.StoreData](e) // every payload embeds the OrderRef
	if err != nil {
		return nil, nil, err
	}
	est, err := p.model.Predict(u.Features, u.Point)
	if err != nil {
		return nil, nil, fmt.Errorf("eta: order %s at %s: %w", u.OrderID, Steps[u.Point], err)
	}
	m := p.made[u.OrderID]
	if m == nil {
		m = &made{}
		p.made[u.OrderID] = m
	}
	m.est[u.Point], m.at[u.Point], m.version[u.Point], m.has[u.Point] = est, u.At, p.model.Version, true
	wc := p.world.Config()
	return &Prediction{Ref: ref.OrderRef, Step: Steps[u.Point], ModelVersion: p.model.Version, At: u.At,
		ETA: u.At.Add(wc.ToWall(est.P50)), P10: u.At.Add(wc.ToWall(est.P10)), P90: u.At.Add(wc.ToWall(est.P90)),
		Remaining: est.P50}, nil, nil
}

func (p *Predictor) score(id string, delivered time.Time, r model.Record) []Outcome {
	m := p.made[id]
	delete(p.made, id)
	if m == nil {
		return nil
	}
	var out []Outcome
	for s := range model.Stages {
		if !m.has[s] {
			continue
		}
		actual := r.Remaining(s)
		e := m.est[s]
		out = append(out, Outcome{Step: Steps[s], ModelVersion: m.version[s], AbsError: (e.P50 - actual).Abs(),
			Hit: actual >= e.P10 && actual <= e.P90})
	}
	return out
}
