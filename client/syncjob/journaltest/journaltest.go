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
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
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
	if len(opts) > 0 {
		o = opts[0]
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

func testEmpty(t *testing.T, open func() syncjob.Journal) {
	j := open()
	wantRuns(t, j, key, 0)
	s := lock(t, j, key)
	if got := state(t, s); got != nil {
		t.Fatalf("a key never committed has state %q; State must return an error matching syncjob.ErrNoState", got)
	}
	if err := s.Record(ctx, run(1)); err != nil {
		t.Fatalf("Record: %v", err)
	}
	if got := state(t, s); got != nil {
		t.Fatalf("Record made a state %q", got)
	}
	wantRuns(t, j, key, 0, run(1))
}

func testCommit(t *testing.T, open func() syncjob.Journal) {
	j := open()
	s := lock(t, j, key)
	commit(t, s, "username,library-group,system-group\na,Gold,\n", run(1))
	wantState(t, s, "username,library-group,system-group\na,Gold,\n")
	// A large state, byte for byte, with quotes, line breaks and no final newline.
	var big strings.Builder
	big.WriteString("username,library-group,system-group\n")
	for i := range 20000 {
		fmt.Fprintf(&big, "user%05d,\"House, \"\"%d\"\"\",Year\r\n%d\n", i, i%7, i%6)
	}
	big.WriteString("last,row,no newline")
	commit(t, s, big.String(), run(2))
	wantState(t, s, big.String())
	// An empty state is a state, not "no state".
	commit(t, s, "", run(3))
	if got := state(t, s); got == nil || len(got) != 0 {
		t.Fatalf("after committing an empty state, state %q (nil: none), want an empty one", got)
	}
	wantRuns(t, j, key, 0, run(1), run(2), run(3))
}

func testRecord(t *testing.T, open func() syncjob.Journal) {
	j := open()
	s := lock(t, j, key)
	commit(t, s, "state 1", run(1))
	for i := 2; i <= 4; i++ {
		if err := s.Record(ctx, run(i)); err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
	wantState(t, s, "state 1")
	wantRuns(t, j, key, 0, run(1), run(2), run(3), run(4))
}

// failingReader gives some bytes, then an error.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		n := min(len(p), r.n)
		for i := range n {
			p[i] = 'x'
		}
		r.n -= n
		return n, nil
	}
	return 0, errors.New("journaltest: the state cannot be produced")
}

func testFailedCommit(t *testing.T, open func() syncjob.Journal) {
	j := open()
	s := lock(t, j, key)
	commit(t, s, "good state", run(1))
	if err := s.Commit(ctx, &failingReader{n: 100000}, run(2)); err == nil {
		t.Fatal("Commit of a state that fails to read returned no error")
	}
	wantState(t, s, "good state")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = lock(t, open(), key)
	wantState(t, s, "good state")
	for _, r := range runs(t, j, key, 0) {
		if r.RowsSent == 2 {
			t.Fatal("the run of a failed commit was recorded as if it had committed")
		}
	}
}

