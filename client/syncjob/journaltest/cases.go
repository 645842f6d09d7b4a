package journaltest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/syncjob"
)

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
			Outcome: syncjob.OutcomeRowsFailed, Error: "client: 2 rows failed\x00 (a NUL)", SDKVersion: "0.1.0",
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
