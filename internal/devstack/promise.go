package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/bloody-sweet/platform/services/events"
)

// Promise is how the delivery times the eta service promised held: per
// delivered order its first prediction (at placement, or at a later step
// when the order's placement reached the eta service after it), over the
// orders it promised for the mean absolute error in world time and the
// share delivered inside the P10-P90 interval. Every event time is the
// simulated world's: the payment provider stamps its answer at the
// order's time plus its latency, the store and the couriers take the time
// of the event they act on as their clock, so a backlog in the pipeline
// (the demo places hundreds of orders at once) does not count as time.
type Promise struct {
	Orders   int
	MAE      time.Duration // world time
	Within   float64
	Promised time.Duration // mean promised time to delivery, world time
	Actual   time.Duration // mean actual time to delivery, world time
}

// rank orders the steps a promise can be made at.
var rank = map[string]int{events.EtaStepPlaced: 1, events.EtaStepAccepted: 2, events.EtaStepReady: 3, events.EtaStepCourierAssigned: 4, events.EtaStepPickedUp: 5}

// promises reads the EtaUpdated events from the stack's broker and keeps,
// per order, the first prediction (an order whose events reached the eta
// service late gets its first one at a later step).
func promises(ctx context.Context, broker string) (map[string]events.EtaData, error) {
	out := map[string]events.EtaData{}
	for p := range events.Partitions {
		if err := readPartition(ctx, broker, p, func(e events.Envelope) error {
			if e.Type != events.EtaUpdated {
				return nil
			}
			d, err := events.DecodeData[events.EtaData](e)
			if err != nil || rank[d.Step] == 0 {
				return err
			}
			if prev, ok := out[d.OrderID]; !ok || rank[d.Step] < rank[prev.Step] {
				out[d.OrderID] = d
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("devstack: read %s partition %d: %w", events.TopicETA, p, err)
		}
	}
	return out, nil
}

// readPartition hands every event of one partition of the eta topic, up
// to its end when called, to fn.
func readPartition(ctx context.Context, broker string, p int, fn func(events.Envelope) error) error {
	conn, err := kafka.DialLeader(ctx, "tcp", broker, events.TopicETA, p)
	if err != nil {
		return err
	}
	defer conn.Close()
	first, last, err := conn.ReadOffsets()
	if err != nil {
		return err
	}
	if _, err := conn.Seek(first, kafka.SeekAbsolute); err != nil {
		return err
	}
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	for off := first; off < last; {
		batch := conn.ReadBatch(1, 10<<20)
		for off < last {
			m, err := batch.ReadMessage()
			if err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				_ = batch.Close()
				return err
			}
			off = m.Offset + 1
			e, err := events.Decode(m.Value)
			if err != nil {
				_ = batch.Close()
				return err
			}
			if err := fn(e); err != nil {
				_ = batch.Close()
				return err
			}
		}
		if err := batch.Close(); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
	}
	return nil
}

// keep scores the promises against the delivery times the stream showed
// (wall times, scale world seconds per wall second). A promise was made
// RemainingS world seconds before its ETA.
func keep(promised map[string]events.EtaData, deliveredAt map[string]time.Time, scale float64) Promise {
	var p Promise
	var absErr, prom, act float64
	for id, at := range deliveredAt {
		d, ok := promised[id]
		if !ok {
			continue
		}
		p.Orders++
		from := d.ETA.Add(-time.Duration(d.RemainingS / scale * float64(time.Second)))
		absErr += math.Abs(float64(at.Sub(d.ETA)))
		act += float64(at.Sub(from))
		prom += float64(d.ETA.Sub(from))
		if !at.Before(d.ETAP10) && !at.After(d.ETAP90) {
			p.Within++
		}
	}
	if p.Orders == 0 {
		return p
	}
	n := float64(p.Orders)
	p.MAE = time.Duration(absErr / n * scale)
	p.Promised, p.Actual = time.Duration(prom/n*scale), time.Duration(act/n*scale)
	p.Within /= n
	return p
}
