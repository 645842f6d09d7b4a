package fleet

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/syncjob/pgjournal/pgtest"
	"github.com/autosync-go/autosync/examples/internal/cli"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

func TestMainFlags(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"-h"}, 0},
		{[]string{"-workers", "many"}, 2},
		{[]string{"-at", "25:00"}, 2},
		{[]string{"stray"}, 2},
		{[]string{"-db", "not a dsn ::"}, 1},
		{[]string{"-answer-limit", "0"}, 1},
		{[]string{"-workers", "0"}, 1},
	}
	for _, tt := range tests {
		if got := Main(tt.args, "", nil); got != tt.want {
			t.Errorf("Main(%q) = %d, want %d", tt.args, got, tt.want)
		}
	}
}

// TestFlagsHideDSN: -h and a bad flag do not print $DATABASE_URL, which
// holds a password.
func TestFlagsHideDSN(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://u:secret@127.0.0.1/db")
	for _, args := range [][]string{{"-h"}, {"-workers", "many"}} {
		var c config
		var out bytes.Buffer
		if code, _ := cli.ParseFlags(c.flags(&out), args); code < 0 || out.Len() == 0 {
			t.Errorf("flags %q: code %d, printed %q; want the usage", args, code, out.String())
		}
		if strings.Contains(out.String(), "secret") {
			t.Errorf("flags %q printed $DATABASE_URL:\n%s", args, out.String())
		}
	}
}

// TestKeep: River keeps every final job -failing-nights + 1 days, so a
// school cancelled each night is still seen failing (BuildStatus).
func TestKeep(t *testing.T) {
	c := config{Failing: 3}
	got := c.keep(&river.Config{})
	d := 4 * 24 * time.Hour
	want := []time.Duration{d, d, d}
	if diff := cmp.Diff(want, []time.Duration{got.CompletedJobRetentionPeriod, got.CancelledJobRetentionPeriod, got.DiscardedJobRetentionPeriod}); diff != "" {
		t.Errorf("retention of completed, cancelled, discarded jobs (-want +got):\n%s", diff)
	}
}

// hung is a River client whose running jobs never return.
type hung struct{}

func (hung) Stop(ctx context.Context) error          { <-ctx.Done(); return ctx.Err() }
func (hung) StopAndCancel(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

// TestStopWorkers: a stop whose jobs ignore their cancelled contexts ends,
// with an error, after the grace period twice over.
func TestStopWorkers(t *testing.T) {
	err := stopWorkers(hung{}, time.Millisecond)
	want := "the running schools did not stop within -grace (1ms) of being cancelled: context deadline exceeded"
	if err == nil || err.Error() != want {
		t.Errorf("stopWorkers = %v, want %q", err, want)
	}
}

// TestPoolConfig: a pool too small for -workers is refused (it would
// deadlock: each running school holds a connection); without
// pool_max_conns the pool is sized from -workers.
func TestPoolConfig(t *testing.T) {
	tests := []struct {
		dsn     string
		workers int
		want    int32  // MaxConns
		err     string // in the error
	}{
		{"postgres://u:secret@127.0.0.1/db", 10, 20, ""},
		{"postgres://u:secret@127.0.0.1/db?pool_max_conns=12", 10, 12, ""},
		{"postgres://u:secret@127.0.0.1/db?pool_max_conns=11", 10, 0, "pool_max_conns is 11; with -workers 10 give at least 12"},
		{"host=127.0.0.1 user=u password=secret pool_max_conns=3", 2, 0, "pool_max_conns is 3; with -workers 2 give at least 4"},
	}
	for _, tt := range tests {
		pc, err := poolConfig(tt.dsn, tt.workers)
		var got int32
		if err == nil {
			got = pc.MaxConns
		}
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("poolConfig(%q, %d) = %d, %v; want %d, %q", tt.dsn, tt.workers, got, err, tt.want, tt.err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("poolConfig(%q) error shows the password: %v", tt.dsn, err)
		}
	}
}

// ids is a SchoolSource of IDs only.
type ids []string

func (s ids) Tonight(context.Context) ([]string, error) { return s, nil }
func (s ids) School(_ context.Context, id string) (School, error) {
	return School{}, fmt.Errorf("%s: %w", id, ErrNoSchool)
}

// testPool returns a pool on a throwaway PostgreSQL cluster (pgtest),
// migrated; the test skips without PostgreSQL, unless CI requires it.
func testPool(t *testing.T) *pgxpool.Pool {
	c, err := pgtest.Start()
	pgtest.Need(t, err)
	t.Cleanup(c.Stop)
	ctx := context.Background()
	dsn, err := c.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := migrate(ctx, pool, ""); err != nil {
		t.Fatal(err)
	}
	return pool
}

// TestEnqueueNight: a night enqueued twice runs no school twice, and the
// status page sees the last night's jobs.
func TestEnqueueNight(t *testing.T) {
	pool := testPool(t)
	ctx := context.Background()
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	src := ids{"b", "a", "b"}
	var got []int
	for _, night := range []string{"n1", "n1", "n2"} {
		n, err := EnqueueNight(ctx, rc, src, night)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if diff := cmp.Diff([]int{2, 0, 2}, got); diff != "" {
		t.Errorf("jobs inserted per enqueue (-want +got):\n%s", diff)
	}
	st, err := LoadStatus(ctx, pool, 3)
	if err != nil {
		t.Fatal(err)
	}
	st.Generated = time.Time{}
	want := Status{Night: "n2", Schools: 2, Outcomes: map[string]int{"queued": 2}, NeedPerson: []Attention{}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("LoadStatus (-want +got):\n%s", diff)
	}
}
