package syncjob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/clienttest"
)

// TestStateV1: a state written before the format had a version (the
// canonical three-column CSV of main at 63ff2ff) reads as every user
// confirmed, and the next commit writes the current format.
func TestStateV1(t *testing.T) {
	v1, err := os.ReadFile("testdata/state-v1.csv")
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseState(userGroups, v1)
	if err != nil || st.active.Users() != 2 || st.active.Rows() != 3 || len(st.meta) != 0 || st.marked.Users() != 0 {
		t.Fatalf("parseState: %v, %+v", err, st)
	}
	srv, c := newFake(t, clienttest.ApplyReplace)
	j := NewMemJournal()
	job := &Job{Client: c, Journal: j, Applies: AppliesReplace}
	sess, err := j.Lock(context.Background(), job.Key())
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Commit(context.Background(), bytes.NewReader(v1), Run{Outcome: OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	rep, err := run(t, job, strings.Replace(string(v1), "Year 8", "Year 9", 1))
	if err != nil || rep.Plan.Stats().Unchanged != 1 || rep.Plan.Stats().Changed != 1 {
		t.Fatalf("run: %s, %+v, %v", rep.Outcome, rep.Plan.Stats(), err)
	}
	sent, _ := postedUsers(t, srv.Requests()[0].CSV)
	if diff := cmp.Diff([]string{"bob"}, sent); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
	sess, _ = j.Lock(context.Background(), job.Key())
	rc, _ := sess.State(context.Background())
	var b bytes.Buffer
	_, _ = b.ReadFrom(rc)
	sess.Close()
	want := "autosync-state,2,user-groups\nr,ann,House Red,Year 7\nr,ann,Library Helpers,\nr,bob,\"Gold, Inc\",Year 9\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("state written (-want +got):\n%s", diff)
	}
}

// TestStateRoundTrip: every part of a user's state reads back as written,
// whether a user is copied from the state read or encoded again.
func TestStateRoundTrip(t *testing.T) {
	in := "autosync-state,2,user-groups\n" +
		"u,ann,1,,Ann,Lee\nr,ann,Gold,\ni,ann,,Year 7\n" +
		"u,bob,0,left,Bob,\nr,bob,Silver,Year 8\ni,bob,Silver,\n" +
		"u,cat,1,,,\n" +
		"r,dan,\" Gold\",\"Year \"\"9\"\"\"\n"
	for _, tc := range []struct {
		name   string
		encode bool // forget the bytes read, so that every user is encoded
		cut    bool // the file's last line has no line end
	}{{"copied", false, false}, {"encoded", true, false}, {"without a last line end", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(in)
			if tc.cut {
				data = data[:len(data)-1]
			}
			st, err := parseState(userGroups, data)
			if err != nil {
				t.Fatal(err)
			}
			if st.active.Users() != 2 || st.marked.Users() != 1 || !st.meta["cat"].unconfirmed || st.meta["bob"].mark != markLeft || st.active.value(1, 1) != " Gold" {
				t.Fatalf("parsed %+v", st)
			}
			if tc.encode {
				st.raw, st.activeRaw, st.markedRaw = nil, nil, nil
			}
			out, users := (&verdict{}).writeState(userGroups, st, st.active, true)
			if diff := cmp.Diff(in, string(out)); diff != "" || users != 4 {
				t.Errorf("written back, %d users (-want +got):\n%s", users, diff)
			}
		})
	}
}

// FuzzStateRoundTrip: a state that parses is written back, copied or
// encoded, as bytes that parse to the same state, with the same users.
func FuzzStateRoundTrip(f *testing.F) {
	f.Add([]byte("autosync-state,2,user-groups\nu,ann,1,,Ann,Lee\nr,ann,Gold,\ni,ann,,Year 7\nu,bob,0,left,Bob,\nr,bob,Silver,Year 8\nu,cat,1,,,\nr,dan,\" Gold\",\"Y\"\"9\"\n"))
	f.Add([]byte("autosync-state,2,user-groups\r\nr,ann,Gold,\r\nr,ann,Gold,\r\nu,bob,0,,\r\nr,bob,A,B"))
	f.Add([]byte("username,library-group,system-group\nann,Gold,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseState(userGroups, data)
		if err != nil {
			return
		}
		encode := func(st *state) ([]byte, int) {
			st.raw, st.activeRaw, st.markedRaw = nil, nil, nil
			return (&verdict{}).writeState(userGroups, st, st.active, true)
		}
		copied, n := (&verdict{}).writeState(userGroups, st, st.active, true)
		want, wantN := encode(st)
		back, err := parseState(userGroups, copied)
		if err != nil {
			t.Fatalf("the state written back does not parse: %v\n%q", err, copied)
		}
		got, _ := encode(back)
		if diff := cmp.Diff(string(want), string(got)); diff != "" || n != wantN {
			t.Errorf("copied %d users, encoded %d; the states differ (-encoded +copied):\n%s", n, wantN, diff)
		}
	})
}

