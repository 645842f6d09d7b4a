package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/syncjob/pgjournal/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestCluster: each database is a new one that takes connections, and a
// stopped cluster takes none.
func TestCluster(t *testing.T) {
	c, err := pgtest.Start()
	pgtest.Need(t, err)
	defer c.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seen := map[string]bool{}
	for range 2 {
		dsn, err := c.NewDatabase(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		var name string
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
		if seen[name] {
			t.Errorf("NewDatabase gave %s twice", name)
		}
		seen[name] = true
	}
	c.Stop()
	if conn, err := pgx.Connect(ctx, c.DSN); err == nil {
		conn.Close(ctx)
		t.Errorf("connected to %s after Stop", c.DSN)
	}
}
