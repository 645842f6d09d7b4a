// Package journaltest checks that an implementation of syncjob.Journal
// keeps the contract the sync job relies on, in the manner of
// testing/fstest: call TestJournal from a test of your own implementation.
//
//	func TestMyJournal(t *testing.T) {
//		journaltest.TestJournal(t, func(t *testing.T) func() (syncjob.Journal, error) {
//			db := newTestDatabase(t) // fresh, empty storage for each subtest
//			return func() (syncjob.Journal, error) { return myjournal.Open(db) }
//		})
//	}
//
// It checks: a key never committed has no state and no runs; a commit
// replaces the state byte for byte and appends its run; a record appends a
// run and keeps the state; a failed commit keeps the previous state; runs
// come back oldest first, every field intact, the last n on request, and
// can be read while another run holds the lock; a second Lock of a held key
// fails at once with a *syncjob.LockedError, also when many goroutines try
// at once, while other keys lock independently; locked sessions exclude
// each other so that concurrent read-and-commit loops lose no update;
// a closed session refuses further use; keys with characters that are
// unsafe in file names stay apart; of two commits in one session the last
// wins and the first is whole on its own; everything committed is there
// after the journal is opened again; and, given Options.LoseLock, a
// session that lost its lock cannot commit. A run record may hold any
// text, a NUL byte and line breaks included. TestRetention checks what a
// journal that prunes its log must keep.
//
// "At once" means without waiting for the holder to let go: the suite
// holds the lock while the second Lock runs, so a Lock that waits for the
// holder never returns; after 30 seconds the suite fails with a message
// saying so, and naming the case, rather than hanging, as it does for any
// Lock that hangs. It
// asserts no speed: a Lock that is slow to refuse, on a loaded database,
// passes. The suite runs in one process, so it cannot check that the lock
// of a process that died is released, which the contract also
// asks: test that yourself, with a child process that takes the lock and
// is killed (as package syncjob does for DirJournal).
package journaltest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/syncjob"
)

// Options are what a journal gives the suite beyond its storage.
type Options struct {
	// LoseLock makes a session lose its lock behind its back, as a
	// database connection that dropped, or a lock folder moved, does: a
	// second Lock of the key may then succeed. The LostLock case checks
	// that the session that lost its lock cannot commit or record; it is
	// skipped when LoseLock is nil.
	LoseLock func(syncjob.Session) error
}

// TestJournal runs the conformance suite as subtests of t. newStore is
// called at the start of each subtest and must set up fresh, empty storage;
// the function it returns opens a Journal on that storage. The suite calls
// it again to check that what was committed survives a reopen, as after a
// restart or from another process. opts, at most one, says what else the
// journal can do.
func TestJournal(t *testing.T, newStore func(t *testing.T) func() (syncjob.Journal, error), opts ...Options) {
	t.Helper()
	var o Options
	switch len(opts) {
	case 0:
	case 1:
		o = opts[0]
	default:
		t.Fatalf("journaltest: TestJournal takes at most one Options, not %d", len(opts))
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, open func() syncjob.Journal)
	}{
		{"Empty", testEmpty},
		{"CommitReplacesState", testCommit},
		{"RecordKeepsState", testRecord},
		{"FailedCommitKeepsState", testFailedCommit},
		{"RunsRoundTrip", testRunsRoundTrip},
		{"RunsLastN", testRunsLastN},
		{"LockExcludes", testLockExcludes},
		{"ConcurrentLock", testConcurrentLock},
		{"NoLostUpdates", testNoLostUpdates},
		{"KeysIndependent", testKeysIndependent},
		{"ClosedSession", testClosedSession},
		{"ReopenAfterCommit", testReopen},
		{"TwoCommitsOneSession", testTwoCommits},
		{"DoneContext", testDoneContext},
		{"LostLock", func(t *testing.T, open func() syncjob.Journal) { testLostLock(t, open, o.LoseLock) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open := newStore(t)
			tt.fn(t, func() syncjob.Journal {
				t.Helper()
				j, err := open()
				if err != nil {
					t.Fatalf("opening the journal: %v", err)
				}
				return j
			})
		})
	}
}

var key = syncjob.Key{Site: "https://school.example", Tenant: "T1", Import: "user-groups"}

// hangLimit is how long the suite waits for a Lock before it takes the
// Lock to be hanging: a hang detector, not a measure of speed, so it is far
// longer than any database under load takes to answer. A variable, so that
// the package's own test of a journal that hangs need not wait it out.
var hangLimit = 30 * time.Second

