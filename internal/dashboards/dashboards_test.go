package dashboards

import (
	"encoding/json"
	"strings"
	"testing"
)

// services is a small model: an api that consumes (like order) and a
// consumer with an outbox, with the queries #Signals renders.
func services() []Service {
	sel := func(n string) string { return `namespace="orders-dev",service="` + n + `"` }
	ratio := func(n, m, w string) string {
		return "sum(rate(" + m + "{" + sel(n) + "}[" + w + "])) / sum(rate(kafka_messages_consumed_total{" + sel(n) + "}[" + w + "]))"
	}
	return []Service{
		{
			Name: "order", Kind: "api", Environment: "dev", Namespace: "orders-dev", Selector: sel("order"),
			Consumes: []string{"payment.events.v1"}, Produces: []string{"order.events.v1"}, Outbox: true,
			SLO:     SLO{SuccessRate: 0.99, P99LatencySeconds: 0.5, MaxConsumerLag: 1000, Availability: 0.999},
			Budgets: []Budget{{What: "HTTP 5xx", Ratio30d: `sum(rate(http_requests_total{` + sel("order") + `,code=~"5.."}[30d])) / sum(rate(http_requests_total{` + sel("order") + `}[30d]))`}},
			Signals: Signals{
				HTTPErrorRatio:    `sum(rate(http_requests_total{` + sel("order") + `,code=~"5.."}[5m])) / sum(rate(http_requests_total{` + sel("order") + `}[5m]))`,
				P99:               `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{` + sel("order") + `}[5m])))`,
				HandlerErrorRatio: ratio("order", "kafka_messages_failed_total", "5m"),
				ConsumerLag:       `sum(max by (topic, partition) (kafka_consumer_lag{` + sel("order") + `}))`,
				ConsumerBlocked:   `sum(kafka_consumer_blocked{` + sel("order") + `})`,
				OutboxBacklog:     `max(outbox_backlog{` + sel("order") + `})`,
			},
			Canary: []Canary{{Name: "success-rate", FailureLimit: 1, Op: ">=", Threshold: 0.99,
				Canary: `sum(rate(http_requests_total{` + sel("order") + `,pod=~"order-$canary_hash-.*",code!~"5.."}[2m])) / sum(rate(http_requests_total{` + sel("order") + `,pod=~"order-$canary_hash-.*"}[2m]))`,
				Stable: `sum(rate(http_requests_total{` + sel("order") + `,pod!~"order-$canary_hash-.*",code!~"5.."}[2m])) / sum(rate(http_requests_total{` + sel("order") + `,pod!~"order-$canary_hash-.*"}[2m]))`,
			}},
		},
		{
			Name: "payment", Kind: "consumer", Environment: "dev", Namespace: "orders-dev", Selector: sel("payment"),
			Consumes: []string{"order.events.v1"}, Produces: []string{"payment.events.v1"}, Outbox: true,
			SLO:     SLO{SuccessRate: 0.99, MaxConsumerLag: 1000, Availability: 0.999},
			Budgets: []Budget{{What: "Kafka handler failures", Ratio30d: ratio("payment", "kafka_messages_failed_total", "30d")}},
			Signals: Signals{
				HandlerErrorRatio: ratio("payment", "kafka_messages_failed_total", "5m"),
				ConsumerLag:       `sum(max by (topic, partition) (kafka_consumer_lag{` + sel("payment") + `}))`,
				ConsumerBlocked:   `sum(kafka_consumer_blocked{` + sel("payment") + `})`,
				OutboxBacklog:     `max(outbox_backlog{` + sel("payment") + `})`,
			},
		},
	}
}

