package pgtest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/autosync-go/autosync/client/syncjob/pgjournal/pgtest"
)

// A test that needs PostgreSQL starts a cluster (a package's TestMain
// can start one for all its tests), skips without one, or fails with
// AUTOSYNC_REQUIRE_POSTGRES=1, and takes a database of its own. Since its
// output depends on PostgreSQL being installed, this example is compiled
// but not run.
func Example() {
	var t *testing.T // the test's
	c, err := pgtest.Start()
	pgtest.Need(t, err)
	defer c.Stop()
	dsn, err := c.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(dsn) // postgres://postgres@127.0.0.1:port/db_1?sslmode=disable
}
