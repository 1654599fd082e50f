// Package adapters stores the catalog through the MongoDB API (DocumentDB
// in production, FerretDB embedded or on Postgres in the demo and tests)
// and relays its outbox to Kafka.
package adapters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/bloody-sweet/platform/services/catalog/app"
	"github.com/bloody-sweet/platform/services/catalog/domain"
	"github.com/bloody-sweet/platform/services/events"
)

// Collection holds one document per restaurant, its menu inside.
const Collection = "restaurants"

// The document shapes: the storage format is declared here only, apart
// from the domain and from the wire.
type (
	restaurantDoc struct {
		ID           string     `bson:"_id"`
		Name         string     `bson:"name"`
		Cuisine      string     `bson:"cuisine"`
		Location     pointDoc   `bson:"location"`
		Hours        []hoursDoc `bson:"hours"`
		PrepCapacity int        `bson:"prep_capacity"`
		Items        []itemDoc  `bson:"items"`
		Version      int64      `bson:"version"`
		UpdatedAt    time.Time  `bson:"updated_at"`
		// Outbox holds the events of the changes not yet published.
		Outbox []outboxDoc `bson:"outbox"`
	}
	pointDoc struct {
		Lat float64 `bson:"lat"`
		Lon float64 `bson:"lon"`
	}
	hoursDoc struct {
		Day   int `bson:"day"`
		Open  int `bson:"open"`
		Close int `bson:"close"`
	}
	itemDoc struct {
		ID         string     `bson:"id"`
		Name       string     `bson:"name"`
		PriceCents int64      `bson:"price_cents"`
		Available  bool       `bson:"available"`
		Options    []groupDoc `bson:"options"`
	}
	groupDoc struct {
		ID      string      `bson:"id"`
		Name    string      `bson:"name"`
		Min     int         `bson:"min"`
		Max     int         `bson:"max"`
		Choices []choiceDoc `bson:"choices"`
	}
	choiceDoc struct {
		ID         string `bson:"id"`
		Name       string `bson:"name"`
		PriceCents int64  `bson:"price_cents"`
	}
	outboxDoc struct {
		ID    string `bson:"id"`
		Topic string `bson:"topic"`
		Key   string `bson:"key"`
		Value []byte `bson:"value"`
	}
)

// MongoRepository is the catalog's app.Repository.
type MongoRepository struct {
	c *mongo.Collection
}

// NewMongoRepository stores the catalog in db.
func NewMongoRepository(db *mongo.Database) *MongoRepository {
	return &MongoRepository{c: db.Collection(Collection)}
}

// EnsureIndexes creates the indexes the queries use; it is idempotent.
func (r *MongoRepository) EnsureIndexes(ctx context.Context) error {
	// One at a time: FerretDB v1 panics on a createIndexes of several
	// indexes that all exist already.
	for _, m := range []mongo.IndexModel{
		{Keys: bson.D{{Key: "cuisine", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "outbox.0", Value: 1}}},
	} {
		if _, err := r.c.Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("catalog: create indexes: %w", err)
		}
	}
	return nil
}

// restaurant fields without the outbox, which only the relay reads.
var noOutbox = bson.D{{Key: "outbox", Value: 0}}

// List implements app.Repository.
func (r *MongoRepository) List(ctx context.Context, q app.Query) ([]domain.Restaurant, error) {
	filter := bson.D{}
	if q.Cuisine != "" {
		filter = append(filter, bson.E{Key: "cuisine", Value: q.Cuisine})
	}
	if q.After != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$gt", Value: q.After}}})
	}
	cur, err := r.c.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).
		SetLimit(int64(q.Limit)).SetProjection(noOutbox))
	if err != nil {
		return nil, fmt.Errorf("catalog: list restaurants: %w", err)
	}
	var docs []restaurantDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("catalog: list restaurants: %w", err)
	}
	out := make([]domain.Restaurant, len(docs))
	for i, d := range docs {
		out[i] = d.domain()
	}
	return out, nil
}

// Get implements app.Repository.
func (r *MongoRepository) Get(ctx context.Context, id string) (domain.Restaurant, error) {
	var d restaurantDoc
	err := r.c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(noOutbox)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Restaurant{}, domain.ErrNotFound
	}
	if err != nil {
		return domain.Restaurant{}, fmt.Errorf("catalog: get restaurant %s: %w", id, err)
	}
	return d.domain(), nil
}