func testRunsRoundTrip(t *testing.T, open func() syncjob.Journal) {
	j := open()
	start := time.Date(2025, 3, 1, 2, 0, 0, 123456789, time.UTC)
	// fullRun returns a new record with every field set, each time.
	fullRun := func() syncjob.Run {
		return syncjob.Run{
			Start: start, End: start.Add(1500 * time.Millisecond), Key: key,
			Mode: syncjob.ModeFull, Forced: true, Overridden: "syncjob: refused: …, a NUL \x00 and a line\nbreak",
			Source: `C:\exports\groups "night".csv`, SHA256: strings.Repeat("ab", 32),
			RowsRead: 200000, EmptyRows: 3, CheckErrors: 0, CheckWarnings: 12,
			Plan: &syncjob.PlanStats{Mode: syncjob.ModeFull, LastUsers: 100, Users: 90, Rows: 180, New: 1, Changed: 2,
				Unchanged: 87, Gone: 10, Losing: 11, Added: 3, Removed: 25, RowsToSend: 180},
			RowsSent: 180, BytesSent: 5400, HTTPStatus: 200, Attempts: 2,
			Result:     &syncjob.RunResult{Success: false, Summary: "90 users processed. 0 users created. 88 users updated. 2 users failed.", Processed: 90, Updated: 88, Failed: 2},
			FailedRows: 3, FailedUsers: 2, FailedUsernames: []string{"zoë", "o'brien"},
			Outcome: syncjob.OutcomeRowsFailed, Error: "client: 2 rows failed", SDKVersion: "0.1.0",
		}
	}
	s := lock(t, j, key)
	given := fullRun()
	if err := s.Record(ctx, given); err != nil {
		t.Fatal(err)
	}
	given.Plan.New, given.Result.Failed, given.FailedUsernames[0] = 77, 77, "changed by the caller"
	minimal := syncjob.Run{Start: start, End: start, Key: key, Outcome: syncjob.OutcomeLocked}
	if err := s.Record(ctx, minimal); err != nil {
		t.Fatal(err)
	}
	wantRuns(t, j, key, 0, fullRun(), minimal)
	// The records do not share memory with the caller's, nor with each
	// other's.
	got := runs(t, j, key, 0)
	got[0].Plan.New = 99
	got[0].Result.Failed = 99
	got[0].FailedUsernames[0] = "changed"
	wantRuns(t, j, key, 0, fullRun(), minimal)
}

func testRunsLastN(t *testing.T, open func() syncjob.Journal) {
	j := open()
	s := lock(t, j, key)
	var all []syncjob.Run
	for i := range 12 {
		if err := s.Record(ctx, run(i)); err != nil {
			t.Fatal(err)
		}
		all = append(all, run(i))
	}
	for _, n := range []int{1, 5, 12, 13, 0, -1} {
		want := all
		if n > 0 && n < len(all) {
			want = all[len(all)-n:]
		}
		wantRuns(t, j, key, n, want...)
	}
	// The log can be read while a run holds the lock.
	wantRuns(t, open(), key, 2, all[10:]...)
}

func wantLocked(t *testing.T, err error, k syncjob.Key) {
	t.Helper()
	var le *syncjob.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("a second Lock of %v returned %v, want a *syncjob.LockedError", k, err)
	}
	if le.Key != k {
		t.Errorf("LockedError.Key = %v, want %v", le.Key, k)
	}
	if le.Error() == "" {
		t.Error("LockedError says nothing")
	}
}

func testLockExcludes(t *testing.T, open func() syncjob.Journal) {
	j := open()
	s := lock(t, j, key)
	wantLocked(t, lockHeld(t, j, key), key)
	// Also from another Journal on the same storage, as another process.
	wantLocked(t, lockHeld(t, open(), key), key)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	s2 := lock(t, open(), key)
	if err := s2.Record(ctx, run(1)); err != nil {
		t.Fatal(err)
	}
}

func testConcurrentLock(t *testing.T, open func() syncjob.Journal) {
	const n = 8
	journals := make([]syncjob.Journal, n)
	for i := range journals {
		journals[i] = open()
	}
	var (
		tried, hold sync.WaitGroup
		start       = make(chan struct{})
		mu          sync.Mutex
		won         int
		errs        []error
	)
	tried.Add(n)
	hold.Add(1)
	for i := range n {
		go func() {
			<-start
			s, err := journals[i].Lock(ctx, key)
			mu.Lock()
			if err == nil {
				won++
			} else {
				errs = append(errs, err)
			}
			mu.Unlock()
			tried.Done()
			if err == nil {
				hold.Wait() // keep the lock until everyone has tried
				_ = s.Close()
			}
		}()
	}
	close(start)
	defer hold.Done() // let the holder go, also if the Locks hang, so that waiting Locks end
	within(t, fmt.Sprintf("%d concurrent Locks of one key", n),
		": they seem to wait for the holder; a Lock of a held key must fail at once with a *syncjob.LockedError",
		tried.Wait)
	if won != 1 {
		t.Fatalf("%d of %d concurrent Locks succeeded, want exactly 1", won, n)
	}
	for _, err := range errs {
		wantLocked(t, err, key)
	}
}

