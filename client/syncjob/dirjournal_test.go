package syncjob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/clienttest"
)

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func TestDirJournalTornLine(t *testing.T) {
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := j.Lock(ctx, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 3 {
		if err := s.Record(ctx, Run{Key: testKey, Outcome: OutcomeOK, RowsSent: i}); err != nil {
			t.Fatal(err)
		}
	}
	// A process killed while appending leaves half a line.
	log := filepath.Join(j.Dir(testKey), runsFile)
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"start":"2025-01-01T00:00:00Z","outco`)
	f.Close()
	sent := func() (out []int) {
		runs, err := j.Runs(ctx, testKey, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			out = append(out, r.RowsSent)
		}
		return out
	}
	if diff := cmp.Diff([]int{0, 1, 2}, sent()); diff != "" {
		t.Errorf("runs with a torn last line (-want +got):\n%s", diff)
	}
	// The next record is whole, after the torn line.
	if err := s.Record(ctx, Run{Key: testKey, Outcome: OutcomeOK, RowsSent: 3}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{0, 1, 2, 3}, sent()); diff != "" {
		t.Errorf("runs after a torn line (-want +got):\n%s", diff)
	}
}

// TestDirJournalRunsFromTheEnd: reading from the end across read chunks
// and both logs gives the same runs as reading both logs forwards.
func TestDirJournalRunsFromTheEnd(t *testing.T) {
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	folder := j.Dir(testKey)
	if err := os.MkdirAll(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	// Records of 0 to 9 KiB of text, so that lines straddle the 64 KiB
	// chunks at many offsets, some phantom lines, and a torn last line.
	var old, cur bytes.Buffer
	for i := range 400 {
		b, _ := json.Marshal(Run{Key: testKey, Outcome: OutcomeOK, RowsSent: i, Error: strings.Repeat("e", i*37%9000)})
		w := &cur
		if i < 150 {
			w = &old
		}
		w.Write(append(b, '\n'))
		if i%50 == 7 {
			w.WriteString("{}\n\n")
		}
	}
	cur.WriteString(`{"outcome":"ok","rows_se`)
	for name, b := range map[string][]byte{oldRunsFile: old.Bytes(), runsFile: cur.Bytes()} {
		if err := os.WriteFile(filepath.Join(folder, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var all []int
	for _, name := range []string{oldRunsFile, runsFile} {
		runs, err := runsWholeLog(filepath.Join(folder, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			all = append(all, r.RowsSent)
		}
	}
	if len(all) != 400 {
		t.Fatalf("the forward read found %d runs, want 400", len(all))
	}
	for _, n := range []int{0, 1, 2, 63, 249, 250, 251, 399, 400, 401} {
		runs, err := j.Runs(context.Background(), testKey, n)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, r := range runs {
			got = append(got, r.RowsSent)
		}
		want := all
		if n > 0 && n < len(all) {
			want = all[len(all)-n:]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Runs(%d) (-want +got):\n%s", n, diff)
		}
	}
}

// TestDirJournalKilledCommits: with a small retention, two commits in a
// row killed at any step (stopped there, as a kill leaves the files) leave
// a state that a kept record describes.
func TestDirJournalKilledCommits(t *testing.T) {
	defer func() { commitHook = nil }()
	type killed struct{}
	steps := []string{"written", "logged", "renamed"}
	for _, first := range steps {
		for _, second := range steps {
			t.Run(first+","+second, func(t *testing.T) {
				j, err := OpenDir(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				j.Retention = 3
				ctx := context.Background()
				// commit runs one commit in a session of its own, stopped at
				// the step killAt ("" for none).
				commit := func(i int, killAt string) {
					s, err := j.Lock(ctx, testKey)
					if err != nil {
						t.Fatal(err)
					}
					defer s.Close()
					defer func() {
						if r := recover(); r != nil && r != (killed{}) {
							panic(r)
						}
					}()
					commitHook = func(step string) {
						if step == killAt {
							panic(killed{})
						}
					}
					defer func() { commitHook = nil }()
					st := fmt.Sprintf("state %d", i)
					sum := sha256.Sum256([]byte(st))
					r := Run{Key: testKey, Outcome: OutcomeOK, RowsSent: i, StateSHA256: hex.EncodeToString(sum[:])}
					if err := s.Commit(ctx, strings.NewReader(st), r); err != nil {
						t.Fatal(err)
					}
					if i%2 == 0 {
						if err := s.Record(ctx, Run{Key: testKey, Outcome: OutcomeRefused}); err != nil {
							t.Fatal(err)
						}
					}
				}
				for i := range 7 {
					commit(i, "")
				}
				commit(7, first)
				commit(8, second)
				st, err := os.ReadFile(filepath.Join(j.Dir(testKey), stateFile))
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(st)
				runs, err := j.Runs(ctx, testKey, 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(runs) < 3 {
					t.Errorf("%d runs kept, want at least 3", len(runs))
				}
				for _, r := range runs {
					if r.StateSHA256 == hex.EncodeToString(sum[:]) {
						return
					}
				}
				t.Errorf("no kept run describes the state %q; runs %+v", st, runs)
			})
		}
	}
}

var testKey = Key{Site: "https://school.example", Tenant: "T1", Import: "user-groups"}

// TestDirJournalRotation: commits rotate the log once it holds Retention
// lines, records never do, and every kept run comes back in order.
func TestDirJournalRotation(t *testing.T) {
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	j.Retention = 20
	ctx := context.Background()
	s, err := j.Lock(ctx, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sent := func(n int) []int {
		t.Helper()
		runs, err := j.Runs(ctx, testKey, n)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, r := range runs {
			out = append(out, r.RowsSent)
		}
		return out
	}
	// 47 records in a row: no commit, so all are kept.
	var all []int
	for i := range 47 {
		if err := s.Record(ctx, Run{Key: testKey, Outcome: OutcomeOK, RowsSent: i}); err != nil {
			t.Fatal(err)
		}
		all = append(all, i)
	}
	if diff := cmp.Diff(all, sent(0)); diff != "" {
		t.Errorf("records only (-want +got):\n%s", diff)
	}
	// Commits: the first (47) rotates the 48 lines into runs.1.jsonl;
	// 48 to 67 fill runs.jsonl to 20 lines, and 67 rotates them; 68 to 71
	// start a new runs.jsonl.
	for i := 47; i < 47+20+5; i++ {
		if err := s.Commit(ctx, strings.NewReader("state"), Run{Key: testKey, Outcome: OutcomeOK, RowsSent: i}); err != nil {
			t.Fatal(err)
		}
		all = append(all, i)
	}
	if diff := cmp.Diff(all[48:], sent(0)); diff != "" {
		t.Errorf("after commits (-want +got):\n%s", diff)
	}
	for _, n := range []int{1, 3, 4, 6, 24, 25} { // 4: runs.jsonl's; 6: across both logs
		if diff := cmp.Diff(all[len(all)-min(n, 24):], sent(n)); diff != "" {
			t.Errorf("last %d (-want +got):\n%s", n, diff)
		}
	}
}

func TestDirJournalLockedError(t *testing.T) {
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := j.Lock(ctx, testKey)
	if err != nil {
		t.Fatal(err)
	}
	_, err = j.Lock(ctx, testKey)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second lock: %v", err)
	}
	host, _ := os.Hostname()
	if le.PID != os.Getpid() || le.Host != host || le.Started.IsZero() {
		t.Errorf("LockedError %+v, want this process (%d on %s) and a start time", le, os.Getpid(), host)
	}
	if want := "process " + itoa(os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Errorf("message %q lacks %q", err, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(j.Dir(testKey), lockInfo)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock.info left after Close: %v", err)
	}
}

func TestDirJournalKeyMismatch(t *testing.T) {
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(j.Dir(testKey), 0o700); err != nil {
		t.Fatal(err)
	}
	other := `{"site":"https://other.example","tenant":"T9","import":"user-groups"}`
	if err := os.WriteFile(filepath.Join(j.Dir(testKey), keyFile), []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = j.Lock(context.Background(), testKey)
	if err == nil || !strings.Contains(err.Error(), "belongs to another key") {
		t.Fatalf("Lock of a folder claimed by another key: %v", err)
	}
	// The lock was released: after moving the folder away, the key locks.
	if err := os.Remove(filepath.Join(j.Dir(testKey), keyFile)); err != nil {
		t.Fatal(err)
	}
	s, err := j.Lock(context.Background(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestOpenDirErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", file, filepath.Join(file, "sub")} {
		if _, err := OpenDir(dir); err == nil {
			t.Errorf("OpenDir(%q) succeeded", dir)
		}
	}
}

// TestJobDamagedState: a state file someone edited badly stops the run,
// says how to recover, sends nothing and is recorded.
func TestJobDamagedState(t *testing.T) {
	srv, c := newFake(t, clienttest.ApplyAdd)
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	job := &Job{Client: c, Journal: j}
	if _, err := run(t, job, toCSV(school(10))); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(j.Dir(job.Key()), stateFile)
	got, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "autosync-state,2,user-groups\nr,s00000,House Red,Year 7\nr,s00000,Library Helpers,\n") {
		t.Errorf("state file is not canonical and sorted:\n%s", got)
	}
	if err := os.WriteFile(state, []byte("username;library-group;system-group\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := len(srv.Requests())
	rep, err := run(t, job, toCSV(school(10)))
	if rep.Outcome != OutcomeJournalError || err == nil || !strings.Contains(err.Error(), state+" is damaged") || !strings.Contains(err.Error(), "run once with full and force") ||
		strings.Count(err.Error(), "damaged") != 1 {
		t.Fatalf("outcome %q, error %v", rep.Outcome, err)
	}
	if len(srv.Requests()) != before {
		t.Error("a run with a damaged state posted")
	}
	if rep.Run == nil || rep.Run.Outcome != OutcomeJournalError {
		t.Errorf("run record %+v", rep.Run)
	}
}

// TestDirJournalLockOutlivesDeletion: deleting the files of a key's folder
// while a run holds its lock does not let a second run in.
func TestDirJournalLockOutlivesDeletion(t *testing.T) {
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := j.Lock(ctx, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	entries, err := os.ReadDir(j.Dir(testKey))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		// On Windows the open lock file cannot be deleted, which is the point.
		if err := os.Remove(filepath.Join(j.Dir(testKey), e.Name())); err != nil && runtime.GOOS != "windows" {
			t.Fatal(err)
		}
	}
	s2, err := j.Lock(ctx, testKey)
	if err == nil {
		s2.Close()
	}
	if !errors.As(err, new(*LockedError)) {
		t.Fatalf("Lock after the folder's files were deleted: %v, want a *LockedError", err)
	}
}

// BenchmarkRuns reads the last 10 of 1,000 runs, and all of them (last-0),
// against the baseline of reading the whole log forwards, as Runs did
// before it read from the end.
func BenchmarkRuns(b *testing.B) {
	j, err := OpenDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s, err := j.Lock(ctx, testKey)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := range 1000 {
		r := Run{Key: testKey, Outcome: OutcomeOK, RowsSent: i, Source: "/srv/exports/groups.csv", SHA256: strings.Repeat("ab", 32),
			Plan:   &PlanStats{Mode: ModeIncremental, LastUsers: 1000, Users: 1000, Rows: 2000, Changed: 10, Unchanged: 990, RowsToSend: 20},
			Result: &RunResult{Success: true, Summary: "20 users processed. 0 users created. 20 users updated. 0 users failed.", Processed: 20, Updated: 20}}
		if err := s.Record(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(j.Dir(testKey), runsFile)
	b.Run("baseline=whole-log", func(b *testing.B) {
		for b.Loop() {
			runs, err := runsWholeLog(path)
			if err != nil || len(runs[len(runs)-10:]) != 10 {
				b.Fatal(len(runs), err)
			}
		}
	})
	for _, tt := range []struct{ n, want int }{{10, 10}, {0, 1000}} {
		b.Run(fmt.Sprintf("last-%d", tt.n), func(b *testing.B) {
			for b.Loop() {
				if runs, err := j.Runs(ctx, testKey, tt.n); err != nil || len(runs) != tt.want {
					b.Fatal(len(runs), err)
				}
			}
		})
	}
}

// runsWholeLog reads every record of a log, as DirJournal.Runs did before
// it read from the end: BenchmarkRuns's baseline.
func runsWholeLog(path string) ([]Run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var runs []Run
	for line := range bytes.Lines(b) {
		var r Run
		if json.Unmarshal(line, &r) == nil && r.Outcome != "" {
			runs = append(runs, r)
		}
	}
	return runs, nil
}

// TestDirJournalLostLock: a session whose folder was moved or deleted
// during the run holds a lock that no longer excludes anyone, and cannot
// write, so that it cannot overwrite the folder a second run made.
func TestDirJournalLostLock(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows does not move or delete a folder with the open lock file in it")
	}
	for _, lose := range []struct {
		name string
		fn   func(folder string) error
	}{
		{"moved", func(folder string) error { return os.Rename(folder, folder+".moved") }},
		{"deleted", os.RemoveAll},
	} {
		t.Run(lose.name, func(t *testing.T) {
			j, err := OpenDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			s, err := j.Lock(ctx, testKey)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := lose.fn(j.Dir(testKey)); err != nil {
				t.Fatal(err)
			}
			s2, err := j.Lock(ctx, testKey)
			if err != nil {
				t.Fatalf("Lock of the new folder: %v", err)
			}
			defer s2.Close()
			if err := s2.Commit(ctx, strings.NewReader("second"), Run{Key: testKey, Outcome: OutcomeOK}); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(ctx, strings.NewReader("first"), Run{Key: testKey, Outcome: OutcomeOK}); err == nil || !strings.Contains(err.Error(), "lock is lost") {
				t.Errorf("Commit of the session that lost its lock: %v, want an error saying so", err)
			}
			if err := s.Record(ctx, Run{Key: testKey, Outcome: OutcomeOK}); err == nil {
				t.Error("Record of the session that lost its lock succeeded")
			}
			got, err := os.ReadFile(filepath.Join(j.Dir(testKey), stateFile))
			if err != nil || string(got) != "second" {
				t.Errorf("the new folder's state: %q, %v; want the second run's", got, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(j.Dir(testKey), lockInfo)); err != nil {
				t.Errorf("closing the session that lost its lock took the second run's lock.info: %v", err)
			}
		})
	}
}

// TestJournalHealth: the journals' Health, read back to the last success
// only, is the health of all the runs kept.
func TestJournalHealth(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 12, 1, h, 0, 0, 0, time.UTC) }
	runs := []Run{
		{Start: at(1), End: at(1), Outcome: OutcomeRefused},
		{Start: at(2), End: at(2), Outcome: OutcomeOK},
		{Start: at(3), End: at(3), Outcome: OutcomePosting},
		{Start: at(3), End: at(4), Outcome: OutcomeRowsFailed},
		{Start: at(5), End: at(5), Outcome: OutcomeOK, Source: clearSource},
		{Start: at(6), End: at(6), Outcome: OutcomePosting},
		{Start: at(7), End: at(7), Outcome: OutcomeOK},
		{Start: at(8), End: at(8), Outcome: OutcomeNoAnswer},
	}
	dir, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range []HealthJournal{dir, NewMemJournal()} {
		t.Run(fmt.Sprintf("%T", j), func(t *testing.T) {
			ctx := context.Background()
			s, err := j.Lock(ctx, testKey)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for i, r := range runs {
				if err := s.Record(ctx, r); err != nil {
					t.Fatal(err)
				}
				all, err := j.Runs(ctx, testKey, 0)
				if err != nil {
					t.Fatal(err)
				}
				got, err := j.Health(ctx, testKey)
				if diff := cmp.Diff(healthOf(all), got); diff != "" || err != nil {
					t.Errorf("after run %d: %v (-all +Health):\n%s", i, err, diff)
				}
			}
		})
	}
}

// LoseLock makes a DirJournal or MemJournal session lose its lock behind
// its back, for journaltest.Options: a DirJournal's folder is moved away
// (its lock goes with it, and a second Lock makes a new folder); a
// MemJournal's lock is let go.
func LoseLock(s Session) error {
	switch s := s.(type) {
	case *dirSession:
		return os.Rename(s.folder, s.folder+".lost")
	case *memSession:
		s.j.mu.Lock()
		defer s.j.mu.Unlock()
		s.m.locked, s.m.holder = false, nil
		return nil
	}
	return fmt.Errorf("LoseLock: a %T", s)
}

// TestDirJournalRunsSkipsBadLines: lines that are not run records, a line
// too long to read among them, cost themselves, not the log or the
// health.
func TestDirJournalRunsSkipsBadLines(t *testing.T) {
	ok := func(n int) string {
		b, _ := json.Marshal(Run{Key: testKey, Outcome: OutcomeOK, RowsSent: n, End: time.Date(2025, 3, 1, 2, 0, n, 0, time.UTC)})
		return string(b) + "\n"
	}
	refused := func(n int) string {
		b, _ := json.Marshal(Run{Key: testKey, Outcome: OutcomeRefused, RowsSent: n})
		return string(b) + "\n"
	}
	long, _ := json.Marshal(Run{Key: testKey, Outcome: OutcomeRefused, RowsSent: 99, Error: strings.Repeat("x", 17<<20)})
	tests := []struct {
		name   string
		log    string
		sent   []int
		health Health
	}{
		{"phantom records", ok(1) + "{}\nnull\n[]\n\"x\"\n" + refused(2), []int{1, 2}, Health{FailuresSince: 1}},
		{"a 17 MiB line", ok(1) + string(long) + "\n" + ok(2), []int{1, 2}, Health{}},
		{"a 17 MiB line of garbage, then a torn line", ok(1) + strings.Repeat("{", 17<<20) + "\n" + refused(2) + `{"outcome":"ok","rows_se`, []int{1, 2}, Health{FailuresSince: 1}},
		{"CRLF line ends", strings.ReplaceAll(ok(1)+refused(2), "\n", "\r\n"), []int{1, 2}, Health{FailuresSince: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := OpenDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(j.Dir(testKey), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(j.Dir(testKey), runsFile), []byte(tt.log), 0o600); err != nil {
				t.Fatal(err)
			}
			runs, err := j.Runs(context.Background(), testKey, 0)
			if err != nil {
				t.Fatal(err)
			}
			var sent []int
			for _, r := range runs {
				sent = append(sent, r.RowsSent)
			}
			if diff := cmp.Diff(tt.sent, sent); diff != "" {
				t.Errorf("runs read (-want +got):\n%s", diff)
			}
			h := healthOf(runs)
			if h.FailuresSince != tt.health.FailuresSince || h.LastSuccess.IsZero() {
				t.Errorf("health %+v, want %d failures since a last success", h, tt.health.FailuresSince)
			}
		})
	}
}

// TestHealthOfSkipsPhantoms: records without an outcome are not runs.
func TestHealthOfSkipsPhantoms(t *testing.T) {
	runs := []Run{{Outcome: OutcomeRefused}, {Outcome: OutcomeOK}, {}, {}, {Outcome: OutcomeRefused}, {}}
	if h := healthOf(runs); h.FailuresSince != 1 {
		t.Errorf("health %+v, want 1 failure since the last success", h)
	}
}
