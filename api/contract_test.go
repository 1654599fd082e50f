package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invopop/jsonschema"
	"go.yaml.in/yaml/v3"

	"github.com/bloody-sweet/platform/api"
	"github.com/bloody-sweet/platform/services/apiclient"
	catalogports "github.com/bloody-sweet/platform/services/catalog/ports"
	"github.com/bloody-sweet/platform/services/events"
	notificationports "github.com/bloody-sweet/platform/services/notification/ports"
	orderports "github.com/bloody-sweet/platform/services/order/ports"
)

var update = flag.Bool("update", false, "rewrite schemas/ and events/ from the Go types")

// reflector makes a JSON Schema (2020-12) of a Go type as encoding/json
// writes it: every field inlined, no field beyond the type's, a field
// without omitempty/omitzero required, statuses and event types as enums.
func reflector() *jsonschema.Reflector {
	return &jsonschema.Reflector{
		Anonymous:      true,
		DoNotReference: true,
		ExpandedStruct: true,
		Mapper: func(t reflect.Type) *jsonschema.Schema {
			switch t {
			case reflect.TypeFor[events.Status]():
				var enum []any
				for _, s := range events.AllStatuses() {
					enum = append(enum, s)
				}
				return &jsonschema.Schema{Type: "string", Enum: enum}
			case reflect.TypeFor[events.Type]():
				var enum []any
				for _, s := range events.AllTypes() {
					enum = append(enum, s)
				}
				return &jsonschema.Schema{Type: "string", Enum: enum}
			}
			return nil
		},
	}
}

// wanted returns every schema file (path under api/) and the document the
// Go types make of it.
func wanted(t *testing.T) map[string][]byte {
	t.Helper()
	r := reflector()
	out := map[string][]byte{}
	put := func(path, title string, s *jsonschema.Schema) {
		s.Title = title
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		out[path] = append(b, '\n')
	}
	for name, v := range map[string]any{
		"OrderRequest":  apiclient.OrderRequest{},
		"CancelRequest": apiclient.CancelRequest{},
		"ReviseRequest": apiclient.ReviseRequest{},
		"Order":         apiclient.Order{},
		"OrderPage":     apiclient.OrderPage{},
		"StatusChange":  events.StatusChange{},
		"OrderETA":      events.OrderETA{},
		// The catalog API's shapes.
		"Restaurant":     events.Restaurant{},
		"Menu":           events.Menu{},
		"RestaurantPage": catalogports.RestaurantPage{},
	} {
		put("schemas/"+name+".schema.json", name, r.Reflect(v))
	}
	for _, typ := range events.AllTypes() {
		data, _ := events.DataOf(typ)
		s := r.Reflect(events.Envelope{})
		s.Properties.Set("type", &jsonschema.Schema{Type: "string", Const: typ})
		ds := r.Reflect(data)
		ds.Version = "" // $schema on the document only
		s.Properties.Set("data", ds)
		put("events/"+string(typ)+".schema.json", string(typ)+" event (CloudEvents envelope)", s)
	}
	return out
}

