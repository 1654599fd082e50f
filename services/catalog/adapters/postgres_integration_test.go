//go:build integration

package adapters

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/bloody-sweet/platform/services/internal/docdb"
	"github.com/bloody-sweet/platform/tests/testenv"
)

// TestRepositoryFerretPostgres runs the suite on FerretDB over the real
// Postgres (the closest to DocumentDB this machine runs).
func TestRepositoryFerretPostgres(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, err := docdb.StartFerret(context.Background(), "postgresql", pg.CreateDatabase(t, "ferretdb"), "catalog", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	var n atomic.Int64
	runRepositorySuite(t, func(t *testing.T) *mongo.Database {
		return db.Client.Database(fmt.Sprintf("suite_%d", n.Add(1)))
	})
}
