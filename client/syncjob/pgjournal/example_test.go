package pgjournal_test

import (
	"context"
	"log"
	"os"

	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/client/syncjob/pgjournal"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A worker opens a pool sized above the schools it runs at once (each
// running school holds one connection for its lock), brings the schema up
// to date and gives the journal to its jobs. This example needs a
// database (DATABASE_URL), so it is compiled but not run.
func Example() {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	const workers = 8
	cfg.MaxConns = workers + 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if err := pgjournal.Migrate(ctx, pool); err != nil {
		log.Fatal(err)
	}
	jn := pgjournal.New(pool)
	jn.Retention = 100
	key := syncjob.KeyOf("https://school.example", "", nil)
	runs, err := jn.Runs(ctx, key, 3)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("%s: %d recent runs", key, len(runs))
	// A job uses it as any journal: syncjob.Job{Journal: jn, ...}.
}