// The schema files are exactly what the Go types make: a field added on
// either side, a file without a type or a type without a file fails.
func TestSchemasMatchGoTypes(t *testing.T) {
	want := wanted(t)
	if *update {
		for _, dir := range []string{"schemas", "events"} {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		}
		for path, b := range want {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := map[string][]byte{}
	for _, dir := range []string{"schemas", "events"} {
		err := fs.WalkDir(api.Files, dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			got[path], err = fs.ReadFile(api.Files, path)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if *update {
		return // the embedded files are the old ones until the next build
	}
	for _, path := range slices.Sorted(maps.Keys(want)) {
		if !bytes.Equal(got[path], want[path]) {
			t.Errorf("api/%s differs from the Go type (go test ./api -update rewrites it):\n%s", path, cmp.Diff(string(got[path]), string(want[path])))
		}
	}
	for path := range got {
		if _, ok := want[path]; !ok {
			t.Errorf("api/%s describes no Go type", path)
		}
	}
}

type openAPI struct {
	OpenAPI string                               `yaml:"openapi"`
	Paths   map[string]map[string]map[string]any `yaml:"paths"`
}

// openapi.yaml is OpenAPI 3.1, names exactly the routes the services serve,
// and every file it refers to exists and is referred to.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	raw, err := fs.ReadFile(api.Files, "openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi.yaml is OpenAPI %q, want 3.1.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	served := slices.Collect(maps.Keys(orderports.API{}.Routes()))
	served = append(served, slices.Collect(maps.Keys(notificationports.Streams{}.Routes(nil)))...)
	served = append(served, slices.Collect(maps.Keys(catalogports.API{}.Routes()))...)
	slices.Sort(documented)
	slices.Sort(served)
	if d := cmp.Diff(served, documented); d != "" {
		t.Errorf("routes served (-) and documented in openapi.yaml (+):\n%s", d)
	}

	var tree any
	if err := yaml.Unmarshal(raw, &tree); err != nil {
		t.Fatal(err)
	}
	refs := map[string]bool{}
	walkRefs(tree, func(ref string) {
		if file, _, _ := strings.Cut(ref, "#"); file != "" {
			refs[file] = true
		}
	})
	for ref := range refs {
		if _, err := fs.Stat(api.Files, ref); err != nil {
			t.Errorf("openapi.yaml refers to %s: %v", ref, err)
		}
	}
	entries, err := fs.ReadDir(api.Files, "schemas")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !refs["schemas/"+e.Name()] {
			t.Errorf("api/schemas/%s is not referred to by openapi.yaml", e.Name())
		}
	}
}

func walkRefs(v any, fn func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				fn(s)
			}
			walkRefs(x, fn)
		}
	case []any:
		for _, x := range v {
			walkRefs(x, fn)
		}
	}
}

// The events the services produce validate against their schema, and an
// event with a field the contract lacks does not.
func TestEventsValidate(t *testing.T) {
	at := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	ref := events.OrderRef{OrderID: "o-1", StoreID: "store-1", CustomerID: "c-1"}
	restaurant, menu := catalogSamples(at)
	samples := map[string]any{
		"OrderPlacedData": events.OrderPlacedData{OrderRef: ref, Items: []events.Item{{SKU: "calzone", Quantity: 2, PriceCents: 900}},
			Address: events.Address{Street: "1 Main St", City: "Springfield", Postcode: "12345"}, TotalCents: 1800},
		"OrderCancelledData": events.OrderCancelledData{OrderRef: ref, Reason: "cancelled by the customer", ByCustomer: true},
		"OrderRevisedData":   events.OrderRevisedData{OrderRef: ref, Revision: 1, Items: []events.Item{{SKU: "calzone", Quantity: 3, PriceCents: 900}}, TotalCents: 2700},
		"RevisionData":       events.RevisionData{OrderRef: ref, Revision: 1, Reason: "the store accepted the order first"},
		"PaymentData":        events.PaymentData{OrderRef: ref, AmountCents: 1800, PaymentID: "p-1"},
		"StoreData":          events.StoreData{OrderRef: ref},
		"DeliveryData":       events.DeliveryData{OrderRef: ref, CourierID: "courier-1"},
		"EtaData": events.EtaData{OrderRef: ref, Step: events.EtaStepPlaced, ModelVersion: "0123456789ab",
			ETA: at.Add(35 * time.Minute), ETAP10: at.Add(25 * time.Minute), ETAP90: at.Add(50 * time.Minute), RemainingS: 2100},
		"StoreUpdatedData": events.StoreUpdatedData{Restaurant: restaurant},
		"MenuUpdatedData":  events.MenuUpdatedData{Menu: menu},
	}
	for _, typ := range events.AllTypes() {
		zero, _ := events.DataOf(typ)
		data, ok := samples[reflect.TypeOf(zero).Name()]
		if !ok {
			t.Fatalf("no sample payload of %T", zero)
		}
		schema := "events/" + string(typ) + ".schema.json"
		e, err := events.New(typ, "o-1", at, data)
		if err != nil {
			t.Fatal(err)
		}
		b, err := events.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := api.Validate(schema, b); err != nil {
			t.Errorf("%s as the services write it: %v", typ, err)
		}
		extra := bytes.Replace(b, []byte(`"data":{`), []byte(`"data":{"unknown":1,`), 1)
		if err := api.Validate(schema, extra); err == nil {
			t.Errorf("%s with an unknown data field validates", typ)
		}
		other := events.OrderPlaced
		if typ == other {
			other = events.OrderDelivered
		}
		wrong := bytes.Replace(b, []byte(fmt.Sprintf(`"type":%q`, typ)), []byte(fmt.Sprintf(`"type":%q`, other)), 1)
		if err := api.Validate(schema, wrong); err == nil {
			t.Errorf("a %s event validates against the schema of %s", other, typ)
		}
	}
}

