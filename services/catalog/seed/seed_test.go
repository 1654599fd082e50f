package seed

import (
	"strings"
	"testing"
	"time"
)

func TestSeedIsValidAndVaried(t *testing.T) {
	rs := Restaurants()
	if err := Validate(rs); err != nil {
		t.Fatal(err)
	}
	cuisines := map[string]int{}
	items, options, unavailable := 0, 0, 0
	for _, r := range rs {
		cuisines[r.Cuisine]++
		for _, it := range r.Menu.Items {
			items++
			if len(it.Options) > 0 {
				options++
			}
			if !it.Available {
				unavailable++
			}
		}
	}
	if len(rs) < 20 || len(cuisines) < 5 || options == 0 || unavailable == 0 || unavailable > items/4 {
		t.Fatalf("seed: %d restaurants, cuisines %v, %d items (%d with options, %d unavailable)", len(rs), cuisines, items, options, unavailable)
	}
	// Every restaurant is open at Saturday 12:30 or 19:00 Berlin time, so the
	// demo has stores to order from at either time.
	berlin := time.FixedZone("CET", 3600)
	for _, r := range rs {
		lunch := time.Date(2026, 3, 7, 12, 30, 0, 0, berlin)
		dinner := time.Date(2026, 3, 7, 19, 0, 0, 0, berlin)
		if !r.OpenAt(lunch, berlin) && !r.OpenAt(dinner, berlin) {
			t.Errorf("%s is closed on Saturday at lunch and at dinner", r.ID)
		}
	}
}

// The seed's validation catches what the catalog would refuse: a test
// that Validate can fail.
func TestValidateNamesTheRestaurantAndField(t *testing.T) {
	rs := Restaurants()
	rs[3].Menu.Items[1].PriceCents = -5
	err := Validate(rs)
	if err == nil || !strings.Contains(err.Error(), "restaurants[3]") || !strings.Contains(err.Error(), "items[1].price_cents") {
		t.Fatalf("got %v", err)
	}
	rs = Restaurants()
	rs[5].ID = rs[0].ID
	if err := Validate(rs); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Fatalf("duplicate id: %v", err)
	}
}