func catalog(t *testing.T) *Catalog {
	t.Helper()
	cat, err := LoadCatalog("../../policies/data")
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestBuildIsCheckedAgainstTheCatalog(t *testing.T) {
	svcs := services()
	ds, err := Build("dev", "orders-dev", svcs)
	if err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, d := range ds {
		uids = append(uids, d.UID)
	}
	want := "bs-dev-overview bs-dev-order bs-dev-payment bs-dev-canary bs-dev-kafka"
	if got := strings.Join(uids, " "); got != want {
		t.Fatalf("dashboards = %s, want %s", got, want)
	}
	if err := Check(ds, svcs, catalog(t)); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

// The model's queries are what the panels show: the alert's p99, the
// canary's two queries side by side.
func TestPanelsShowTheModelsQueries(t *testing.T) {
	svcs := services()
	ds, err := Build("dev", "orders-dev", svcs)
	if err != nil {
		t.Fatal(err)
	}
	exprs := map[string][]string{}
	for _, d := range ds {
		qs, err := Queries(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			exprs[d.UID] = append(exprs[d.UID], q.Expr)
		}
	}
	has := func(uid, expr string) {
		t.Helper()
		for _, e := range exprs[uid] {
			if e == expr {
				return
			}
		}
		t.Errorf("%s has no panel querying %s", uid, expr)
	}
	has("bs-dev-order", svcs[0].Signals.P99)
	has("bs-dev-order", svcs[0].Signals.ConsumerLag)
	has("bs-dev-payment", svcs[1].Signals.OutboxBacklog)
	has("bs-dev-canary", svcs[0].Canary[0].Canary)
	has("bs-dev-canary", svcs[0].Canary[0].Stable)
	for _, e := range exprs["bs-dev-payment"] {
		if strings.Contains(e, "http_requests_total") {
			t.Errorf("consumer payment has an HTTP panel: %s", e)
		}
	}
	// every panel and row has its own id.
	for _, d := range ds {
		var m struct {
			Panels []struct {
				ID *int `json:"id"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(d.JSON, &m); err != nil {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		for _, p := range m.Panels {
			if p.ID == nil || *p.ID == 0 || seen[*p.ID] {
				t.Errorf("%s: panel id %v missing or repeated", d.UID, p.ID)
				continue
			}
			seen[*p.ID] = true
		}
	}
	// the dashboard JSON is what Grafana loads: uid, title, panels.
	var m map[string]any
	if err := json.Unmarshal(ds[0].JSON, &m); err != nil || m["uid"] != "bs-dev-overview" {
		t.Errorf("overview JSON: uid %v, err %v", m["uid"], err)
	}
}

// A metric outside the catalog, a label the metric does not carry, another
// service's metric and a query that does not parse each fail, naming the
// dashboard and the panel.
func TestCheckNamesDashboardAndPanel(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Service)
		want string
	}{
		{"unknown metric", func(s *Service) { s.Signals.ConsumerLag = `sum(kafka_consumergroup_lag{service="payment"})` },
			`dashboard "bloody-sweet dev: payment", panel "Consumer lag": metric kafka_consumergroup_lag is not in the metric catalog`},
		{"unknown label", func(s *Service) { s.Signals.OutboxBacklog = `max(outbox_backlog{service="payment",table="outbox"})` },
			`dashboard "bloody-sweet dev: payment", panel "Outbox backlog": metric outbox_backlog has no label table`},
		{"grouping label", func(s *Service) {
			s.Signals.ConsumerLag = `sum(max by (topic, shard) (kafka_consumer_lag{service="payment"}))`
		}, `panel "Consumer lag": groups by label shard`},
		{"another service's metric", func(s *Service) {
			s.Signals.HandlerErrorRatio = `sum(rate(http_requests_total{service="payment"}[5m]))`
		}, `panel "Handler failure ratio": metric http_requests_total is not exported by service payment`},
		{"syntax", func(s *Service) { s.Signals.ConsumerBlocked = `sum(kafka_consumer_blocked{service="payment"}` },
			`panel "Blocked consumers and retries": does not parse`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svcs := services()
			tc.edit(&svcs[1])
			ds, err := Build("dev", "orders-dev", svcs)
			if err != nil {
				t.Fatal(err)
			}
			err = Check(ds, svcs, catalog(t))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
