// Package domain holds the catalog's restaurants and menus and the rules
// every one of them obeys, whoever writes it (the operator API, the seed).
// It knows no wire or storage format.
package domain

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of one restaurant: a document stays far below DocumentDB's 16 MiB
// and a menu page stays readable.
const (
	maxText         = 200
	MaxItems        = 300
	MaxOptionGroups = 10
	MaxChoices      = 30
	MaxPrepCapacity = 1000
	MaxPriceCents   = 1_000_000 // 10 000.00 per item or choice
)

// ErrNotFound is returned for a restaurant that does not exist.
var ErrNotFound = errors.New("catalog: restaurant not found")

// FieldError says which field is wrong and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

// Location is where a restaurant prepares its orders (WGS 84 degrees).
type Location struct {
	Lat float64
	Lon float64
}

// OpeningHours is one opening interval on one weekday, in the restaurant's
// local time as minutes after midnight. Close may be after midnight
// (up to 48h) for a late shift that ends the next day.
type OpeningHours struct {
	Day   time.Weekday
	Open  int // minutes after midnight, 0..1439
	Close int // minutes after midnight, Open < Close <= 2880
}

// Restaurant is a store customers order from.
type Restaurant struct {
	ID      string
	Name    string
	Cuisine string
	// Location is where couriers pick up.
	Location Location
	Hours    []OpeningHours
	// PrepCapacity is how many orders the kitchen prepares at once.
	PrepCapacity int
	Menu         Menu
	// Version counts the restaurant's changes (store fields or menu); the
	// events carry it so a consumer drops an older one arriving late.
	Version int64
	// UpdatedAt is when the last change was stored.
	UpdatedAt time.Time
}

// Menu is what a restaurant sells.
type Menu struct {
	Items []MenuItem
}

// MenuItem is one thing on a menu.
type MenuItem struct {
	ID         string
	Name       string
	PriceCents int64
	Available  bool
	Options    []OptionGroup
}

// OptionGroup is a choice a customer makes about an item ("Size",
// "Extras"): at least Min and at most Max of Choices.
type OptionGroup struct {
	ID      string
	Name    string
	Min     int
	Max     int
	Choices []Choice
}

// Choice is one answer of an option group; PriceCents is added to the
// item's price.
type Choice struct {
	ID         string
	Name       string
	PriceCents int64
}

// OpenAt reports whether the restaurant takes orders at t (read in loc, the
// restaurant's time zone).
func (r Restaurant) OpenAt(t time.Time, loc *time.Location) bool {
	t = t.In(loc)
	now := t.Hour()*60 + t.Minute()
	for _, h := range r.Hours {
		// Today's intervals, and yesterday's that run past midnight.
		if h.Day == t.Weekday() && now >= h.Open && now < h.Close {
			return true
		}
		if h.Day == (t.Weekday()+6)%7 && h.Close > 1440 && now < h.Close-1440 {
			return true
		}
	}
	return false
}

// Item returns the menu item id.
func (m Menu) Item(id string) (MenuItem, bool) {
	for _, it := range m.Items {
		if it.ID == id {
			return it, true
		}
	}
	return MenuItem{}, false
}

// Validate checks the restaurant's own fields (not the menu) and returns
// the first problem, naming the field as the API spells it.
func (r Restaurant) Validate() *FieldError {
	if e := ID("id", r.ID); e != nil {
		return e
	}
	if e := required("name", r.Name); e != nil {
		return e
	}
	if e := required("cuisine", r.Cuisine); e != nil {
		return e
	}
	if l := r.Location; !finite(l.Lat) || l.Lat < -90 || l.Lat > 90 {
		return &FieldError{"location.lat", "must be between -90 and 90"}
	}
	if l := r.Location; !finite(l.Lon) || l.Lon < -180 || l.Lon > 180 {
		return &FieldError{"location.lon", "must be between -180 and 180"}
	}
	if r.PrepCapacity < 1 || r.PrepCapacity > MaxPrepCapacity {
		return &FieldError{"prep_capacity", fmt.Sprintf("must be between 1 and %d", MaxPrepCapacity)}
	}
	if len(r.Hours) > 7*4 {
		return &FieldError{"hours", "has more than 4 intervals a day"}
	}
	for i, h := range r.Hours {
		f := fmt.Sprintf("hours[%d]", i)
		switch {
		case h.Day < time.Sunday || h.Day > time.Saturday:
			return &FieldError{f + ".day", "is not a weekday"}
		case h.Open < 0 || h.Open >= 1440:
			return &FieldError{f + ".open", "must be a time of day (00:00 to 23:59)"}
		case h.Close <= h.Open || h.Close > 2880:
			return &FieldError{f + ".close", "must be after open (at most 24:00 the next day)"}
		}
		for j, o := range r.Hours[:i] {
			if o.Day == h.Day && h.Open < o.Close && o.Open < h.Close {
				return &FieldError{f, fmt.Sprintf("overlaps hours[%d]", j)}
			}
		}
	}
	return nil
}