// within calls f and returns once f has. If f has not returned after
// hangLimit, it fails the test with a message that starts with what and
// ends with why, and leaves f running.
func within(t *testing.T, what, why string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	timer := time.NewTimer(hangLimit)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Fatalf("%s: %s did not return within %v%s", t.Name(), what, hangLimit, why)
	}
}

// lockHeld calls j.Lock(k), which must fail without waiting for the
// holder since k is held, and returns its error.
func lockHeld(t *testing.T, j syncjob.Journal, k syncjob.Key) error {
	t.Helper()
	var (
		s   syncjob.Session
		err error
	)
	within(t, fmt.Sprintf("Lock of %v, held by another session,", k),
		": it seems to wait for the holder; Lock must fail at once with a *syncjob.LockedError",
		func() { s, err = j.Lock(ctx, k) })
	if err == nil {
		_ = s.Close()
	}
	return err
}

// lockWithin calls j.Lock(c, k), failing the test if it hangs.
func lockWithin(t *testing.T, c context.Context, j syncjob.Journal, k syncjob.Key) (s syncjob.Session, err error) {
	t.Helper()
	within(t, fmt.Sprintf("Lock of %v, which no session holds,", k), "", func() { s, err = j.Lock(c, k) })
	return s, err
}

var ctx = context.Background()

func lock(t *testing.T, j syncjob.Journal, k syncjob.Key) syncjob.Session {
	t.Helper()
	s, err := lockWithin(t, ctx, j, k)
	if err != nil {
		t.Fatalf("Lock(%v): %v", k, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// state returns the session's state, or nil if it has none.
func state(t *testing.T, s syncjob.Session) []byte {
	t.Helper()
	rc, err := s.State(ctx)
	if errors.Is(err, syncjob.ErrNoState) {
		return nil
	}
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading the state: %v", err)
	}
	if b == nil {
		b = []byte{}
	}
	return b
}

func runs(t *testing.T, j syncjob.Journal, k syncjob.Key, n int) []syncjob.Run {
	t.Helper()
	rs, err := j.Runs(ctx, k, n)
	if err != nil {
		t.Fatalf("Runs(%v, %d): %v", k, n, err)
	}
	return rs
}

// run returns a small run record numbered i.
func run(i int) syncjob.Run {
	start := time.Date(2025, 3, 1, 2, 0, i, 0, time.UTC)
	return syncjob.Run{Start: start, End: start.Add(time.Second), Key: key, Mode: syncjob.ModeIncremental,
		Outcome: syncjob.OutcomeOK, RowsSent: i, SDKVersion: "test"}
}

func commit(t *testing.T, s syncjob.Session, st string, r syncjob.Run) {
	t.Helper()
	if err := s.Commit(ctx, strings.NewReader(st), r); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func wantState(t *testing.T, s syncjob.Session, want string) {
	t.Helper()
	if got := state(t, s); got == nil || string(got) != want {
		t.Fatalf("state %q, want %q", got, want)
	}
}

func wantRuns(t *testing.T, j syncjob.Journal, k syncjob.Key, n int, want ...syncjob.Run) {
	t.Helper()
	got := runs(t, j, k, n)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if msg := diffRuns(want, got); msg != "" {
		t.Fatalf("Runs(%d): %s", n, msg)
	}
}

// diffRuns says how got differs from want, or returns "". Times are
// compared as instants, whatever their location; a nil and an empty list of
// usernames are the same.
func diffRuns(want, got []syncjob.Run) string {
	if len(want) != len(got) {
		return fmt.Sprintf("%d runs, want %d:\ngot  %s\nwant %s", len(got), len(want), formatRuns(got), formatRuns(want))
	}
	for i := range want {
		w, g := normal(want[i]), normal(got[i])
		if !reflect.DeepEqual(w, g) {
			return fmt.Sprintf("run %d differs:\ngot  %s\nwant %s", i, formatRun(g), formatRun(w))
		}
	}
	return ""
}

func normal(r syncjob.Run) syncjob.Run {
	r.Start, r.End = r.Start.UTC().Round(0), r.End.UTC().Round(0)
	if len(r.FailedUsernames) == 0 {
		r.FailedUsernames = nil
	}
	return r
}

func formatRuns(rs []syncjob.Run) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, formatRun(r))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// formatRun prints a run with what its pointers point to.
func formatRun(r syncjob.Run) string {
	plan, res := "nil", "nil"
	if r.Plan != nil {
		plan = fmt.Sprintf("%+v", *r.Plan)
	}
	if r.Result != nil {
		res = fmt.Sprintf("%+v", *r.Result)
	}
	r.Plan, r.Result = nil, nil
	return fmt.Sprintf("%+v (Plan %s, Result %s)", r, plan, res)
}
