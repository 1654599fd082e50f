package ports

import (
	"reflect"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/order/domain"
)

// Every field of the domain's order reaches the answer: a field added to
// either side without the mapping fails here.
func TestOrderDTOCarriesEveryField(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var o domain.Order
	v := reflect.ValueOf(&o).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Interface().(type) {
		case string, events.Status:
			f.SetString("x-" + v.Type().Field(i).Name)
		case int64:
			f.SetInt(int64(1000 + i))
		case time.Time:
			f.Set(reflect.ValueOf(at.Add(time.Duration(i) * time.Second)))
		case []events.Item:
			f.Set(reflect.ValueOf([]events.Item{{SKU: "calzone", Quantity: 2, PriceCents: 900}}))
		case events.Address:
			f.Set(reflect.ValueOf(events.Address{Street: "s", City: "c", Postcode: "p"}))
		case *domain.Revision:
			f.Set(reflect.ValueOf(&domain.Revision{Number: 2, Items: []events.Item{{SKU: "calzone", Quantity: 1, PriceCents: 900}}, TotalCents: 900,
				Status: domain.RevisionRefused, Reason: "r", RequestedAt: at, DecidedAt: at.Add(time.Second)}))
		default:
			t.Fatalf("domain.Order.%s has a type this test cannot fill: %s", v.Type().Field(i).Name, f.Type())
		}
	}
	dto := reflect.ValueOf(orderDTO(o))
	// ETA is the one answer field the order does not hold: it comes from
	// the ETA read model (withETA, TestOrderCarriesItsLatestETA).
	if dto.NumField() != v.NumField()+1 {
		t.Fatalf("the answer has %d fields, the domain's order %d and the ETA", dto.NumField(), v.NumField())
	}
	for i := range dto.NumField() {
		name := dto.Type().Field(i).Name
		if name == "ETA" {
			continue
		}
		want := v.FieldByName(name)
		if !want.IsValid() {
			t.Errorf("answer field %s has no domain field", name)
			continue
		}
		if !sameByName(t, name, dto.Field(i), want) {
			t.Errorf("answer field %s = %v, want %v", name, dto.Field(i).Interface(), want.Interface())
		}
	}
}

// sameByName compares a wire value with a domain value: equal values, or
// structs (behind pointers) whose fields, matched by name, are.
func sameByName(t *testing.T, path string, got, want reflect.Value) bool {
	t.Helper()
	if got.Kind() == reflect.Pointer && want.Kind() == reflect.Pointer {
		if got.IsNil() || want.IsNil() {
			return got.IsNil() == want.IsNil()
		}
		got, want = got.Elem(), want.Elem()
	}
	if got.Type() == want.Type() || got.Kind() != reflect.Struct || want.Kind() != reflect.Struct {
		return reflect.DeepEqual(got.Interface(), want.Interface())
	}
	if got.NumField() != want.NumField() {
		t.Errorf("%s: %d fields on the wire, %d in the domain", path, got.NumField(), want.NumField())
		return false
	}
	for i := range got.NumField() {
		name := got.Type().Field(i).Name
		w := want.FieldByName(name)
		if !w.IsValid() || !sameByName(t, path+"."+name, got.Field(i), w) {
			return false
		}
	}
	return true
}