func testNoLostUpdates(t *testing.T, open func() syncjob.Journal) {
	const workers, each, maxTries = 4, 8, 200000
	journals := make([]syncjob.Journal, workers)
	for w := range journals {
		journals[w] = open()
	}
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w, j := range journals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := increment(j, each, maxTries); err != nil {
				errc <- fmt.Errorf("worker %d: %w", w, err)
			}
		}()
	}
	within(t, fmt.Sprintf("%d concurrent read-and-commit loops", workers), "", wg.Wait)
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	s := lock(t, open(), key)
	wantState(t, s, strconv.Itoa(workers*each))
	if got := len(runs(t, open(), key, 0)); got != workers*each {
		t.Fatalf("%d runs recorded, want %d", got, workers*each)
	}
}

// increment adds 1 to the number the state holds, times times, taking the
// lock for each, retrying while others hold it.
func increment(j syncjob.Journal, times, maxTries int) error {
	for done, tries := 0, 0; done < times; {
		if tries++; tries > maxTries {
			return fmt.Errorf("no lock after %d tries", maxTries)
		}
		s, err := j.Lock(ctx, key)
		if errors.As(err, new(*syncjob.LockedError)) {
			runtime.Gosched()
			continue
		}
		if err != nil {
			return err
		}
		n := 0
		rc, err := s.State(ctx)
		switch {
		case err == nil:
			b, rerr := io.ReadAll(rc)
			rc.Close()
			if n, err = strconv.Atoi(string(b)); rerr != nil || err != nil {
				s.Close()
				return fmt.Errorf("state %q: %v %v", b, rerr, err)
			}
		case !errors.Is(err, syncjob.ErrNoState):
			s.Close()
			return err
		}
		err = s.Commit(ctx, strings.NewReader(strconv.Itoa(n+1)), run(n+1))
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		done++
	}
	return nil
}

// oddKeys are keys whose parts are unsafe in file names, or alike once made
// safe.
var oddKeys = []syncjob.Key{
	key,
	{Site: "https://school.example", Import: "user-groups"},
	{Site: "https://school.example", Tenant: "T1", Import: "contacts"},
	// The contacts imports' names: a slash, and modes alike in their first
	// 32 bytes.
	{Site: "https://school.example", Tenant: "T1", Import: "user-contacts/replaceDeclaredPatronsKeepCustomContacts"},
	{Site: "https://school.example", Tenant: "T1", Import: "user-contacts/replaceDeclaredPatronsDropCustomContacts"},
	{Site: "https://school.example", Tenant: "T1", Import: "user-contacts-replaceDeclaredPatronsKeepCustomContacts"},
	{Site: "https://school.example/infiniti", Tenant: "T1", Import: "user-groups"},
	{Site: "https://school.example:8443", Tenant: "T1", Import: "user-groups"},
	{Site: "https://school.example", Tenant: "../../etc", Import: "user-groups"},
	{Site: "https://school.example", Tenant: "..", Import: "user-groups"},
	{Site: "https://school.example", Tenant: `a\b/c:d*e?f"g<h>i|j`, Import: "user-groups"},
	{Site: "https://school.example", Tenant: "a-b-c-d-e-f-g-h-i-j", Import: "user-groups"},
	{Site: "https://con", Tenant: "CON", Import: "NUL"},
	{Site: "https://school.example", Tenant: "Ünïcödé 学校", Import: "user-groups"},
	{Site: "https://school.example", Tenant: strings.Repeat("long", 100), Import: "user-groups"},
	{Site: "https://school.example", Tenant: strings.Repeat("long", 100) + "x", Import: "user-groups"},
	{Site: "https://school.example", Tenant: "t1", Import: "user-groups"},
	{Site: "https://school.example", Tenant: "T1 ", Import: "user-groups"},
	{Site: "https://school.example", Tenant: "T1.", Import: "user-groups"},
}

