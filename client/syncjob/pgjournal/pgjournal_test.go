package pgjournal_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/client/syncjob/journaltest"
	"github.com/autosync-go/autosync/client/syncjob/pgjournal"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

var key = syncjob.Key{Site: "https://school.example", Tenant: "T1", Import: "user-groups"}

// stores returns the journaltest store of a fresh database, whose
// journals keep retention runs.
func stores(retention int) func(t *testing.T) func() (syncjob.Journal, error) {
	return func(t *testing.T) func() (syncjob.Journal, error) {
		pool := newPool(t, newDatabase(t))
		return func() (syncjob.Journal, error) {
			j := pgjournal.New(pool)
			j.Retention = retention
			return j, nil
		}
	}
}

// loseLock terminates the backend of the session's connection from
// another connection, and waits until it is gone.
func loseLock(s syncjob.Session) error {
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, serverDSN)
	if err != nil {
		return err
	}
	defer admin.Close()
	var done bool
	if err := admin.QueryRow(ctx, `SELECT pg_terminate_backend($1, 10000)`, int64(pgjournal.BackendPID(s))).Scan(&done); err != nil {
		return err
	}
	if !done {
		return errors.New("the backend was not terminated")
	}
	return nil
}

func TestJournal(t *testing.T) {
	needServer(t)
	journaltest.TestJournal(t, stores(0), journaltest.Options{LoseLock: loseLock})
}

func TestRetention(t *testing.T) {
	needServer(t)
	journaltest.TestRetention(t, stores(3))
}

// childEnv carries the DSN to the child process of TestHolderKilled.
const childEnv = "PGJOURNAL_TEST_HOLDER_DSN"

// holdLock, in the child process, takes key's lock, says so on stdout and
// waits to be killed.
func holdLock() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv(childEnv))
	if err == nil {
		_, err = pgjournal.New(pool).Lock(ctx, key)
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	select {}
}