// The order API's and the stream's shapes validate what the client sends
// and the services write.
func TestAPIShapesValidate(t *testing.T) {
	at := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	restaurant, menu := catalogSamples(at)
	order := apiclient.Order{ID: "o-1", CustomerID: "c-1", StoreID: "store-1", Items: []events.Item{{SKU: "calzone", Quantity: 1, PriceCents: 900}},
		Address: events.Address{Street: "1 Main St", City: "Springfield", Postcode: "12345"}, TotalCents: 900,
		Status: events.StatusPaid, PlacedAt: at, PaidAt: at.Add(time.Second),
		Revision: &apiclient.Revision{Number: 1, Items: []events.Item{{SKU: "calzone", Quantity: 2, PriceCents: 900}}, TotalCents: 1800, Status: "PENDING", RequestedAt: at},
		ETA: &apiclient.ETA{At: at.Add(30 * time.Minute), P10: at.Add(25 * time.Minute), P90: at.Add(40 * time.Minute), Step: events.EtaStepAccepted,
			MadeAt: at.Add(time.Minute), ModelVersion: "20261203T0900-abc"}}
	for path, v := range map[string]any{
		"schemas/OrderRequest.schema.json":   apiclient.OrderRequest{StoreID: "store-1", Items: []apiclient.Item{{SKU: "calzone", Quantity: 1}}, Address: order.Address},
		"schemas/Order.schema.json":          order,
		"schemas/CancelRequest.schema.json":  apiclient.CancelRequest{Reason: "changed my mind"},
		"schemas/ReviseRequest.schema.json":  apiclient.ReviseRequest{Items: []apiclient.Item{{SKU: "calzone", Quantity: 3}}},
		"schemas/OrderPage.schema.json":      apiclient.OrderPage{Orders: []apiclient.Order{order}, NextPageToken: "t"},
		"schemas/StatusChange.schema.json":   events.StatusChange{OrderID: "o-1", Status: events.StatusDelivered, Time: at, Seq: 6, CustomerID: "c-1"},
		"schemas/OrderETA.schema.json":       *order.ETA,
		"schemas/Restaurant.schema.json":     restaurant,
		"schemas/Menu.schema.json":           menu,
		"schemas/RestaurantPage.schema.json": catalogports.RestaurantPage{Restaurants: []events.Restaurant{restaurant}, Next: restaurant.ID},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		schema := path
		if err := api.Validate(schema, b); err != nil {
			t.Errorf("%s: %s: %v", path, b, err)
		}
		if err := api.Validate(schema, append(b[:len(b)-1:len(b)-1], []byte(`,"unknown":1}`)...)); err == nil {
			t.Errorf("%s accepts an unknown field", path)
		}
	}
}

// catalogSamples are a restaurant and its menu as the catalog writes them.
func catalogSamples(at time.Time) (events.Restaurant, events.Menu) {
	r := events.Restaurant{ID: "ramen-dojo", Name: "Ramen Dojo", Cuisine: "japanese", Location: events.Location{Lat: 52.53, Lon: 13.4},
		Hours: []events.OpeningHours{{Day: "friday", Open: "12:00", Close: "25:00"}}, PrepCapacity: 10, Version: 2, UpdatedAt: at}
	m := events.Menu{StoreID: r.ID, Version: 2, UpdatedAt: at, Items: []events.MenuItem{{ID: "tonkotsu", Name: "Tonkotsu ramen", PriceCents: 1490, Available: true,
		Options: []events.OptionGroup{{ID: "spice", Name: "Spiciness", Min: 1, Max: 1, Choices: []events.Choice{{ID: "hot", Name: "Hot"}}}}}}}
	return r, m
}
