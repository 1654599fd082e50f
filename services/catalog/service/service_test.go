package service

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/bloody-sweet/platform/services/catalog/ports"
	"github.com/bloody-sweet/platform/services/devissuer"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/docdb"
	"github.com/bloody-sweet/platform/services/internal/httpserver"
	"github.com/bloody-sweet/platform/services/internal/svc"
)

// TestCatalogEndToEnd runs the catalog on its embedded parts (kfake,
// FerretDB) with the seed: customers browse, an operator changes a menu,
// a bad change is a problem naming the field, and the change reaches Kafka
// as MenuUpdated through the outbox.
func TestCatalogEndToEnd(t *testing.T) {
	is, err := devissuer.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = is.Close() })
	cfg := Config{
		Auth: ports.AuthConfig{Config: auth.Config{Required: true, Issuer: is.Issuer, Audiences: []string{devissuer.Audience}, Client: is.TLSClient()}},
		DB:   docdb.Config{URL: config.Embedded}, Seed: true,
	}
	common := config.Common{ServiceName: "catalog", HTTPAddr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", LogLevel: "error", KafkaBrokers: []string{config.Embedded}}
	ctx := context.Background()
	s, err := svc.Start(ctx, common, Spec(&cfg), svc.Options{LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background(), 0) })

	customer, err := is.Client("alice")
	if err != nil {
		t.Fatal(err)
	}
	operator, err := is.Client("store-app", ports.DefaultOperatorScope)
	if err != nil {
		t.Fatal(err)
	}
	do := func(c *http.Client, method, path string, body any, out any) int {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, s.URL()+path, rd)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if out != nil {
			if err := json.NewDecoder(res.Body).Decode(out); err != nil {
				t.Fatalf("%s %s: %d, decode: %v", method, path, res.StatusCode, err)
			}
		}
		return res.StatusCode
	}

	// Browse: pages of 10 cover the 36 seed restaurants once each.
	seen := map[string]bool{}
	after := ""
	for range 10 {
		var page ports.RestaurantPage
		if code := do(customer, "GET", "/v1/restaurants?limit=10&after="+after, nil, &page); code != 200 {
			t.Fatalf("list: %d", code)
		}
		for _, r := range page.Restaurants {
			if seen[r.ID] {
				t.Fatalf("%s listed twice", r.ID)
			}
			seen[r.ID] = true
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if len(seen) != 36 {
		t.Fatalf("listed %d restaurants, want the 36 seeded", len(seen))
	}
	var thai ports.RestaurantPage
	if do(customer, "GET", "/v1/restaurants?cuisine=thai", nil, &thai); len(thai.Restaurants) != 6 {
		t.Fatalf("thai: %d restaurants", len(thai.Restaurants))
	}
	var menu events.Menu
	if code := do(customer, "GET", "/v1/restaurants/ramen-dojo/menu", nil, &menu); code != 200 || len(menu.Items) == 0 || menu.Version != 1 {
		t.Fatalf("menu: %d %+v", code, menu)
	}
	var prob httpserver.ProblemDetails
	if code := do(customer, "GET", "/v1/restaurants/nowhere", nil, &prob); code != 404 || prob.Field != "id" {
		t.Fatalf("unknown restaurant: %d %+v", code, prob)
	}

	// Change: a customer may not; a bad price names its field; a good
	// menu bumps the version.
	menu.Items[0].PriceCents += 100
	if code := do(customer, "PUT", "/v1/restaurants/ramen-dojo/menu", menu, nil); code != 403 {
		t.Fatalf("customer PUT: %d, want 403", code)
	}
	bad := menu
	bad.Items = append([]events.MenuItem(nil), menu.Items...)
	bad.Items[1].PriceCents = -1
	if code := do(operator, "PUT", "/v1/restaurants/ramen-dojo/menu", bad, &prob); code != 422 || prob.Field != "items[1].price_cents" {
		t.Fatalf("bad menu: %d %+v", code, prob)
	}
	var saved events.Menu
	if code := do(operator, "PUT", "/v1/restaurants/ramen-dojo/menu", menu, &saved); code != 200 || saved.Version != 2 || saved.Items[0].PriceCents != menu.Items[0].PriceCents {
		t.Fatalf("put menu: %d %+v", code, saved)
	}

	// The change reaches Kafka (after the seed's events of version 1).
	deadline, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	// The store's events go to one partition; find it by reading them all.
	readers := make([]*kafkago.Reader, events.Partitions)
	got := make(chan events.Envelope, 1024)
	for p := range events.Partitions {
		readers[p] = kafkago.NewReader(kafkago.ReaderConfig{Brokers: s.Runtime.Brokers, Topic: events.TopicCatalog, Partition: p, MaxWait: 100 * time.Millisecond})
		defer readers[p].Close()
		go func() {
			for {
				m, err := readers[p].ReadMessage(deadline)
				if err != nil {
					return
				}
				if e, err := events.Decode(m.Value); err == nil && string(m.Key) == e.Subject {
					got <- e
				}
			}
		}()
	}
	for {
		select {
		case e := <-got:
			if e.Type != events.MenuUpdated || e.Subject != "ramen-dojo" {
				continue
			}
			var d events.MenuUpdatedData
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			if d.Version == 2 {
				if d.Items[0].PriceCents != menu.Items[0].PriceCents {
					t.Fatalf("MenuUpdated v2 carries %+v", d.Items[0])
				}
				return
			}
		case <-deadline.Done():
			t.Fatal("no MenuUpdated of version 2 on " + events.TopicCatalog)
		}
	}
}

func TestConfigRefusesNoDatabase(t *testing.T) {
	var c Config
	_, err := config.Parse("catalog", nil, func(b *config.Binder) { Bind(b, &c) })
	if err == nil || !strings.Contains(err.Error(), "MONGODB_URL is not set") {
		t.Fatalf("no CATALOG_MONGODB_URL: %v", err)
	}
	c = Config{}
	_, err = config.Parse("catalog", []string{"-catalog-mongodb-url", "mysql://u:secret@h/db"}, func(b *config.Binder) { Bind(b, &c) })
	if err == nil || strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "MONGODB_URL") {
		t.Fatalf("bad URL: %v", err)
	}
}
