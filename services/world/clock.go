package world

import "time"

// anchor is a Monday: world weeks start there.
var anchor = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const week = 7 * 24 * time.Hour

// Now maps wall time to world time: the world week repeats every
// week/Scale of wall time, so every process with the same Scale agrees on
// the world hour without talking to the others. With Scale 1 the world
// is the wall clock's weekday and hour (UTC).
func (c Config) Now(wall time.Time) time.Time {
	period := time.Duration(float64(week) / c.Scale)
	if period <= 0 {
		return anchor
	}
	off := wall.Sub(anchor) % period
	if off < 0 {
		off += period
	}
	return anchor.Add(time.Duration(float64(off) * c.Scale))
}

// ToWall is the wall duration of world duration d.
func (c Config) ToWall(d time.Duration) time.Duration { return time.Duration(float64(d) / c.Scale) }

// ToWorld is the world duration of wall duration d.
func (c Config) ToWorld(d time.Duration) time.Duration { return time.Duration(float64(d) * c.Scale) }
