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
		default:
			t.Fatalf("domain.Order.%s has a type this test cannot fill: %s", v.Type().Field(i).Name, f.Type())
		}
	}
	dto := reflect.ValueOf(orderDTO(o))
	if dto.NumField() != v.NumField() {
		t.Fatalf("the answer has %d fields, the domain's order %d", dto.NumField(), v.NumField())
	}
	for i := range dto.NumField() {
		name := dto.Type().Field(i).Name
		want := v.FieldByName(name)
		if !want.IsValid() {
			t.Errorf("answer field %s has no domain field", name)
			continue
		}
		if !reflect.DeepEqual(dto.Field(i).Interface(), want.Interface()) {
			t.Errorf("answer field %s = %v, want %v", name, dto.Field(i).Interface(), want.Interface())
		}
	}
}
