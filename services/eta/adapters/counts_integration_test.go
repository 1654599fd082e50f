//go:build integration

package adapters

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/bloody-sweet/platform/services/eta/model"
	"github.com/bloody-sweet/platform/tests/testenv"
)

func TestSharedCountsRedis(t *testing.T) {
	url := testenv.StartRedis(t)
	runSharedCounts(t, func() model.Counts {
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		rdb := redis.NewClient(opt)
		t.Cleanup(func() { _ = rdb.Close() })
		return NewRedisCounts(rdb)
	})
}
