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

// RedisCounts is model.Counts shared by every replica through Redis: each
// replica consumes some partitions, so each sees some orders, and the
// queue and the couriers are the sum of what they all saw.
type RedisCounts struct{ rdb *redis.Client }

// NewRedisCounts keeps the counts in rdb.
func NewRedisCounts(rdb *redis.Client) *RedisCounts { return &RedisCounts{rdb: rdb} }

var _ model.Counts = (*RedisCounts)(nil)

// Add implements model.Counts: the three increments in one MULTI/EXEC
// (atomic, so two replicas' events never read the same count twice; one
// round trip, and no script, which the embedded miniredis runs slowly).
// HINCRBY answers the count after; the count before is that minus the
// delta.
func (c *RedisCounts) Add(ctx context.Context, store string, prep, busy, pipeline int) (model.Snapshot, error) {
	var cmds [3]*redis.IntCmd
	deltas := [3]int{prep, busy, pipeline}
	_, err := c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i, f := range [3]string{"prep:" + store, "busy", "pipeline"} {
			cmds[i] = p.HIncrBy(ctx, CountsKey, f, int64(deltas[i]))
		}
		return nil
	})
	if err != nil {
		return model.Snapshot{}, fmt.Errorf("eta: counts of %s: %w", store, err)
	}
	before := func(i int) int { return int(cmds[i].Val()) - deltas[i] }
	return model.Snapshot{InPrep: before(0), Busy: before(1), Pipeline: before(2)}, nil
}
