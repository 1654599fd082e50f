package sim

import (
	"strings"
	"testing"

	"github.com/bloody-sweet/platform/services/internal/config"
)

// TestBindNamesTheVariable: a world knob out of range fails the start with
// the variable's name; a good one reaches the world. (Not parallel: it sets
// the environment.)
func TestBindNamesTheVariable(t *testing.T) {
	for _, tc := range []struct{ env, value, want string }{
		{"SIM_NOISE", "5", "SIM_NOISE"},
		{"SIM_STORES", "0", "SIM_STORES"},
		{"SIM_SCALE", "-1", "SIM_SCALE"},
		{"SIM_DECLINE_RATE", "2", "decline rate"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			var c Config
			_, err := config.Parse("store", nil, func(b *config.Binder) { Bind(b, &c) })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s=%s: %v, want an error naming %s", tc.env, tc.value, err, tc.want)
			}
		})
	}
	var c Config
	_, err := config.Parse("store", []string{"-sim-stores=7", "-sim-seed=9"}, func(b *config.Binder) { Bind(b, &c) })
	if err != nil || c.World.Stores != 7 || c.WorldConfig().Seed != 9 {
		t.Errorf("flags: %v, stores %d seed %d", err, c.World.Stores, c.WorldConfig().Seed)
	}
}