func testKeysIndependent(t *testing.T, open func() syncjob.Journal) {
	j := open()
	sessions := make([]syncjob.Session, len(oddKeys))
	for i, k := range oddKeys {
		sessions[i] = lock(t, j, k) // all held at once
	}
	for i, s := range sessions {
		commit(t, s, fmt.Sprintf("state of key %d", i), run(i))
	}
	j2 := open()
	for i, k := range oddKeys {
		wantState(t, sessions[i], fmt.Sprintf("state of key %d", i))
		wantRuns(t, j2, k, 0, run(i))
	}
	// A key never used has nothing, even beside others.
	unused := syncjob.Key{Site: "https://school.example", Tenant: "T2", Import: "user-groups"}
	wantRuns(t, j, unused, 0)
	if got := state(t, lock(t, j, unused)); got != nil {
		t.Fatalf("unused key has state %q", got)
	}
}

func testClosedSession(t *testing.T, open func() syncjob.Journal) {
	j := open()
	s := lock(t, j, key)
	commit(t, s, "state", run(1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.State(ctx); !errors.Is(err, syncjob.ErrClosed) {
		t.Errorf("State after Close: %v, want syncjob.ErrClosed", err)
	}
	if err := s.Commit(ctx, strings.NewReader("other"), run(2)); !errors.Is(err, syncjob.ErrClosed) {
		t.Errorf("Commit after Close: %v, want syncjob.ErrClosed", err)
	}
	if err := s.Record(ctx, run(3)); !errors.Is(err, syncjob.ErrClosed) {
		t.Errorf("Record after Close: %v, want syncjob.ErrClosed", err)
	}
	wantState(t, lock(t, j, key), "state")
	wantRuns(t, j, key, 0, run(1))
}

func testReopen(t *testing.T, open func() syncjob.Journal) {
	j := open()
	s := lock(t, j, key)
	commit(t, s, "first", run(1))
	commit(t, s, "second", run(2))
	if err := s.Record(ctx, run(3)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	j2 := open()
	wantRuns(t, j2, key, 0, run(1), run(2), run(3))
	s2 := lock(t, j2, key)
	wantState(t, s2, "second")
	commit(t, s2, "third", run(4))
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	wantState(t, lock(t, open(), key), "third")
}

// testTwoCommits: of two commits in one session, as a run makes before and
// after its post, the last wins, and the first is whole on its own, as
// after a run killed between them.
func testTwoCommits(t *testing.T, open func() syncjob.Journal) {
	s := lock(t, open(), key)
	commit(t, s, "before the post", run(1))
	// Killed here: another process sees the first commit whole.
	wantRuns(t, open(), key, 0, run(1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = lock(t, open(), key)
	wantState(t, s, "before the post")
	commit(t, s, "posting", run(2))
	commit(t, s, "answered", run(3))
	wantState(t, s, "answered")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wantState(t, lock(t, open(), key), "answered")
	wantRuns(t, open(), key, 0, run(1), run(2), run(3))
}

func testDoneContext(t *testing.T, open func() syncjob.Journal) {
	j := open()
	c, cancel := context.WithCancel(ctx)
	cancel()
	if s, err := lockWithin(t, c, j, key); err == nil {
		s.Close()
		t.Fatal("Lock with a cancelled context succeeded")
	}
	if _, err := j.Runs(c, key, 0); err == nil {
		t.Fatal("Runs with a cancelled context succeeded")
	}
	// The lock was not left taken.
	lock(t, j, key)
}

// testLostLock: a session whose lock was lost cannot commit or record,
// and a session that took the lock after it keeps what it committed.
func testLostLock(t *testing.T, open func() syncjob.Journal, lose func(syncjob.Session) error) {
	if lose == nil {
		t.Skip("Options.LoseLock is nil")
	}
	s := lock(t, open(), key)
	commit(t, s, "before", run(1))
	if err := lose(s); err != nil {
		t.Fatalf("LoseLock: %v", err)
	}
	s2 := lock(t, open(), key)
	commit(t, s2, "the new holder's", run(2))
	if err := s.Commit(ctx, strings.NewReader("the lost holder's"), run(3)); err == nil {
		t.Error("a session that lost its lock committed")
	}
	if err := s.Record(ctx, run(4)); err == nil {
		t.Error("a session that lost its lock recorded a run")
	}
	_ = s.Close()
	wantState(t, s2, "the new holder's")
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	got := runs(t, open(), key, 0)
	if len(got) == 0 || got[len(got)-1].RowsSent != run(2).RowsSent {
		t.Errorf("the runs end %s, want the new holder's run last", formatRuns(got))
	}
}

// TestRetention checks a journal set to keep only a few runs (3, say; how
// to set it is the implementation's business), as TestJournal does with
// newStore. Fifteen runs lock the key in turn: some commit twice (before
// and after their post), some commit once (as runs killed after their
// first commit, two in a row), some only record a week of runs (as refused
// ones). At the start of each run, a journal opened afresh must return at
// least the last 3 records written, oldest first, and the state must be
// one that a returned record describes (Run.StateSHA256): so the journal
// prunes only once a new state is in place, and never the record of the
// state it holds. The test fails if the journal kept every run, since it
// then checks nothing.
func TestRetention(t *testing.T, newStore func(t *testing.T) func() (syncjob.Journal, error)) {
	t.Helper()
	openStore := newStore(t)
	open := func() syncjob.Journal {
		t.Helper()
		j, err := openStore()
		if err != nil {
			t.Fatalf("opening the journal: %v", err)
		}
		return j
	}
	var written []syncjob.Run
	for i := 1; i <= 15; i++ {
		s := lock(t, open(), key)
		wantKept(t, open(), s, written)
		st := fmt.Sprintf("state %d", i)
		r := run(i)
		r.Outcome, r.StateSHA256 = "posting", sum(st)
		switch i % 5 {
		case 1, 2: // killed after its first commit, two in a row
			commit(t, s, st, r)
			written = append(written, r)
		case 3: // a week of refused runs, which only record
			for k := range 7 {
				r := run(100*i + k)
				r.Outcome = syncjob.OutcomeRefused
				if err := s.Record(ctx, r); err != nil {
					t.Fatalf("Record: %v", err)
				}
				written = append(written, r)
			}
		default: // a whole run
			commit(t, s, st, r)
			done := run(i)
			done.StateSHA256 = sum(st + " answered")
			commit(t, s, st+" answered", done)
			written = append(written, r, done)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	wantKept(t, open(), lock(t, open(), key), written)
	if got := len(runs(t, open(), key, 0)); got >= len(written) {
		t.Fatalf("the journal kept all %d runs written; set it to keep a few (3, say), or this test checks nothing", got)
	}
}

func sum(state string) string {
	h := sha256.Sum256([]byte(state))
	return hex.EncodeToString(h[:])
}

// wantKept checks that the journal returns at least the last 3 of the runs
// written, as the last runs written, and that a run it returns describes
// the state of s.
func wantKept(t *testing.T, j syncjob.Journal, s syncjob.Session, written []syncjob.Run) {
	t.Helper()
	got := runs(t, j, key, 0)
	if len(got) < min(3, len(written)) || len(got) > len(written) {
		t.Fatalf("after %d runs written, the journal returns %d; it must keep at least the last 3", len(written), len(got))
	}
	if msg := diffRuns(written[len(written)-len(got):], got); msg != "" {
		t.Fatalf("the runs kept are not the last ones written: %s", msg)
	}
	st := state(t, s)
	if st == nil {
		return
	}
	for _, r := range got {
		if r.StateSHA256 == sum(string(st)) {
			return
		}
	}
	t.Fatalf("no run kept describes the state %q: the record of the state a journal holds must never be pruned", st)
}
