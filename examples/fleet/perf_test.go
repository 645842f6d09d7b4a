package fleet_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// The no-op River worker's process is this test binary run again with
// FLEET_NOOP_DSN set: the baseline of TestPerf.
const noopEnv = "FLEET_NOOP_DSN"

func init() {
	if dsn := os.Getenv(noopEnv); dsn != "" {
		if err := serveNoop(dsn); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

type noopArgs struct {
	School int `json:"school"`
}

func (noopArgs) Kind() string { return "fleet_noop" }

type noopWorker struct{ river.WorkerDefaults[noopArgs] }

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// serveNoop works no-op jobs of the queue noop, 10 at once, until stdin
// closes.
func serveNoop(dsn string) error {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	workers := river.NewWorkers()
	river.AddWorker(workers, &noopWorker{})
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Workers: workers,
		Queues: map[string]river.QueueConfig{"noop": {MaxWorkers: 10}}})
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	return c.Stop(ctx)
}

// rate returns schools per second: the night's jobs created since,
// divided by the seconds from since to the last one's end, and the
// number of jobs that took more than one attempt.
func (r *rig) rate(kind string, since time.Time) (perSecond float64, retried int) {
	r.t.Helper()
	var n int
	var last time.Time
	err := r.db.QueryRow(context.Background(), `SELECT count(*), max(finalized_at), count(*) FILTER (WHERE attempt > 1)
		FROM river_job WHERE kind = $1 AND created_at >= $2`, kind, since).Scan(&n, &last, &retried)
	if err != nil {
		r.t.Fatal(err)
	}
	return float64(n) / last.Sub(since).Seconds(), retried
}

// noopRate runs n no-op jobs on two no-op worker processes and returns
// their schools per second, measured as rate measures the fleet's.
func (r *rig) noopRate(n int) float64 {
	r.t.Helper()
	ctx := context.Background()
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), noopEnv+"="+r.dsn)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			r.t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			r.t.Fatal(err)
		}
		r.t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	}
	pool, err := pgxpool.New(ctx, r.dsn)
	if err != nil {
		r.t.Fatal(err)
	}
	defer pool.Close()
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		r.t.Fatal(err)
	}
	params := make([]river.InsertManyParams, n)
	for i := range params {
		params[i] = river.InsertManyParams{Args: noopArgs{School: i}, InsertOpts: &river.InsertOpts{Queue: "noop"}}
	}
	var since time.Time
	if err := r.db.QueryRow(ctx, `SELECT now()`).Scan(&since); err != nil {
		r.t.Fatal(err)
	}
	if _, err := c.InsertMany(ctx, params); err != nil {
		r.t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		var open int
		if err := r.db.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'fleet_noop' AND finalized_at IS NULL`).Scan(&open); err != nil {
			r.t.Fatal(err)
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d no-op jobs still open after 5 minutes", open)
		}
	}
	perSecond, _ := r.rate("fleet_noop", since)
	return perSecond
}

// peaks samples each process's open descriptors every 100 ms until stop
// is called, and returns the most seen, by pid.
func peaks(pids ...int) (stop func() map[int]int) {
	most := map[int]int{}
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		for {
			mu.Lock()
			for _, pid := range pids {
				fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
				most[pid] = max(most[pid], len(fds))
			}
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() map[int]int {
		close(done)
		mu.Lock()
		defer mu.Unlock()
		return most
	}
}

// vmHWM returns a process's peak resident set size in kB.
func vmHWM(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// TestPerf (issue 18 §5), with AUTOSYNC_FLEET_PERF=1 only: 2,000 schools
// of 300 rows on two workers, the fakes in another process, no kill, for
// three nights: a first one, then two incremental ones (a tenth of the
// users change). It logs schools per second for the first and the second
// night beside the same figure for a no-op River job on two processes,
// each worker's peak RSS and open descriptors, and the database's size
// after the third night. It fails on a school that ends wrong, and on
// the bounds of memory, descriptors and database size; speed is
// reported, not asserted.
func TestPerf(t *testing.T) {
	if os.Getenv("AUTOSYNC_FLEET_PERF") != "1" {
		t.Skip("set AUTOSYNC_FLEET_PERF=1 to measure the fleet (minutes, and a loaded machine)")
	}
	const schools, rows = 2000, 300
	r := newRig(t, schools, 0)
	a := r.start("worker-a", 10, time.Minute)
	b := r.start("worker-b", 10, time.Minute)
	stop := peaks(a.Process.Pid, b.Process.Pid)
	for night := range 3 {
		want := r.writeExports(night, func(int) int { return rows })
		since := r.enqueue(fmt.Sprintf("2026-12-%02d", night+1))
		states := r.waitFinal(since, 10*time.Minute)
		perSecond, retried := r.rate("autosync_school", since)
		t.Logf("night %d: %.1f schools/s; jobs %v, %d retried", night+1, perSecond, states, retried)
		if night != 1 {
			r.check(want)
		}
	}
	fds := stop()
	var size int64
	if err := r.db.QueryRow(context.Background(), `SELECT pg_database_size(current_database())`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	t.Logf("database after 3 nights: %.1f MB", float64(size)/1e6)
	for name, cmd := range map[string]*exec.Cmd{"worker-a": a, "worker-b": b} {
		kb, n := vmHWM(t, cmd.Process.Pid), fds[cmd.Process.Pid]
		t.Logf("%s: peak RSS %.1f MB, at most %d open descriptors", name, float64(kb)/1024, n)
		if kb > 64*1024 || n > 200 {
			t.Errorf("%s: peak RSS %d kB, %d descriptors; the issue's bound is 64 MB and 200", name, kb, n)
		}
	}
	if size > 75e6 {
		t.Errorf("database after 3 nights: %d bytes; the issue's bound is 75 MB", size)
	}
	t.Logf("no-op River job on the same setup: %.1f schools/s", r.noopRate(schools))
}
