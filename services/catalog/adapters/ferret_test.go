package adapters

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/docdb"
)

// TestRepositoryEmbedded runs the suite on FerretDB embedded on an
// in-memory SQLite, as the demo and dev run it.
func TestRepositoryEmbedded(t *testing.T) {
	db, err := docdb.Open(context.Background(), docdb.Config{URL: config.Embedded, Database: "catalog"}, nil)
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
