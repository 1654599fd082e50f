// Package seed is the catalog's demo and dev data: 36 restaurants in six
// cuisines around Berlin's centre, with menus, options and prices, which
// the demo, the load scenarios and the k6 scripts order from. The service
// loads it at start with CATALOG_SEED=true (demo, dev), creating only the
// restaurants that do not exist.
package seed

import (
	"fmt"
	"time"

	"github.com/bloody-sweet/platform/services/catalog/domain"
)

// Option groups shared by the menus.
var (
	pizzaSize = domain.OptionGroup{ID: "size", Name: "Size", Min: 1, Max: 1, Choices: []domain.Choice{
		{ID: "26cm", Name: "26 cm", PriceCents: 0}, {ID: "32cm", Name: "32 cm", PriceCents: 300}, {ID: "40cm", Name: "40 cm family", PriceCents: 750}}}
	pizzaExtras = domain.OptionGroup{ID: "extras", Name: "Extra toppings", Min: 0, Max: 4, Choices: []domain.Choice{
		{ID: "mozzarella", Name: "Extra mozzarella", PriceCents: 150}, {ID: "olives", Name: "Olives", PriceCents: 100},
		{ID: "chili", Name: "Fresh chili", PriceCents: 80}, {ID: "rucola", Name: "Rucola", PriceCents: 120}, {ID: "parma", Name: "Prosciutto di Parma", PriceCents: 250}}}
	spice = domain.OptionGroup{ID: "spice", Name: "Spiciness", Min: 1, Max: 1, Choices: []domain.Choice{
		{ID: "mild", Name: "Mild"}, {ID: "medium", Name: "Medium"}, {ID: "hot", Name: "Hot"}, {ID: "thai-hot", Name: "Thai hot"}}}
	wokProtein = domain.OptionGroup{ID: "protein", Name: "Protein", Min: 1, Max: 1, Choices: []domain.Choice{
		{ID: "tofu", Name: "Tofu"}, {ID: "chicken", Name: "Chicken", PriceCents: 150}, {ID: "beef", Name: "Beef", PriceCents: 250}, {ID: "prawns", Name: "Prawns", PriceCents: 350}}}
	rice = domain.OptionGroup{ID: "rice", Name: "Rice", Min: 0, Max: 1, Choices: []domain.Choice{
		{ID: "jasmine", Name: "Jasmine rice", PriceCents: 250}, {ID: "sticky", Name: "Sticky rice", PriceCents: 300}}}
	burgerCook = domain.OptionGroup{ID: "doneness", Name: "Doneness", Min: 1, Max: 1, Choices: []domain.Choice{
		{ID: "medium-rare", Name: "Medium rare"}, {ID: "medium", Name: "Medium"}, {ID: "well-done", Name: "Well done"}}}
	burgerAddOns = domain.OptionGroup{ID: "add-ons", Name: "Add-ons", Min: 0, Max: 3, Choices: []domain.Choice{
		{ID: "cheddar", Name: "Cheddar", PriceCents: 120}, {ID: "bacon", Name: "Bacon", PriceCents: 180}, {ID: "jalapenos", Name: "Jalapeños", PriceCents: 90}, {ID: "egg", Name: "Fried egg", PriceCents: 110}}}
	side = domain.OptionGroup{ID: "side", Name: "Side", Min: 1, Max: 1, Choices: []domain.Choice{
		{ID: "fries", Name: "Fries"}, {ID: "sweet-potato", Name: "Sweet potato fries", PriceCents: 150}, {ID: "salad", Name: "Side salad"}}}
	sauce = domain.OptionGroup{ID: "sauce", Name: "Sauce", Min: 0, Max: 2, Choices: []domain.Choice{
		{ID: "garlic", Name: "Garlic yoghurt"}, {ID: "chili", Name: "Chili sauce"}, {ID: "herb", Name: "Herb sauce"}, {ID: "extra", Name: "Extra sauce", PriceCents: 50}}}
	bread = domain.OptionGroup{ID: "bread", Name: "Bread", Min: 1, Max: 1, Choices: []domain.Choice{
		{ID: "pide", Name: "Pide bread"}, {ID: "durum", Name: "Dürüm wrap", PriceCents: 50}, {ID: "box", Name: "Box with rice", PriceCents: 100}}}
	nigiriCount = domain.OptionGroup{ID: "pieces", Name: "Pieces", Min: 1, Max: 1, Choices: []domain.Choice{
		{ID: "2", Name: "2 pieces"}, {ID: "4", Name: "4 pieces", PriceCents: 420}}}
	naan = domain.OptionGroup{ID: "naan", Name: "Naan", Min: 0, Max: 2, Choices: []domain.Choice{
		{ID: "plain", Name: "Plain naan", PriceCents: 250}, {ID: "garlic", Name: "Garlic naan", PriceCents: 300}, {ID: "cheese", Name: "Cheese naan", PriceCents: 350}}}
)