// TestJobStateLostOrDamaged: a state that is gone while the log shows a
// committed run, or that is damaged, turns no guard off: the run is
// refused (or fails) unless forced, and Force sends every row.
func TestJobStateLostOrDamaged(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, state string) // nil: nothing
		before  string                           // the export of the first run
		outcome Outcome
		noState bool // refused as a LimitError with NoState
		twice   bool // the first export is run twice
	}{
		{name: "a state of 0 bytes", damage: writeState0(""), outcome: OutcomeJournalError},
		{name: "a state of blank lines", damage: writeState0("\n\r\n\n"), outcome: OutcomeJournalError},
		{name: "a state of a byte order mark", damage: writeState0("\ufeff"), outcome: OutcomeJournalError},
		{name: "a state without its header", damage: writeState0("s00001,House Red,Year 7\n"), outcome: OutcomeJournalError},
		{name: "a state deleted after two runs", twice: true, damage: func(t *testing.T, state string) {
			if err := os.Remove(state); err != nil {
				t.Fatal(err)
			}
		}, outcome: OutcomeRefused, noState: true},
		{name: "a state deleted after a first run is a first run again", damage: func(t *testing.T, state string) {
			if err := os.Remove(state); err != nil {
				t.Fatal(err)
			}
		}, outcome: OutcomeOK},
		{name: "a state never committed (only an invalid run before)", before: "username,library-group,system-group\n,House Red,\n", outcome: OutcomeOK},
		{name: "a header alone over a committed state", damage: writeState0("username,library-group,system-group\n"), outcome: OutcomeJournalError},
		{name: "a state cut at a line boundary", damage: cutState(50), outcome: OutcomeJournalError},
		{name: "a state with a line changed", damage: func(t *testing.T, state string) {
			b, err := os.ReadFile(state)
			if err != nil {
				t.Fatal(err)
			}
			writeState0(strings.Replace(string(b), "House Red", "House Blue", 1))(t, state)
		}, outcome: OutcomeJournalError},
		{name: "a header alone is a state", before: "username,library-group,system-group\n", outcome: OutcomeOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, clienttest.ApplyAdd)
			j, err := OpenDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			job := &Job{Client: c, Journal: j}
			before := tt.before
			if before == "" {
				before = toCSV(school(100))
			}
			_, _ = run(t, job, before)
			if tt.twice {
				_, _ = run(t, job, before)
			}
			if tt.damage != nil {
				tt.damage(t, filepath.Join(j.Dir(job.Key()), stateFile))
			}
			// Tonight's export is broken: empty.
			posts := len(srv.Requests())
			rep, err := run(t, job, "")
			if rep.Outcome != tt.outcome {
				t.Fatalf("outcome %s (%v), want %s", rep.Outcome, err, tt.outcome)
			}
			if tt.outcome == OutcomeOK {
				return
			}
			if len(srv.Requests()) != posts {
				t.Error("the run posted")
			}
			var le *LimitError
			if got := errors.As(err, &le) && le.NoState; got != tt.noState {
				t.Errorf("error %v; a LimitError with NoState: %v, want %v", err, got, tt.noState)
			}
			if !strings.Contains(err.Error(), "run once with full and force") || strings.Contains(err.Error(), "remove it") {
				t.Errorf("error %v, want the advice to run once with full and force", err)
			}
			// Plan says the same.
			if prep, _ := job.Plan(context.Background(), strings.NewReader(toCSV(school(100)))); prep.Outcome != tt.outcome {
				t.Errorf("Plan: outcome %s, want %s", prep.Outcome, tt.outcome)
			}
			// Full and Force send every row, as a first run, and say so.
			job.Full, job.Force = true, true
			rep, err = run(t, job, toCSV(school(100)))
			if err != nil || rep.Outcome != OutcomeOK || rep.RowsSent != len(school(100)) {
				t.Fatalf("forced: outcome %s, %d rows sent, %v; want ok and every row", rep.Outcome, rep.RowsSent, err)
			}
			if rep.Refusal == nil || !rep.Refusal.NoState || !rep.Run.Forced || !strings.Contains(rep.Run.Overridden, "no last accepted state") {
				t.Errorf("forced: refusal %+v, record forced %v overridden %q", rep.Refusal, rep.Run.Forced, rep.Run.Overridden)
			}
			// The next run is guarded again.
			job.Full, job.Force = false, false
			if rep, err := run(t, job, ""); rep.Outcome != OutcomeRefused {
				t.Errorf("after: outcome %s, %v; want refused", rep.Outcome, err)
			}
		})
	}
}

