package domain

import (
	"testing"
	"time"
)

func valid() Restaurant {
	return Restaurant{
		ID: "r-1", Name: "R", Cuisine: "thai", Location: Location{52.5, 13.4}, PrepCapacity: 4,
		Hours: []OpeningHours{{Day: time.Friday, Open: 18 * 60, Close: 26 * 60}},
		Menu: Menu{Items: []MenuItem{{ID: "a", Name: "A", PriceCents: 100, Available: true,
			Options: []OptionGroup{{ID: "s", Name: "S", Min: 1, Max: 1, Choices: []Choice{{"x", "X", 0}}}}}}},
	}
}

func TestValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		field string
		bad   func(r *Restaurant)
	}{
		{"id", func(r *Restaurant) { r.ID = "Has Space" }},
		{"name", func(r *Restaurant) { r.Name = " " }},
		{"location.lat", func(r *Restaurant) { r.Location.Lat = 91 }},
		{"prep_capacity", func(r *Restaurant) { r.PrepCapacity = 0 }},
		{"hours[0].close", func(r *Restaurant) { r.Hours[0].Close = r.Hours[0].Open }},
		{"hours[1]", func(r *Restaurant) {
			r.Hours = append(r.Hours, OpeningHours{Day: time.Friday, Open: 20 * 60, Close: 21 * 60})
		}},
		{"items[0].price_cents", func(r *Restaurant) { r.Menu.Items[0].PriceCents = 0 }},
		{"items[1].id", func(r *Restaurant) { r.Menu.Items = append(r.Menu.Items, r.Menu.Items[0]) }},
		{"items[0].options[0].max", func(r *Restaurant) { r.Menu.Items[0].Options[0].Max = 2 }},
		{"items[0].options[0].choices[0].name", func(r *Restaurant) { r.Menu.Items[0].Options[0].Choices[0].Name = "a\x00" }},
	} {
		r := valid()
		r.Menu.Items[0].Options = []OptionGroup{{ID: "s", Name: "S", Min: 1, Max: 1, Choices: []Choice{{"x", "X", 0}}}}
		tc.bad(&r)
		ferr := r.Validate()
		if ferr == nil {
			ferr = r.Menu.Validate()
		}
		if ferr == nil || ferr.Field != tc.field {
			t.Errorf("%s: got %v", tc.field, ferr)
		}
	}
	r := valid()
	if e := r.Validate(); e != nil {
		t.Fatal(e)
	}
	if e := r.Menu.Validate(); e != nil {
		t.Fatal(e)
	}
}

func TestOpenAtCountsHoursPastMidnight(t *testing.T) {
	r := valid()                                                                              // Friday 18:00 to Saturday 02:00
	at := func(day, h int) time.Time { return time.Date(2026, 3, day, h, 0, 0, 0, time.UTC) } // 2026-03-06 is a Friday
	for _, tc := range []struct {
		t    time.Time
		open bool
	}{{at(6, 17), false}, {at(6, 18), true}, {at(6, 23), true}, {at(7, 1), true}, {at(7, 2), false}, {at(7, 19), false}} {
		if got := r.OpenAt(tc.t, time.UTC); got != tc.open {
			t.Errorf("%v: open=%v, want %v", tc.t, got, tc.open)
		}
	}
}