// Validate checks a menu and returns the first problem, naming the field
// as the API spells it ("items[2].options[0].choices[1].price_cents").
func (m Menu) Validate() *FieldError {
	if len(m.Items) > MaxItems {
		return &FieldError{"items", fmt.Sprintf("has more than %d items", MaxItems)}
	}
	seen := map[string]int{}
	for i, it := range m.Items {
		f := fmt.Sprintf("items[%d]", i)
		if e := ID(f+".id", it.ID); e != nil {
			return e
		}
		if j, dup := seen[it.ID]; dup {
			return &FieldError{f + ".id", fmt.Sprintf("%q is also items[%d]", it.ID, j)}
		}
		seen[it.ID] = i
		if e := required(f+".name", it.Name); e != nil {
			return e
		}
		if e := price(f+".price_cents", it.PriceCents); e != nil {
			return e
		}
		if it.PriceCents == 0 {
			return &FieldError{f + ".price_cents", "must be more than 0"}
		}
		if e := options(f, it.Options); e != nil {
			return e
		}
	}
	return nil
}

func options(f string, gs []OptionGroup) *FieldError {
	if len(gs) > MaxOptionGroups {
		return &FieldError{f + ".options", fmt.Sprintf("has more than %d groups", MaxOptionGroups)}
	}
	groups := map[string]bool{}
	for i, g := range gs {
		gf := fmt.Sprintf("%s.options[%d]", f, i)
		if e := ID(gf+".id", g.ID); e != nil {
			return e
		}
		if groups[g.ID] {
			return &FieldError{gf + ".id", fmt.Sprintf("%q is given twice", g.ID)}
		}
		groups[g.ID] = true
		if e := required(gf+".name", g.Name); e != nil {
			return e
		}
		switch {
		case len(g.Choices) == 0 || len(g.Choices) > MaxChoices:
			return &FieldError{gf + ".choices", fmt.Sprintf("must hold 1 to %d choices", MaxChoices)}
		case g.Min < 0 || g.Min > len(g.Choices):
			return &FieldError{gf + ".min", "must be between 0 and the number of choices"}
		case g.Max < max(g.Min, 1) || g.Max > len(g.Choices):
			return &FieldError{gf + ".max", "must be between max(min, 1) and the number of choices"}
		}
		choices := map[string]bool{}
		for j, c := range g.Choices {
			cf := fmt.Sprintf("%s.choices[%d]", gf, j)
			if e := ID(cf+".id", c.ID); e != nil {
				return e
			}
			if choices[c.ID] {
				return &FieldError{cf + ".id", fmt.Sprintf("%q is given twice", c.ID)}
			}
			choices[c.ID] = true
			if e := required(cf+".name", c.Name); e != nil {
				return e
			}
			if e := price(cf+".price_cents", c.PriceCents); e != nil {
				return e
			}
		}
	}
	return nil
}

func price(field string, p int64) *FieldError {
	if p < 0 || p > MaxPriceCents {
		return &FieldError{field, fmt.Sprintf("must be between 0 and %d", MaxPriceCents)}
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// ID checks an identifier: 1 to 64 of a-z, 0-9, '-' and '_', so it is
// safe in a URL path, a Kafka key and a document key alike.
func ID(field, v string) *FieldError {
	if v == "" || len(v) > 64 {
		return &FieldError{field, "must be 1 to 64 characters"}
	}
	if i := strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}); i >= 0 {
		return &FieldError{field, fmt.Sprintf("may hold only a-z, 0-9, '-' and '_' (byte %d is not)", i)}
	}
	return nil
}

func required(field, v string) *FieldError {
	switch {
	case strings.TrimSpace(v) == "":
		return &FieldError{field, "is required"}
	case len(v) > maxText:
		return &FieldError{field, fmt.Sprintf("is longer than %d characters", maxText)}
	case !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError):
		return &FieldError{field, "is not valid UTF-8"}
	}
	if i := strings.IndexFunc(v, unicode.IsControl); i >= 0 {
		return &FieldError{field, fmt.Sprintf("contains the control character %U at byte %d", []rune(v[i:])[0], i)}
	}
	return nil
}
