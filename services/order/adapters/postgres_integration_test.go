//go:build integration

package adapters

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/tests/testenv"
)

func TestRepositoryPostgres(t *testing.T) {
	pg := testenv.StartPostgres(t)
	var n atomic.Int64
	runRepositorySuite(t, func(t *testing.T) *storage.DB {
		url := pg.CreateDatabase(t, fmt.Sprintf("suite_%d", n.Add(1)))
		db, err := storage.Open(context.Background(), url, "order")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
