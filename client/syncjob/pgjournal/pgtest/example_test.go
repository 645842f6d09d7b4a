package pgtest_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/autosync-go/autosync/client/syncjob/pgjournal/pgtest"
)

var (
	cluster  *pgtest.Cluster
	startErr error
)

// A package's TestMain starts one cluster for all its tests and stops it
// at the end; each test that needs it calls Need and takes a database of
// its own.
func TestMain(m *testing.M) {
	cluster, startErr = pgtest.Start()
	code := m.Run()
	cluster.Stop()
	os.Exit(code)
}

// A test that needs PostgreSQL skips without it, or fails with
// AUTOSYNC_REQUIRE_POSTGRES=1. Since its output depends on PostgreSQL
// being installed, this example is compiled but not run.
func Example() {
	var t *testing.T // the test's
	pgtest.Need(t, startErr)
	dsn, err := cluster.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(dsn) // postgres://postgres@127.0.0.1:port/db_1?sslmode=disable
}
