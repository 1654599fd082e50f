//go:build faults

package faults

import (
	"context"
	"fmt"

	"github.com/bloody-sweet/platform/services/events"
)

// sagaReport is what the topics say about the customers' changes and the
// delivery-time predictions, per order: the invariants of the cancel and
// revise sagas (docs/CONTRACTS.md) that a fault must not break.
type sagaReport struct {
	// customerCancelled: orders the customer cancelled (OrderCancelled
	// with by_customer); each must end CANCELLED and never stay charged.
	customerCancelled map[string]bool
	// doubleRefunded: orders with more than one PaymentRefunded (distinct
	// event ids; a redelivery keeps its id).
	doubleRefunded int
	// revisions asked (OrderRevised); those the payment service answered
	// more than once (PaymentReauthorized or ...Declined); those not
	// decided as the saga says: answered once, and an authorized one then
	// applied or refused once (a declined one is refused without an event).
	revisions, doubleReauthorized, undecided int
	// predicted: orders with at least one EtaUpdated.
	predicted map[string]bool
}

type revisionKey struct {
	order    string
	revision int
}

// readSaga reads the order, payment and eta topics whole.
func readSaga(ctx context.Context, addr string) (sagaReport, error) {
	r := sagaReport{customerCancelled: map[string]bool{}, predicted: map[string]bool{}}
	refunds := map[string]int{}
	reauths, declines, decisions := map[revisionKey]int{}, map[revisionKey]int{}, map[revisionKey]int{}
	asked := map[revisionKey]bool{}
	seen := map[string]bool{}
	for _, topic := range []string{events.TopicOrder, events.TopicPayment, events.TopicETA} {
		msgs, err := readTopic(ctx, addr, topic)
		if err != nil {
			return r, fmt.Errorf("read %s: %w", topic, err)
		}
		for _, m := range msgs {
			ev, err := events.Decode(m.Value)
			if err != nil || seen[ev.ID] {
				continue
			}
			seen[ev.ID] = true
			switch ev.Type {
			case events.OrderCancelled:
				d, err := events.DecodeData[events.OrderCancelledData](ev)
				if err == nil && d.ByCustomer {
					r.customerCancelled[ev.Subject] = true
				}
			case events.PaymentRefunded:
				refunds[ev.Subject]++
			case events.OrderRevised:
				d, err := events.DecodeData[events.OrderRevisedData](ev)
				if err == nil {
					asked[revisionKey{ev.Subject, d.Revision}] = true
				}
			case events.PaymentReauthorized, events.PaymentReauthorizationDeclined:
				d, err := events.DecodeData[events.PaymentData](ev)
				if err == nil && ev.Type == events.PaymentReauthorized {
					reauths[revisionKey{ev.Subject, d.Revision}]++
				} else if err == nil {
					declines[revisionKey{ev.Subject, d.Revision}]++
				}
			case events.OrderRevisionApplied, events.OrderRevisionRefused:
				d, err := events.DecodeData[events.RevisionData](ev)
				if err == nil {
					decisions[revisionKey{ev.Subject, d.Revision}]++
				}
			case events.EtaUpdated:
				r.predicted[ev.Subject] = true
			}
		}
	}
	for _, n := range refunds {
		if n > 1 {
			r.doubleRefunded++
		}
	}
	r.revisions = len(asked)
	for k := range asked {
		answers := reauths[k] + declines[k]
		if answers > 1 {
			r.doubleReauthorized++
		}
		if answers != 1 || decisions[k] != reauths[k] {
			r.undecided++
		}
	}
	return r, nil
}

// unpredicted counts the ids without an EtaUpdated.
func (r sagaReport) unpredicted(ids []string) int {
	n := 0
	for _, id := range ids {
		if !r.predicted[id] {
			n++
		}
	}
	return n
}