type dish struct {
	id, name string
	cents    int64
	options  []domain.OptionGroup
}

// cuisines lists each cuisine's menu; restaurants of a cuisine share its
// dishes, priced by their own price level.
var cuisines = map[string][]dish{
	"italian": {
		{"margherita", "Pizza Margherita", 850, []domain.OptionGroup{pizzaSize, pizzaExtras}},
		{"diavola", "Pizza Diavola", 1050, []domain.OptionGroup{pizzaSize, pizzaExtras}},
		{"quattro-formaggi", "Pizza Quattro Formaggi", 1150, []domain.OptionGroup{pizzaSize, pizzaExtras}},
		{"carbonara", "Spaghetti Carbonara", 1250, nil},
		{"lasagne", "Lasagne al forno", 1290, nil},
		{"tiramisu", "Tiramisù", 590, nil},
		{"aranciata", "San Pellegrino Aranciata 0.33 l", 320, nil},
	},
	"thai": {
		{"pad-thai", "Pad Thai", 1190, []domain.OptionGroup{wokProtein, spice}},
		{"green-curry", "Green curry", 1290, []domain.OptionGroup{wokProtein, spice, rice}},
		{"massaman", "Massaman curry", 1390, []domain.OptionGroup{wokProtein, rice}},
		{"tom-yum", "Tom yum soup", 790, []domain.OptionGroup{spice}},
		{"som-tam", "Som tam papaya salad", 890, []domain.OptionGroup{spice}},
		{"mango-sticky-rice", "Mango sticky rice", 650, nil},
	},
	"burgers": {
		{"classic", "Classic beef burger", 1190, []domain.OptionGroup{burgerCook, burgerAddOns, side}},
		{"smash", "Double smash burger", 1390, []domain.OptionGroup{burgerAddOns, side}},
		{"veggie", "Black bean burger", 1150, []domain.OptionGroup{burgerAddOns, side}},
		{"chicken", "Crispy chicken burger", 1250, []domain.OptionGroup{burgerAddOns, side}},
		{"onion-rings", "Onion rings", 490, nil},
		{"shake", "Vanilla milkshake", 520, nil},
	},
	"turkish": {
		{"doner", "Döner kebab", 750, []domain.OptionGroup{bread, sauce}},
		{"lahmacun", "Lahmacun", 650, []domain.OptionGroup{sauce}},
		{"iskender", "İskender kebab", 1490, nil},
		{"falafel", "Falafel plate", 990, []domain.OptionGroup{sauce}},
		{"baklava", "Baklava (4 pieces)", 490, nil},
		{"ayran", "Ayran 0.25 l", 250, nil},
	},
	"japanese": {
		{"salmon-nigiri", "Salmon nigiri", 520, []domain.OptionGroup{nigiriCount}},
		{"tuna-nigiri", "Tuna nigiri", 620, []domain.OptionGroup{nigiriCount}},
		{"california-roll", "California roll (8)", 990, nil},
		{"tonkotsu", "Tonkotsu ramen", 1490, []domain.OptionGroup{spice}},
		{"gyoza", "Gyoza (6)", 690, nil},
		{"edamame", "Edamame", 450, nil},
		{"matcha", "Matcha ice cream", 490, nil},
	},
	"indian": {
		{"butter-chicken", "Butter chicken", 1390, []domain.OptionGroup{spice, naan}},
		{"palak-paneer", "Palak paneer", 1190, []domain.OptionGroup{spice, naan}},
		{"lamb-rogan-josh", "Lamb rogan josh", 1590, []domain.OptionGroup{spice, naan}},
		{"chana-masala", "Chana masala", 1050, []domain.OptionGroup{spice, naan}},
		{"samosa", "Vegetable samosas (2)", 550, nil},
		{"mango-lassi", "Mango lassi", 390, nil},
	},
}

