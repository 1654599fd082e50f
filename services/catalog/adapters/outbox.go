package adapters

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/bloody-sweet/platform/services/internal/kafka"
)

// Pending is one queued event and the restaurant whose outbox holds it.
type Pending struct {
	Restaurant string
	Message    kafka.Outgoing
	ID         string
}

// Pending returns up to limit queued events, oldest change first within a
// restaurant (the order the outbox array keeps), from the restaurants that
// hold any.
func (r *MongoRepository) Pending(ctx context.Context, limit int) ([]Pending, error) {
	cur, err := r.c.Find(ctx, bson.D{{Key: "outbox.0", Value: bson.D{{Key: "$exists", Value: true}}}},
		options.Find().SetProjection(bson.D{{Key: "outbox", Value: 1}}).SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("catalog: read outbox: %w", err)
	}
	defer cur.Close(ctx)
	var out []Pending
	for len(out) < limit && cur.Next(ctx) {
		var d struct {
			ID     string      `bson:"_id"`
			Outbox []outboxDoc `bson:"outbox"`
		}
		if err := cur.Decode(&d); err != nil {
			return nil, fmt.Errorf("catalog: read outbox: %w", err)
		}
		for _, o := range d.Outbox {
			out = append(out, Pending{Restaurant: d.ID, ID: o.ID, Message: kafka.Outgoing{Topic: o.Topic, Key: o.Key, Value: o.Value}})
		}
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("catalog: read outbox: %w", err)
	}
	return out, nil
}

// Sent removes published events from their restaurants' outboxes. Each is
// popped off the front only while it is still the first entry: the relay
// publishes an outbox from its front, later changes only append, and a
// second relay (another replica) that published the same entry cannot pop
// an event nobody published. (FerretDB v1 ignores a $pull by condition.)
func (r *MongoRepository) Sent(ctx context.Context, sent []Pending) error {
	for _, p := range sent {
		_, err := r.c.UpdateOne(ctx, bson.D{{Key: "_id", Value: p.Restaurant}, {Key: "outbox.0.id", Value: p.ID}},
			bson.D{{Key: "$pop", Value: bson.D{{Key: "outbox", Value: -1}}}})
		if err != nil {
			return fmt.Errorf("catalog: clear outbox of %s: %w", p.Restaurant, err)
		}
	}
	return nil
}

// Publisher writes messages to Kafka (kafka.Producer).
type Publisher interface {
	Publish(ctx context.Context, msgs []kafka.Outgoing) error
}

// RelayOnce publishes up to limit queued events and removes them from the
// outboxes. An event is removed only after the broker acknowledged it, so
// a crash in between publishes it again (at least once; consumers dedupe
// by event id and version). It returns how many it published.
func (r *MongoRepository) RelayOnce(ctx context.Context, pub Publisher, limit int) (int, error) {
	pend, err := r.Pending(ctx, limit)
	if err != nil || len(pend) == 0 {
		return 0, err
	}
	msgs := make([]kafka.Outgoing, len(pend))
	for i, p := range pend {
		msgs[i] = p.Message
	}
	if err := pub.Publish(ctx, msgs); err != nil {
		return 0, err
	}
	return len(pend), r.Sent(ctx, pend)
}
