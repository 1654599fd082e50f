package ports

import (
	"context"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/internal/svc"
	"github.com/bloody-sweet/platform/services/order/adapters"
	"github.com/bloody-sweet/platform/services/order/app"
)

// Spec is the order service: the app's HTTP API, consuming the payment,
// store and delivery events.
func Spec() svc.Spec {
	return svc.Spec{
		Name:       "order",
		API:        true,
		Consumes:   []string{events.TopicPayment, events.TopicStore, events.TopicDelivery},
		Produces:   []string{events.TopicOrder},
		Migrations: adapters.Migrations(),
		Build: func(ctx context.Context, rt *svc.Runtime) (*svc.Parts, error) {
			a, err := app.New(ctx, adapters.NewSQLRepository(rt.DB), rt.Relay, app.NewMetrics(rt.Registry))
			if err != nil {
				return nil, err
			}
			return &svc.Parts{
				Routes: API{App: a}.Routes(),
				Handler: func(ctx context.Context, batch []kafka.Delivery) error {
					in := make([]app.Incoming, len(batch))
					for i, d := range batch {
						in[i] = app.Incoming{Ctx: d.Ctx, Event: d.Event}
					}
					return a.Handle(ctx, in)
				},
			}, nil
		},
	}
}