// cutState returns a damage that keeps the first n lines of the state,
// as "head -n n" does.
func cutState(n int) func(t *testing.T, state string) {
	return func(t *testing.T, state string) {
		b, err := os.ReadFile(state)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(b), "\n")
		writeState0(strings.Join(lines[:n], ""))(t, state)
	}
}

// writeState0 returns a damage that writes content over the state.
func writeState0(content string) func(t *testing.T, state string) {
	return func(t *testing.T, state string) {
		if err := os.WriteFile(state, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestJobStateCutAtLineBoundary: a state cut at a line boundary (head -n
// 50 of a backup) parses, but is not the state the last run committed:
// the run fails as a journal error and sends nothing, in any Journal,
// rather than guard against 49 users. Records without the state's hash
// (older versions) are not compared; the wrong-file rule refuses the run.
func TestJobStateCutAtLineBoundary(t *testing.T) {
	tests := []struct {
		name    string
		journal func(t *testing.T) (Journal, func(state string))
		outcome Outcome
	}{
		{"DirJournal", func(t *testing.T) (Journal, func(string)) {
			j, err := OpenDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return j, nil // cut below, where the key is known
		}, OutcomeJournalError},
		{"another Journal", func(t *testing.T) (Journal, func(string)) {
			j := &cutJournal{MemJournal: NewMemJournal()}
			return j, func(string) { j.lines = 50 }
		}, OutcomeJournalError},
		{"another Journal, records of an older version", func(t *testing.T) (Journal, func(string)) {
			j := &cutJournal{MemJournal: NewMemJournal()}
			return j, func(string) { j.lines, j.old = 50, true }
		}, OutcomeRefused}, // not compared, but the wrong-file rule sees 63 new users of 37
	}
	all := school(202)
	cut := without(all, func(u string) bool { return u >= "s00100" })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, clienttest.ApplyAdd)
			jr, damage := tt.journal(t)
			job := &Job{Client: c, Journal: jr}
			if _, err := run(t, job, toCSV(all)); err != nil {
				t.Fatal(err)
			}
			if dj, ok := jr.(*DirJournal); ok {
				cutState(50)(t, filepath.Join(dj.Dir(job.Key()), stateFile))
			} else {
				damage("")
			}
			posts := len(srv.Requests())
			for _, send := range []bool{false, true} {
				rep, err := job.run(context.Background(), strings.NewReader(toCSV(cut)), nil, send, false)
				if rep.Outcome != tt.outcome {
					t.Fatalf("send %v: outcome %s (%v), want %s", send, rep.Outcome, err, tt.outcome)
				}
				if tt.outcome == OutcomeRefused {
					continue
				}
				if !strings.Contains(err.Error(), "where the last run that kept a state") || !strings.Contains(err.Error(), "run once with full and force") {
					t.Errorf("send %v: error %v", send, err)
				}
			}
			if len(srv.Requests()) != posts {
				t.Error("a run with a cut state posted")
			}
		})
	}
}

// cutJournal is a Journal whose state reads are cut to their first
// lines lines (0: whole), and whose run records lose StateSHA256 and
// StateUsers when old is set, as records of an older version.
type cutJournal struct {
	*MemJournal
	lines int
	old   bool
}

type cutSession struct {
	Session
	lines int
}

func (j *cutJournal) Lock(ctx context.Context, key Key) (Session, error) {
	s, err := j.MemJournal.Lock(ctx, key)
	if err != nil {
		return nil, err
	}
	return &cutSession{s, j.lines}, nil
}

func (j *cutJournal) Runs(ctx context.Context, key Key, n int) ([]Run, error) {
	runs, err := j.MemJournal.Runs(ctx, key, n)
	for i := range runs {
		if j.old {
			runs[i].StateSHA256, runs[i].StateUsers = "", 0
		}
	}
	return runs, err
}

func (s *cutSession) State(ctx context.Context) (io.ReadCloser, error) {
	rc, err := s.Session.State(ctx)
	if err != nil || s.lines == 0 {
		return rc, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	lines := strings.SplitAfter(string(b), "\n")
	return io.NopCloser(strings.NewReader(strings.Join(lines[:s.lines], ""))), nil
}