type place struct {
	id, name, cuisine string
	lat, lon          float64
	// priceLevel scales the cuisine's prices in percent.
	priceLevel int64
	capacity   int
	hours      string // "lunch", "dinner", "late", "allday"
}

// restaurants are around Berlin's centre (52.52 N, 13.40 E).
var restaurants = []place{
	{"trattoria-toscana", "Trattoria Toscana", "italian", 52.5301, 13.4012, 110, 8, "allday"},
	{"pizzeria-napoli", "Pizzeria Napoli", "italian", 52.4995, 13.4181, 95, 12, "late"},
	{"la-piccola", "La Piccola Cucina", "italian", 52.5442, 13.4127, 105, 5, "dinner"},
	{"mamma-rosa", "Mamma Rosa", "italian", 52.5072, 13.3205, 100, 7, "allday"},
	{"forno-romano", "Forno Romano", "italian", 52.4871, 13.4315, 90, 10, "late"},
	{"osteria-bellini", "Osteria Bellini", "italian", 52.5203, 13.3869, 125, 6, "dinner"},
	{"bangkok-street", "Bangkok Street Kitchen", "thai", 52.5012, 13.4233, 95, 9, "allday"},
	{"siam-garden", "Siam Garden", "thai", 52.5389, 13.4241, 105, 7, "dinner"},
	{"chiang-mai", "Chiang Mai Canteen", "thai", 52.4798, 13.4402, 90, 11, "lunch"},
	{"lotus-thai", "Lotus Thai", "thai", 52.5157, 13.4545, 100, 6, "allday"},
	{"phuket-wok", "Phuket Wok", "thai", 52.5251, 13.3402, 95, 14, "late"},
	{"thai-orchid", "Thai Orchid", "thai", 52.5489, 13.3876, 110, 5, "dinner"},
	{"smash-brothers", "Smash Brothers", "burgers", 52.5065, 13.4479, 100, 15, "late"},
	{"grill-and-bun", "Grill & Bun", "burgers", 52.5325, 13.4105, 105, 10, "allday"},
	{"the-patty-lab", "The Patty Lab", "burgers", 52.4921, 13.3892, 115, 8, "dinner"},
	{"burger-bahnhof", "Burger Bahnhof", "burgers", 52.5251, 13.3694, 95, 18, "late"},
	{"kreuzberg-burgers", "Kreuzberg Burgers", "burgers", 52.4989, 13.4031, 100, 12, "allday"},
	{"green-bun", "Green Bun (vegetarian)", "burgers", 52.5412, 13.4198, 110, 6, "lunch"},
	{"anatolia-grill", "Anatolia Grill", "turkish", 52.4993, 13.4187, 90, 16, "late"},
	{"istanbul-ocakbasi", "Istanbul Ocakbaşı", "turkish", 52.4886, 13.4241, 105, 9, "dinner"},
	{"mustafas", "Mustafa's Gemüse Kebap", "turkish", 52.4929, 13.3883, 85, 20, "late"},
	{"bosporus", "Bosporus Lokanta", "turkish", 52.5102, 13.3095, 100, 8, "allday"},
	{"kebap-haus-mitte", "Kebap Haus Mitte", "turkish", 52.5228, 13.4112, 95, 12, "late"},
	{"sultan-sofrasi", "Sultan Sofrası", "turkish", 52.4779, 13.4359, 100, 7, "allday"},
	{"sushi-kiyomi", "Sushi Kiyomi", "japanese", 52.5043, 13.3321, 120, 6, "dinner"},
	{"ramen-dojo", "Ramen Dojo", "japanese", 52.5289, 13.4018, 100, 10, "allday"},
	{"kyoto-kitchen", "Kyoto Kitchen", "japanese", 52.5167, 13.3889, 115, 7, "lunch"},
	{"tokyo-roll", "Tokyo Roll", "japanese", 52.5468, 13.4135, 95, 9, "late"},
	{"umami-izakaya", "Umami Izakaya", "japanese", 52.4994, 13.4469, 110, 8, "dinner"},
	{"sakura-bento", "Sakura Bento", "japanese", 52.5352, 13.3478, 90, 12, "lunch"},
	{"masala-house", "Masala House", "indian", 52.5007, 13.3129, 100, 9, "allday"},
	{"delhi-darbar", "Delhi Darbar", "indian", 52.5369, 13.4272, 105, 7, "dinner"},
	{"bombay-tiffin", "Bombay Tiffin", "indian", 52.4852, 13.4198, 90, 11, "lunch"},
	{"taj-palace", "Taj Palace", "indian", 52.5187, 13.3762, 120, 6, "dinner"},
	{"curry-kulture", "Curry Kulture", "indian", 52.5281, 13.4557, 95, 10, "late"},
	{"spice-route", "Spice Route", "indian", 52.4937, 13.3552, 100, 8, "allday"},
}

