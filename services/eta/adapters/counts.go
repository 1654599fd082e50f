package adapters

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/bloody-sweet/platform/services/eta/model"
)

// CountsKey is the Redis hash of the world state the replicas share:
// field prep:<store> (orders in preparation there), busy (couriers on a
// delivery), pipeline (orders placed and not ready).
const CountsKey = "eta:counts"

// addScript applies the three deltas at once and returns the counts from
// before them, so two replicas' events never read the same count twice.
var addScript = redis.NewScript(`
local fields = {'prep:' .. ARGV[1], 'busy', 'pipeline'}
local out = {}
for i = 1, 3 do
  local d = tonumber(ARGV[i + 1])
  out[i] = redis.call('HINCRBY', KEYS[1], fields[i], d) - d
end
return out
`)

// RedisCounts is model.Counts shared by every replica through Redis: each
// replica consumes some partitions, so each sees some orders, and the
// queue and the couriers are the sum of what they all saw.
type RedisCounts struct{ rdb *redis.Client }

// NewRedisCounts keeps the counts in rdb.
func NewRedisCounts(rdb *redis.Client) *RedisCounts { return &RedisCounts{rdb: rdb} }

var _ model.Counts = (*RedisCounts)(nil)

// Add implements model.Counts.
func (c *RedisCounts) Add(ctx context.Context, store string, prep, busy, pipeline int) (model.Snapshot, error) {
	v, err := addScript.Run(ctx, c.rdb, []string{CountsKey}, store, prep, busy, pipeline).Int64Slice()
	if err != nil || len(v) != 3 {
		return model.Snapshot{}, fmt.Errorf("eta: counts of %s: %v", store, err)
	}
	return model.Snapshot{InPrep: int(v[0]), Busy: int(v[1]), Pipeline: int(v[2])}, nil
}
