package events

import "time"

// The catalog's wire shapes: the payloads of StoreUpdated and MenuUpdated,
// and the bodies of the catalog API (GET /v1/restaurants...), declared
// once here. Subject and Kafka key of both events is the store id.

// Location is a point in WGS 84 degrees.
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// OpeningHours is one opening interval of a weekday in the restaurant's
// local time: Day is "monday".."sunday", Open and Close are "HH:MM"; a
// Close after midnight is written past 24:00 ("25:30").
type OpeningHours struct {
	Day   string `json:"day"`
	Open  string `json:"open"`
	Close string `json:"close"`
}

// Restaurant is a store as customers browse it and as StoreUpdated
// announces it (without its menu).
type Restaurant struct {
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	Cuisine      string         `json:"cuisine"`
	Location     Location       `json:"location"`
	Hours        []OpeningHours `json:"hours"`
	PrepCapacity int            `json:"prep_capacity"`
	// Version counts the store's changes (its fields and its menu); a
	// consumer ignores an event older than the version it holds.
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Choice is one answer of an option group; PriceCents is added to the
// item's price.
type Choice struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
}

// OptionGroup is a choice about an item: at least Min, at most Max of
// Choices.
type OptionGroup struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Min     int      `json:"min"`
	Max     int      `json:"max"`
	Choices []Choice `json:"choices"`
}

// MenuItem is one thing a store sells.
type MenuItem struct {
	ID         string        `json:"id"`
	Name       string        `json:"name"`
	PriceCents int64         `json:"price_cents"`
	Available  bool          `json:"available"`
	Options    []OptionGroup `json:"options"`
}

// Menu is a store's menu.
type Menu struct {
	StoreID   string     `json:"store_id"`
	Version   int64      `json:"version"`
	UpdatedAt time.Time  `json:"updated_at"`
	Items     []MenuItem `json:"items"`
}

// StoreUpdatedData is the payload of StoreUpdated: the store as it is now.
type StoreUpdatedData struct {
	Restaurant
}

// MenuUpdatedData is the payload of MenuUpdated: the whole menu as it is
// now (consumers replace theirs).
type MenuUpdatedData struct {
	Menu
}
