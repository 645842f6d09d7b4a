package pgjournal_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/syncjob/pgjournal"
	"github.com/autosync-go/autosync/client/syncjob/pgjournal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The tests run on a throwaway PostgreSQL cluster (package pgtest) that
// TestMain starts and stops. Without PostgreSQL they skip, unless
// AUTOSYNC_REQUIRE_POSTGRES=1, when they fail.
var (
	cluster   *pgtest.Cluster
	noServer  error  // why there is no cluster
	serverDSN string // the cluster's postgres database; "" if there is none
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		holdLock() // a child process of TestHolderKilled
		return
	}
	cluster, noServer = pgtest.Start()
	if cluster != nil {
		serverDSN = cluster.DSN
	}
	code := m.Run()
	cluster.Stop()
	os.Exit(code)
}

// needServer skips (or fails, with AUTOSYNC_REQUIRE_POSTGRES=1) a test
// when there is no cluster.
func needServer(t testing.TB) {
	t.Helper()
	pgtest.Need(t, noServer)
}

// newDatabase creates an empty, migrated database and returns its DSN.
func newDatabase(t testing.TB) string {
	t.Helper()
	needServer(t)
	dsn, err := cluster.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := pgjournal.Migrate(context.Background(), newPool(t, dsn)); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return dsn
}

// newPool returns a pool on dsn, closed at the end of the test.
func newPool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 40 // journaltest holds some 20 keys at once
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
