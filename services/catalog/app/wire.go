package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/bloody-sweet/platform/services/catalog/domain"
	"github.com/bloody-sweet/platform/services/events"
)

// The mapping between the domain and the wire shapes of services/events,
// which the events and the API share.

// WireRestaurant is r without its menu, as the API and StoreUpdated show it.
func WireRestaurant(r domain.Restaurant) events.Restaurant {
	hours := make([]events.OpeningHours, len(r.Hours))
	for i, h := range r.Hours {
		hours[i] = events.OpeningHours{Day: strings.ToLower(h.Day.String()), Open: clock(h.Open), Close: clock(h.Close)}
	}
	return events.Restaurant{
		ID: r.ID, Name: r.Name, Cuisine: r.Cuisine, Location: events.Location{Lat: r.Location.Lat, Lon: r.Location.Lon},
		Hours: hours, PrepCapacity: r.PrepCapacity, Version: r.Version, UpdatedAt: r.UpdatedAt,
	}
}

// WireMenu is r's menu as the API and MenuUpdated show it.
func WireMenu(r domain.Restaurant) events.Menu {
	items := make([]events.MenuItem, len(r.Menu.Items))
	for i, it := range r.Menu.Items {
		groups := make([]events.OptionGroup, len(it.Options))
		for j, g := range it.Options {
			choices := make([]events.Choice, len(g.Choices))
			for k, c := range g.Choices {
				choices[k] = events.Choice{ID: c.ID, Name: c.Name, PriceCents: c.PriceCents}
			}
			groups[j] = events.OptionGroup{ID: g.ID, Name: g.Name, Min: g.Min, Max: g.Max, Choices: choices}
		}
		items[i] = events.MenuItem{ID: it.ID, Name: it.Name, PriceCents: it.PriceCents, Available: it.Available, Options: groups}
	}
	return events.Menu{StoreID: r.ID, Version: r.Version, UpdatedAt: r.UpdatedAt, Items: items}
}

// FromWireRestaurant reads an operator's restaurant; the error names the
// field. Version and UpdatedAt are the catalog's and are ignored.
func FromWireRestaurant(w events.Restaurant) (domain.Restaurant, *domain.FieldError) {
	r := domain.Restaurant{
		ID: w.ID, Name: w.Name, Cuisine: w.Cuisine, Location: domain.Location{Lat: w.Location.Lat, Lon: w.Location.Lon},
		PrepCapacity: w.PrepCapacity,
	}
	for i, h := range w.Hours {
		f := fmt.Sprintf("hours[%d]", i)
		day, ok := weekdays[h.Day]
		if !ok {
			return r, &domain.FieldError{Field: f + ".day", Reason: "must be monday..sunday"}
		}
		open, ok := minutes(h.Open)
		if !ok {
			return r, &domain.FieldError{Field: f + ".open", Reason: `must be "HH:MM"`}
		}
		closing, ok := minutes(h.Close)
		if !ok {
			return r, &domain.FieldError{Field: f + ".close", Reason: `must be "HH:MM" (past 24:00 for the next day)`}
		}
		r.Hours = append(r.Hours, domain.OpeningHours{Day: day, Open: open, Close: closing})
	}
	return r, nil
}

// FromWireMenu reads an operator's menu.
func FromWireMenu(w events.Menu) domain.Menu {
	var m domain.Menu
	for _, it := range w.Items {
		item := domain.MenuItem{ID: it.ID, Name: it.Name, PriceCents: it.PriceCents, Available: it.Available}
		for _, g := range it.Options {
			group := domain.OptionGroup{ID: g.ID, Name: g.Name, Min: g.Min, Max: g.Max}
			for _, c := range g.Choices {
				group.Choices = append(group.Choices, domain.Choice{ID: c.ID, Name: c.Name, PriceCents: c.PriceCents})
			}
			item.Options = append(item.Options, group)
		}
		m.Items = append(m.Items, item)
	}
	return m
}

var weekdays = func() map[string]time.Weekday {
	m := map[string]time.Weekday{}
	for d := time.Sunday; d <= time.Saturday; d++ {
		m[strings.ToLower(d.String())] = d
	}
	return m
}()

func clock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// minutes reads "HH:MM" (HH up to 48).
func minutes(s string) (int, bool) {
	digit := func(i int) (int, bool) { return int(s[i] - '0'), s[i] >= '0' && s[i] <= '9' }
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h1, ok1 := digit(0)
	h2, ok2 := digit(1)
	m1, ok3 := digit(3)
	m2, ok4 := digit(4)
	h, m := h1*10+h2, m1*10+m2
	if !ok1 || !ok2 || !ok3 || !ok4 || h > 48 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}