// schedules are the opening-hour profiles (minutes after midnight); late
// kitchens close after midnight.
var schedules = map[string]func(d time.Weekday) [][2]int{
	"lunch": func(d time.Weekday) [][2]int {
		if d == time.Sunday {
			return nil
		}
		return [][2]int{{11 * 60, 15 * 60}}
	},
	"dinner": func(d time.Weekday) [][2]int {
		if d == time.Monday {
			return nil
		}
		return [][2]int{{17*60 + 30, 22*60 + 30}}
	},
	"late": func(d time.Weekday) [][2]int {
		if d == time.Friday || d == time.Saturday {
			return [][2]int{{12 * 60, 27 * 60}} // until 03:00
		}
		return [][2]int{{12 * 60, 25 * 60}} // until 01:00
	},
	"allday": func(time.Weekday) [][2]int { return [][2]int{{11 * 60, 15 * 60}, {17 * 60, 23 * 60}} },
}

// Restaurants returns the seed restaurants with their menus, version 0
// (the catalog versions them when it stores them).
func Restaurants() []domain.Restaurant {
	out := make([]domain.Restaurant, 0, len(restaurants))
	for i, p := range restaurants {
		r := domain.Restaurant{
			ID: p.id, Name: p.name, Cuisine: p.cuisine, Location: domain.Location{Lat: p.lat, Lon: p.lon}, PrepCapacity: p.capacity,
		}
		for d := time.Sunday; d <= time.Saturday; d++ {
			for _, h := range schedules[p.hours](d) {
				r.Hours = append(r.Hours, domain.OpeningHours{Day: d, Open: h[0], Close: h[1]})
			}
		}
		for j, dish := range cuisines[p.cuisine] {
			r.Menu.Items = append(r.Menu.Items, domain.MenuItem{
				ID: dish.id, Name: dish.name,
				// Rounded to 10 cents, as menus print them.
				PriceCents: (dish.cents*p.priceLevel/100 + 5) / 10 * 10,
				// One dish in seven is sold out somewhere, so clients
				// see (and the order service refuses) unavailable items.
				Available: (i+j)%7 != 3,
				Options:   dish.options,
			})
		}
		out = append(out, r)
	}
	return out
}

// Validate checks every seed restaurant and menu with the catalog's own
// rules, naming the restaurant and field at fault.
func Validate(rs []domain.Restaurant) error {
	ids := map[string]bool{}
	for i, r := range rs {
		if ferr := r.Validate(); ferr != nil {
			return fmt.Errorf("seed restaurants[%d] (%s): %w", i, r.ID, ferr)
		}
		if ferr := r.Menu.Validate(); ferr != nil {
			return fmt.Errorf("seed restaurants[%d] (%s): menu %w", i, r.ID, ferr)
		}
		if ids[r.ID] {
			return fmt.Errorf("seed restaurants[%d]: id %q is given twice", i, r.ID)
		}
		ids[r.ID] = true
	}
	return nil
}