// Save implements app.Repository: an insert for a new restaurant (a
// duplicate key means another writer created it first), else an update
// conditional on the version, which appends the events to the document's
// outbox in the same single-document write.
func (r *MongoRepository) Save(ctx context.Context, rest domain.Restaurant, prev int64, out []events.Envelope) error {
	d := fromDomain(rest)
	for _, e := range out {
		b, err := events.Encode(e)
		if err != nil {
			return err
		}
		d.Outbox = append(d.Outbox, outboxDoc{ID: e.ID, Topic: e.Topic(), Key: e.Subject, Value: b})
	}
	if prev == 0 {
		_, err := r.c.InsertOne(ctx, d)
		if mongo.IsDuplicateKeyError(err) {
			return app.ErrConflict
		}
		if err != nil {
			return fmt.Errorf("catalog: insert restaurant %s: %w", rest.ID, err)
		}
		return nil
	}
	set := bson.D{
		{Key: "name", Value: d.Name}, {Key: "cuisine", Value: d.Cuisine}, {Key: "location", Value: d.Location},
		{Key: "hours", Value: d.Hours}, {Key: "prep_capacity", Value: d.PrepCapacity}, {Key: "items", Value: d.Items},
		{Key: "version", Value: d.Version}, {Key: "updated_at", Value: d.UpdatedAt},
	}
	res, err := r.c.UpdateOne(ctx, bson.D{{Key: "_id", Value: rest.ID}, {Key: "version", Value: prev}}, bson.D{
		{Key: "$set", Value: set},
		{Key: "$push", Value: bson.D{{Key: "outbox", Value: bson.D{{Key: "$each", Value: d.Outbox}}}}},
	})
	if err != nil {
		return fmt.Errorf("catalog: update restaurant %s: %w", rest.ID, err)
	}
	if res.MatchedCount == 0 {
		return app.ErrConflict
	}
	return nil
}

func fromDomain(r domain.Restaurant) restaurantDoc {
	d := restaurantDoc{
		ID: r.ID, Name: r.Name, Cuisine: r.Cuisine, Location: pointDoc{r.Location.Lat, r.Location.Lon},
		PrepCapacity: r.PrepCapacity, Version: r.Version, UpdatedAt: r.UpdatedAt,
		Hours: []hoursDoc{}, Items: []itemDoc{}, Outbox: []outboxDoc{},
	}
	for _, h := range r.Hours {
		d.Hours = append(d.Hours, hoursDoc{int(h.Day), h.Open, h.Close})
	}
	for _, it := range r.Menu.Items {
		item := itemDoc{ID: it.ID, Name: it.Name, PriceCents: it.PriceCents, Available: it.Available, Options: []groupDoc{}}
		for _, g := range it.Options {
			group := groupDoc{ID: g.ID, Name: g.Name, Min: g.Min, Max: g.Max, Choices: []choiceDoc{}}
			for _, c := range g.Choices {
				group.Choices = append(group.Choices, choiceDoc{c.ID, c.Name, c.PriceCents})
			}
			item.Options = append(item.Options, group)
		}
		d.Items = append(d.Items, item)
	}
	return d
}

func (d restaurantDoc) domain() domain.Restaurant {
	r := domain.Restaurant{
		ID: d.ID, Name: d.Name, Cuisine: d.Cuisine, Location: domain.Location{Lat: d.Location.Lat, Lon: d.Location.Lon},
		PrepCapacity: d.PrepCapacity, Version: d.Version, UpdatedAt: d.UpdatedAt.UTC(),
	}
	for _, h := range d.Hours {
		r.Hours = append(r.Hours, domain.OpeningHours{Day: time.Weekday(h.Day), Open: h.Open, Close: h.Close})
	}
	for _, it := range d.Items {
		item := domain.MenuItem{ID: it.ID, Name: it.Name, PriceCents: it.PriceCents, Available: it.Available}
		for _, g := range it.Options {
			group := domain.OptionGroup{ID: g.ID, Name: g.Name, Min: g.Min, Max: g.Max}
			for _, c := range g.Choices {
				group.Choices = append(group.Choices, domain.Choice{ID: c.ID, Name: c.Name, PriceCents: c.PriceCents})
			}
			item.Options = append(item.Options, group)
		}
		r.Menu.Items = append(r.Menu.Items, item)
	}
	return r
}
