//go:build integration

package adapters

import (
	"context"
	"testing"

	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/tests/testenv"
)

func TestETAReadModelPostgres(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, err := storage.Open(context.Background(), pg.CreateDatabase(t, "eta_read_model"), "order")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	runETASuite(t, db)
}