// TestHolderKilled: the lock of a process killed while holding it is
// released, and Lock succeeds within a bounded poll.
func TestHolderKilled(t *testing.T) {
	dsn := newDatabase(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dsn)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		t.Fatalf("the child process said %q, want \"locked\"", line)
	}
	j := pgjournal.New(newPool(t, dsn))
	_, err = j.Lock(context.Background(), key)
	var le *syncjob.LockedError
	if !errors.As(err, &le) || le.PID != cmd.Process.Pid {
		t.Fatalf("Lock while the child holds the lock: %v, want a *LockedError naming process %d", err, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := j.Lock(context.Background(), key)
		if err == nil {
			_ = s.Close()
			return
		}
		if !errors.As(err, &le) || time.Now().After(deadline) {
			t.Fatalf("Lock after the holder was killed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rows is a state of n CSV rows, made as it is read.
type rows struct {
	n, i int
	line []byte // the row being read
	off  int    // how much of it was read
}

func (r *rows) Read(p []byte) (int, error) {
	if r.off == len(r.line) {
		if r.i == r.n {
			return 0, io.EOF
		}
		r.line, r.off = fmt.Appendf(r.line[:0], "student%07d,year %d,house %d\n", r.i, r.i%13, r.i%4), 0
		r.i++
	}
	k := copy(p, r.line[r.off:])
	r.off += k
	return k, nil
}

// TestLargeState: a 200,000-row state commits without the journal
// allocating as much as one copy of it (not measured under -race), and
// reads back whole.
func TestLargeState(t *testing.T) {
	if testing.Short() {
		t.Skip("a large state: not with -short")
	}
	pool := newPool(t, newDatabase(t))
	ctx := context.Background()
	s, err := pgjournal.New(pool).Lock(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := sha256.New()
	size, _ := io.Copy(want, &rows{n: 200000})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := s.Commit(ctx, &rows{n: 200000}, syncjob.Run{Key: key, Outcome: syncjob.OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; !raceEnabled && alloc >= uint64(size) {
		t.Errorf("the commit of a %d-byte state allocated %d bytes: it holds a copy of the state", size, alloc)
	}
	rc, err := s.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := sha256.New()
	if _, err := io.Copy(got, rc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fmt.Sprintf("%x", want.Sum(nil)), fmt.Sprintf("%x", got.Sum(nil))); diff != "" {
		t.Errorf("the state read back differs (-want +got):\n%s", diff)
	}
}

// TestHealth: Health reads back to the last success, however far back it
// is, and counts the failures since.
func TestHealth(t *testing.T) {
	at := func(i int) time.Time { return time.Date(2026, 12, 1, 0, 0, i, 0, time.UTC) }
	tests := []struct {
		name             string
		success, failing int // a success (if success > 0) after success-1 failures, then failing failures
		want             syncjob.Health
	}{
		{"never used", 0, 0, syncjob.Health{}},
		{"no success", 0, 70, syncjob.Health{FailuresSince: 70}},
		{"last run ok", 3, 0, syncjob.Health{LastSuccess: at(2)}},
		{"success in the first window", 1, 15, syncjob.Health{LastSuccess: at(0), FailuresSince: 15}},
		{"success just outside it", 5, 16, syncjob.Health{LastSuccess: at(4), FailuresSince: 16}},
		{"success far back", 2, 100, syncjob.Health{LastSuccess: at(1), FailuresSince: 100}},
	}
	pool := newPool(t, newDatabase(t))
	ctx := context.Background()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := pgjournal.New(pool)
			k := key
			k.Import = fmt.Sprint("import-", i)
			s, err := j.Lock(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for n := range tt.success + tt.failing {
				r := syncjob.Run{Start: at(n), End: at(n), Key: k, Outcome: syncjob.OutcomeTransportError}
				if n == tt.success-1 {
					r.Outcome = syncjob.OutcomeOK
				}
				if err := s.Record(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			h, err := j.Health(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, h); diff != "" {
				t.Errorf("Health (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLostLockCannotWrite: a session whose lock is gone, by its
// connection's death or released on its still-open connection, can
// neither commit nor record, and Close still succeeds.
func TestLostLockCannotWrite(t *testing.T) {
	tests := []struct {
		name string
		lose func(syncjob.Session) error
	}{
		{"connection terminated", loseLock},
		{"lock released on the open connection", pgjournal.Unlock},
	}
	pool := newPool(t, newDatabase(t))
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := pgjournal.New(pool).Lock(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.lose(s); err != nil {
				t.Fatal(err)
			}
			run := syncjob.Run{Key: key, Outcome: syncjob.OutcomeOK}
			if err := s.Commit(ctx, strings.NewReader("state"), run); err == nil {
				t.Error("Commit after the lock was lost succeeded")
			}
			if err := s.Record(ctx, run); err == nil {
				t.Error("Record after the lock was lost succeeded")
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			runs, err := pgjournal.New(pool).Runs(ctx, key, 0)
			if err != nil || len(runs) != 0 {
				t.Errorf("Runs: %d runs, %v; want none", len(runs), err)
			}
		})
	}
}

// TestJob: a syncjob.Job runs its nights on the journal as on DirJournal:
// everything first, then only what changed, and a broken export refused.
func TestJob(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithApplyMode(clienttest.ApplyReplace))
	defer srv.Close()
	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
	if err != nil {
		t.Fatal(err)
	}
	job := &syncjob.Job{Client: c, Journal: pgjournal.New(newPool(t, newDatabase(t))),
		Rules: csvspec.Rules{LibraryGroups: []string{"House Red", "House Blue"}}}
	monday := "username,library-group,system-group\nann,House Red,\nbob,House Blue,\n"
	tuesday := "username,library-group,system-group\nann,House Red,\nbob,House Red,\ncat,House Blue,\n"
	type night struct {
		Outcome  syncjob.Outcome
		RowsSent int
	}
	var got []night
	for _, export := range []string{monday, tuesday, tuesday, ""} {
		rep, _ := job.Run(context.Background(), strings.NewReader(export))
		got = append(got, night{rep.Outcome, rep.RowsSent})
	}
	want := []night{{syncjob.OutcomeOK, 2}, {syncjob.OutcomeOK, 2}, {syncjob.OutcomeOK, 0}, {syncjob.OutcomeRefused, 0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the nights (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"House Red"}, srv.Memberships()["bob"].LibraryGroups); diff != "" {
		t.Errorf("bob's groups in Infiniti (-want +got):\n%s", diff)
	}
	_, health, err := job.History(context.Background(), 0)
	if err != nil || health.FailuresSince != 1 || health.LastSuccess.IsZero() {
		t.Errorf("History: health %+v, %v; want a success and 1 failure since", health, err)
	}
}

// BenchmarkSession: one school's journal work for a night (Lock, read the
// state, commit a 300-row state twice, as before and after the post,
// Close) on pgjournal, beside DirJournal as the baseline.
func BenchmarkSession(b *testing.B) {
	if serverDSN == "" {
		b.Skip("no PostgreSQL: ", noServer)
	}
	dir, err := syncjob.OpenDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	journals := []struct {
		name string
		jn   syncjob.Journal
	}{{"dir", dir}, {"pg", pgjournal.New(newPool(b, newDatabase(b)))}}
	var state strings.Builder
	for i := range 300 {
		fmt.Fprintf(&state, "student%04d,House %d,\n", i, i%4)
	}
	ctx := context.Background()
	for _, j := range journals {
		b.Run(j.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				k := key
				k.Tenant = fmt.Sprint("T", i%100)
				s, err := j.jn.Lock(ctx, k)
				if err != nil {
					b.Fatal(err)
				}
				if rc, err := s.State(ctx); err == nil {
					_, _ = io.Copy(io.Discard, rc)
					rc.Close()
				}
				for range 2 {
					if err := s.Commit(ctx, strings.NewReader(state.String()), syncjob.Run{Key: k, Outcome: syncjob.OutcomeOK}); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
