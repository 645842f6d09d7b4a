package journaltest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/autosync-go/autosync/client/syncjob"
)

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
