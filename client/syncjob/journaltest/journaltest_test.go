package journaltest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/client/syncjob/journaltest"
)

// bug is set in a child process: the suite then runs on a journal with that
// bug, and must fail.
var bug = os.Getenv("JOURNALTEST_BUG")

// TestSuiteCatchesBugs runs the suite, in a child process each, on journals
// with one bug each, and checks that the subtests meant to catch it fail.
func TestSuiteCatchesBugs(t *testing.T) {
	if bug != "" {
		if bug == "wait-lock" {
			// Its Locks never return: that is certain, so there is no
			// need to wait long to see it.
			journaltest.SetHangLimit(50 * time.Millisecond)
		}
		stores := func(keep int) func(t *testing.T) func() (syncjob.Journal, error) {
			return func(t *testing.T) func() (syncjob.Journal, error) {
				s := newStore(keep)
				return func() (syncjob.Journal, error) {
					if bug == "forgets" {
						s = newStore(keep)
					}
					return &journal{s: s}, nil
				}
			}
		}
		journaltest.TestJournal(t, stores(0), journaltest.Options{LoseLock: loseLock})
		t.Run("Retention", func(t *testing.T) { journaltest.TestRetention(t, stores(3)) })
		return
	}
	tests := []struct {
		bug      string
		mustFail []string
		says     string // a fragment of the failures' messages
	}{
		{"none", nil, ""},
		{"no-lock", []string{"LockExcludes", "ConcurrentLock"}, ""},
		{"commit-appends", []string{"CommitReplacesState", "ReopenAfterCommit"}, ""},
		{"newest-first", []string{"RecordKeepsState", "RunsLastN"}, ""},
		{"forgets", []string{"ReopenAfterCommit", "LockExcludes"}, ""},
		{"empty-is-none", []string{"CommitReplacesState"}, ""},
		{"shared-runs", []string{"RunsRoundTrip"}, ""},
		{"keys-collide", []string{"KeysIndependent"}, ""},
		{"wait-lock", []string{"LockExcludes", "ConcurrentLock"}, "did not return within"},
		{"one-commit-per-session", []string{"TwoCommitsOneSession"}, ""},
		{"keeps-all", []string{"Retention"}, "kept all"},
		{"keeps-two", []string{"Retention"}, "at least the last 3"},
		{"prunes-on-record", []string{"Retention"}, "no run kept describes the state"},
		{"ignores-lost-lock", []string{"LostLock"}, "lost its lock"},
	}
	for _, tt := range tests {
		t.Run(tt.bug, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSuiteCatchesBugs$", "-test.v")
			cmd.Env = append(os.Environ(), "JOURNALTEST_BUG="+tt.bug)
			out, err := cmd.CombinedOutput()
			if tt.mustFail == nil {
				if err != nil {
					t.Fatalf("the suite fails a correct journal: %v\n%s", err, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("the suite passes a journal with bug %q", tt.bug)
			}
			if !bytes.Contains(out, []byte(tt.says)) {
				t.Errorf("bug %q: no failure says %q:\n%s", tt.bug, tt.says, out)
			}
			for _, name := range tt.mustFail {
				if !bytes.Contains(out, []byte("--- FAIL: TestSuiteCatchesBugs/"+name+" ")) {
					t.Errorf("bug %q: subtest %s did not fail:\n%s", tt.bug, name, out)
				}
			}
		})
	}
}

// store is the storage of a small journal in memory, with a bug of choice.
type store struct {
	keep   int // runs kept after a commit; 0: all
	mu     sync.Mutex
	state  map[syncjob.Key][]byte
	runs   map[syncjob.Key][]syncjob.Run
	locked map[syncjob.Key]bool
}

func newStore(keep int) *store {
	switch bug {
	case "keeps-all":
		keep = 0
	case "keeps-two":
		keep = min(keep, 2)
	}
	return &store{keep: keep, state: map[syncjob.Key][]byte{}, runs: map[syncjob.Key][]syncjob.Run{}, locked: map[syncjob.Key]bool{}}
}

type journal struct{ s *store }

func fold(k syncjob.Key) syncjob.Key {
	if bug == "keys-collide" {
		k.Tenant = strings.ToLower(k.Tenant)
	}
	return k
}

func (j *journal) Lock(ctx context.Context, k syncjob.Key) (syncjob.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k = fold(k)
	for {
		j.s.mu.Lock()
		if !j.s.locked[k] || bug == "no-lock" {
			j.s.locked[k] = true
			j.s.mu.Unlock()
			return &session{s: j.s, k: k}, nil
		}
		j.s.mu.Unlock()
		if bug == "wait-lock" { // waits for the holder
			time.Sleep(time.Millisecond)
			continue
		}
		return nil, &syncjob.LockedError{Key: k}
	}
}

func (j *journal) Runs(ctx context.Context, k syncjob.Key, n int) ([]syncjob.Run, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k = fold(k)
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	rs := j.s.runs[k]
	if n > 0 && len(rs) > n {
		rs = rs[len(rs)-n:]
	}
	if bug == "shared-runs" {
		return rs, nil
	}
	out := make([]syncjob.Run, len(rs))
	for i, r := range rs {
		out[i] = clone(r)
	}
	if bug == "newest-first" {
		slices.Reverse(out)
	}
	return out, nil
}

// clone returns a copy of r that shares no memory with it.
func clone(r syncjob.Run) syncjob.Run {
	if r.Plan != nil {
		p := *r.Plan
		r.Plan = &p
	}
	if r.Result != nil {
		res := *r.Result
		r.Result = &res
	}
	r.FailedUsernames = slices.Clone(r.FailedUsernames)
	return r
}

type session struct {
	s         *store
	k         syncjob.Key
	closed    bool
	lost      bool // another session may hold the lock
	committed bool
}

// loseLock lets the session's lock go behind its back.
func loseLock(ss syncjob.Session) error {
	s := ss.(*session)
	s.s.mu.Lock()
	defer s.s.mu.Unlock()
	s.s.locked[s.k], s.lost = false, true
	return nil
}

// usable returns the error of a session closed, or that lost its lock.
func (s *session) usable() error {
	switch {
	case s.closed:
		return syncjob.ErrClosed
	case s.lost && bug != "ignores-lost-lock":
		return errors.New("test: the session lost its lock")
	}
	return nil
}

func (s *session) State(ctx context.Context) (io.ReadCloser, error) {
	s.s.mu.Lock()
	defer s.s.mu.Unlock()
	if err := s.usable(); err != nil {
		return nil, err
	}
	b, ok := s.s.state[s.k]
	if !ok || (bug == "empty-is-none" && len(b) == 0) {
		return nil, fmt.Errorf("test: %w", syncjob.ErrNoState)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (s *session) Commit(ctx context.Context, state io.Reader, run syncjob.Run) error {
	b, err := io.ReadAll(state)
	if err != nil {
		return err
	}
	s.s.mu.Lock()
	defer s.s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if bug == "commit-appends" {
		b = append(slices.Clone(s.s.state[s.k]), b...)
	}
	if !s.committed || bug != "one-commit-per-session" {
		s.s.state[s.k] = b
	}
	s.committed = true
	s.s.runs[s.k] = append(s.s.runs[s.k], clone(run))
	s.s.prune(s.k)
	return nil
}

// prune keeps the last runs of k.
func (s *store) prune(k syncjob.Key) {
	if rs := s.runs[k]; s.keep > 0 && len(rs) > s.keep {
		s.runs[k] = slices.Clone(rs[len(rs)-s.keep:])
	}
}

func (s *session) Record(ctx context.Context, run syncjob.Run) error {
	s.s.mu.Lock()
	defer s.s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	s.s.runs[s.k] = append(s.s.runs[s.k], clone(run))
	if bug == "prunes-on-record" {
		s.s.prune(s.k)
	}
	return nil
}

func (s *session) Close() error {
	s.s.mu.Lock()
	defer s.s.mu.Unlock()
	if !s.closed && !s.lost {
		s.s.locked[s.k] = false
	}
	s.closed = true
	return nil
}
