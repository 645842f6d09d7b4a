package syncjob

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
)

// counts are the plan counts a step checks.
type counts struct {
	New, Changed, Unchanged, Gone, Losing, Added, Removed, RowsToSend int
}

func countsOf(p *Plan) counts {
	if p == nil {
		return counts{}
	}
	st := p.Stats()
	return counts{st.New, st.Changed, st.Unchanged, st.Gone, st.Losing, st.Added, st.Removed, st.RowsToSend}
}

type step struct {
	name   string
	rows   []csvspec.UserGroup // the export, unless raw is set
	raw    *string             // the export's exact text
	force  bool
	full   bool
	limit  string // "" for the default
	want   Outcome
	sent   []string // usernames posted; nil when nothing may be posted at all
	counts counts
	failed []string // usernames whose rows Infiniti failed
}

func (s step) export() string {
	if s.raw != nil {
		return *s.raw
	}
	return toCSV(s.rows)
}

func ptr[T any](v T) *T { return &v }

func TestJobScenarios(t *testing.T) {
	base := school(200) // 200 users, 267 rows
	onePercent := edit(base, func(g csvspec.UserGroup) csvspec.UserGroup {
		switch {
		case g.Username == "s00010" && g.LibraryGroup == "House Green":
			g.LibraryGroup = "House Red"
		case g.Username == "s00020" && g.LibraryGroup == "House Red":
			g.LibraryGroup = "House Blue"
		}
		return g
	})
	lostGroup := without(onePercent, func(string) bool { return false })
	for i, g := range lostGroup {
		if g.Username == "s00030" && g.LibraryGroup == "Library Helpers" {
			lostGroup = append(lostGroup[:i:i], lostGroup[i+1:]...)
			break
		}
	}
	half := without(base, func(u string) bool { return u >= "s00100" })
	bad := edit(base, func(g csvspec.UserGroup) csvspec.UserGroup {
		if (g.Username == "s00050" || g.Username == "s00051") && strings.HasPrefix(g.LibraryGroup, "House") {
			g.LibraryGroup = "Gold Club" // not defined in the fake
		}
		return g
	})
	small := school(20)
	definedGroups := clienttest.WithLibraryGroups(append(libraryGroups, "Library Helpers")...)

	tests := []struct {
		name  string
		opts  []clienttest.Option
		steps []step
	}{
		{name: "incremental", steps: []step{
			{name: "first run", rows: base, want: OutcomeOK, sent: usersOf(base), counts: counts{New: 200, Added: 467, RowsToSend: 267}},
			{name: "unchanged rerun posts an empty file", rows: base, want: OutcomeOK, sent: []string{}, counts: counts{Unchanged: 200}},
			{name: "1% changed", rows: onePercent, want: OutcomeOK, sent: []string{"s00010", "s00020"},
				counts: counts{Changed: 2, Unchanged: 198, Losing: 2, Added: 2, Removed: 2, RowsToSend: 2}},
			{name: "a user loses a group", rows: lostGroup, want: OutcomeOK, sent: []string{"s00030"},
				counts: counts{Changed: 1, Unchanged: 199, Losing: 1, Removed: 1, RowsToSend: 1}},
			{name: "rows respelt, same groups", rows: respelt(lostGroup, "s00033"), want: OutcomeOK, sent: []string{}, counts: counts{Unchanged: 200}},
		}},
		{name: "shrunk export", steps: []step{
			{name: "first run", rows: base, want: OutcomeOK, sent: usersOf(base), counts: counts{New: 200, Added: 467, RowsToSend: 267}},
			{name: "50% gone is held, the rest sent", rows: half, want: OutcomeHeld, sent: []string{}, counts: counts{Unchanged: 100, Gone: 100, Losing: 100, Removed: 233}},
			{name: "forced", rows: half, force: true, want: OutcomeOK, sent: []string{}, counts: counts{Unchanged: 100, Gone: 100, Losing: 100, Removed: 233}},
			{name: "header only is refused", raw: ptr("username,library-group,system-group\n"), want: OutcomeRefused, counts: counts{Gone: 100, Losing: 100, Removed: 234}},
			{name: "0 bytes is refused", raw: ptr(""), want: OutcomeRefused, counts: counts{Gone: 100, Losing: 100, Removed: 234}},
			{name: "gone users were marked in the state", rows: half, want: OutcomeOK, sent: []string{}, counts: counts{Unchanged: 100}},
			{name: "an empty export forced is refused too", raw: ptr(""), force: true, want: OutcomeRefused, counts: counts{Gone: 100, Losing: 100, Removed: 234}},
			{name: "the state is kept", rows: half, want: OutcomeOK, sent: []string{}, counts: counts{Unchanged: 100}},
		}},
		{name: "partial failure", opts: []clienttest.Option{definedGroups}, steps: []step{
			{name: "first run", rows: bad, want: OutcomeRowsFailed, sent: usersOf(bad), failed: []string{"s00050", "s00051"},
				counts: counts{New: 200, Added: 467, RowsToSend: 267}},
			{name: "failed users are sent again, the others not", rows: bad, want: OutcomeRowsFailed, sent: []string{"s00050", "s00051"}, failed: []string{"s00050", "s00051"},
				counts: counts{New: 2, Unchanged: 198, Added: 5, RowsToSend: 3}},
			{name: "fixed", rows: base, want: OutcomeOK, sent: []string{"s00050", "s00051"}, counts: counts{New: 2, Unchanged: 198, Added: 5, RowsToSend: 3}},
			{name: "then quiet", rows: base, want: OutcomeOK, sent: []string{}, counts: counts{Unchanged: 200}},
		}},
		{name: "full", steps: []step{
			{name: "first run", rows: base, want: OutcomeOK, sent: usersOf(base), counts: counts{New: 200, Added: 467, RowsToSend: 267}},
			{name: "full resync sends everything", rows: base, full: true, want: OutcomeOK, sent: usersOf(base), counts: counts{Unchanged: 200, RowsToSend: 267}},
			{name: "and is guarded", rows: half, full: true, want: OutcomeHeld, sent: usersOf(half), counts: counts{Unchanged: 100, Gone: 100, Losing: 100, Removed: 233, RowsToSend: 134}},
		}},
		{name: "limits", steps: []step{
			{name: "first run", rows: small, want: OutcomeOK, sent: usersOf(small), counts: counts{New: 20, Added: 47, RowsToSend: 27}},
			{name: "0 holds any loss", rows: lose(small, "s00001"), limit: "0", want: OutcomeHeld, sent: []string{}, counts: counts{Unchanged: 19, Gone: 1, Losing: 1, Removed: 2}},
			{name: "1 allows one", rows: lose(small, "s00001"), limit: "1", want: OutcomeOK, sent: []string{}, counts: counts{Unchanged: 19, Gone: 1, Losing: 1, Removed: 2}},
			{name: "15% of 19 but under the floor of 5", rows: lose(small, "s00001", "s00002", "s00003", "s00004"), want: OutcomeOK, sent: []string{},
				counts: counts{Unchanged: 16, Gone: 3, Losing: 3, Removed: 7}},
			{name: "6 of 16 is over 10% and over the floor", rows: lose(small, "s00001", "s00002", "s00003", "s00004", "s00005", "s00006", "s00007", "s00008", "s00009", "s00010"),
				want: OutcomeHeld, sent: []string{}, counts: counts{Unchanged: 10, Gone: 6, Losing: 6, Removed: 14}},
			{name: "50% allows it", rows: lose(small, "s00001", "s00002", "s00003", "s00004", "s00005", "s00006", "s00007", "s00008", "s00009", "s00010"),
				limit: "50%", want: OutcomeOK, sent: []string{}, counts: counts{Unchanged: 10, Gone: 6, Losing: 6, Removed: 14}},
		}},
	}
	for _, tt := range tests {
		for _, mode := range modes {
			t.Run(tt.name+"/"+mode.String(), func(t *testing.T) {
				srv, c := newFake(t, mode, tt.opts...)
				j, err := OpenDir(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				for i, s := range tt.steps {
					job := &Job{Client: c, Journal: j, Full: s.full, Force: s.force, Source: "export.csv"}
					if s.limit != "" {
						if job.Limits.MaxRemovals, err = ParseLimit(s.limit); err != nil {
							t.Fatal(err)
						}
					}
					before := len(srv.Requests())
					rep, err := run(t, job, s.export())
					if rep == nil {
						t.Fatalf("step %q: no report; error %v", s.name, err)
					}
					if rep.Outcome != s.want {
						t.Fatalf("step %q: outcome %q, want %q; error %v", s.name, rep.Outcome, s.want, err)
					}
					if (err == nil) != (s.want == OutcomeOK) {
						t.Errorf("step %q: error %v with outcome %q", s.name, err, rep.Outcome)
					}
					if diff := cmp.Diff(s.counts, countsOf(rep.Plan)); diff != "" {
						t.Errorf("step %q: plan counts (-want +got):\n%s", s.name, diff)
					}
					s.checkPosted(t, srv, mode, srv.Requests()[before:], rep)
					s.checkRecorded(t, job, i, rep)
				}
			})
		}
	}
}

// checkPosted checks what the step posted (reqs) and what failed.
func (s step) checkPosted(t *testing.T, srv *clienttest.Server, mode clienttest.ApplyMode, reqs []clienttest.Request, rep *Report) {
	t.Helper()
	switch {
	case s.sent == nil && len(reqs) != 0:
		t.Errorf("step %q: %d requests, want none", s.name, len(reqs))
	case s.sent != nil && len(reqs) != 1:
		t.Errorf("step %q: %d requests, want 1", s.name, len(reqs))
	case s.sent != nil:
		got, nrows := postedUsers(t, reqs[0].CSV)
		if diff := cmp.Diff(s.sent, got); diff != "" {
			t.Errorf("step %q: users posted (-want +got):\n%s", s.name, diff)
		}
		if nrows != s.counts.RowsToSend || rep.RowsSent != nrows {
			t.Errorf("step %q: %d rows posted, report says %d, plan %d", s.name, nrows, rep.RowsSent, s.counts.RowsToSend)
		}
	}
	var failed []string
	skip := map[string]bool{}
	for _, f := range rep.Failures {
		if !skip[f.Username()] {
			failed = append(failed, f.Username())
		}
		skip[f.Username()] = true
	}
	if diff := cmp.Diff(s.failed, failed); diff != "" {
		t.Errorf("step %q: failed users (-want +got):\n%s", s.name, diff)
	}
	if rep.FailedUsers != len(s.failed) {
		t.Errorf("step %q: FailedUsers %d, want %d", s.name, rep.FailedUsers, len(s.failed))
	}
	if s.want == OutcomeOK || s.want == OutcomeRowsFailed {
		if s.raw == nil {
			assertConverged(t, srv, mode, s.rows, skip)
		}
	}
}

// checkRecorded checks the record of the step, the i-th run of the journal.
func (s step) checkRecorded(t *testing.T, job *Job, i int, rep *Report) {
	t.Helper()
	runs, _, err := job.History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != i+1 || runs[i].Outcome != s.want || runs[i].Forced != s.force {
		t.Fatalf("step %q: %d runs recorded, last %+v; want %d, outcome %q", s.name, len(runs), runs[len(runs)-1], i+1, s.want)
	}
	if rep.Run == nil || !cmp.Equal(*rep.Run, runs[i]) {
		t.Errorf("step %q: the report's run record differs from the journal's (-report +journal):\n%s", s.name, cmp.Diff(rep.Run, &runs[i]))
	}
}

// usersOf returns the sorted distinct usernames of rows.
func usersOf(rows []csvspec.UserGroup) []string {
	var out []string
	for u := range groupsOf(rows) {
		out = append(out, u)
	}
	return sortStrings(out)
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for k := i; k > 0 && s[k] < s[k-1]; k-- {
			s[k], s[k-1] = s[k-1], s[k]
		}
	}
	return s
}

// lose returns rows without the given users.
func lose(rows []csvspec.UserGroup, users ...string) []csvspec.UserGroup {
	drop := map[string]bool{}
	for _, u := range users {
		drop[u] = true
	}
	return without(rows, func(u string) bool { return drop[u] })
}

// respelt returns rows where user u's groups are spread over rows in
// another way: one group per row, and the rows reversed.
func respelt(rows []csvspec.UserGroup, u string) []csvspec.UserGroup {
	var out, mine []csvspec.UserGroup
	for _, g := range rows {
		if g.Username != u {
			out = append(out, g)
			continue
		}
		if g.LibraryGroup != "" {
			mine = append(mine, csvspec.UserGroup{Username: u, LibraryGroup: g.LibraryGroup})
		}
		if g.SystemGroup != "" {
			mine = append(mine, csvspec.UserGroup{Username: u, SystemGroup: g.SystemGroup})
		}
	}
	for i := len(mine) - 1; i >= 0; i-- {
		out = append(out, mine[i])
	}
	return out
}

func TestJobErrors(t *testing.T) {
	base := school(20)
	tests := []struct {
		name    string
		fault   *clienttest.Fault
		badAuth bool
		want    Outcome
		wantErr func(error) bool
	}{
		{name: "server error", fault: &clienttest.Fault{Status: 500}, want: OutcomeNoAnswer, wantErr: func(err error) bool { return err != nil }},
		{name: "not found with a result", fault: &clienttest.Fault{Status: 404, ContentType: "application/json",
			Body: `{"success":false,"summary":"Not found."}`},
			want: OutcomeNoAnswer, wantErr: func(err error) bool { return errors.Is(err, client.ErrNotFound) }},
		{name: "forbidden", fault: &clienttest.Fault{Status: 403}, want: OutcomeAuthError, wantErr: func(err error) bool { return errors.Is(err, client.ErrForbidden) }},
		{name: "bad password", badAuth: true, want: OutcomeAuthError, wantErr: func(err error) bool { return errors.Is(err, client.ErrUnauthorized) }},
	}
	for _, tt := range tests {
		for _, mode := range modes {
			t.Run(tt.name+"/"+mode.String(), func(t *testing.T) {
				opts := []clienttest.Option{}
				if tt.badAuth {
					opts = append(opts, clienttest.WithAccount("autoimport", "another password"))
				}
				srv, c := newFake(t, mode, opts...)
				j := NewMemJournal()
				job := &Job{Client: c, Journal: j}
				if tt.fault != nil {
					srv.Fail(1, *tt.fault)
				}
				rep, err := run(t, job, toCSV(base))
				if rep.Outcome != tt.want || !tt.wantErr(err) {
					t.Fatalf("outcome %q, error %v; want %q", rep.Outcome, err, tt.want)
				}
				if strings.Contains(fmt.Sprint(err), clienttest.DefaultPassword) || strings.Contains(rep.Run.Error, clienttest.DefaultPassword) {
					t.Fatalf("the password leaked: %v", err)
				}
				if rep.Run == nil || rep.Run.Outcome != tt.want || rep.Run.Error == "" {
					t.Fatalf("run record %+v", rep.Run)
				}
				if tt.badAuth {
					return
				}
				// The state is unchanged: the next run sends everything again.
				rep, err = run(t, job, toCSV(base))
				if err != nil || rep.Outcome != OutcomeOK {
					t.Fatalf("next run: %q, %v", rep.Outcome, err)
				}
				if !rep.Plan.Stats().FirstRun || rep.RowsSent != len(base) {
					t.Errorf("next run: first run %v, %d rows sent; want a first run sending %d", rep.Plan.Stats().FirstRun, rep.RowsSent, len(base))
				}
				assertConverged(t, srv, mode, base, nil)
				runs, _, _ := job.History(context.Background(), 0)
				if h := healthOf(runs); h.FailuresSince != 0 || h.LastSuccess.IsZero() {
					t.Errorf("health %+v", h)
				}
			})
		}
	}
}

func TestJobCheckErrors(t *testing.T) {
	export := "username,library-group,system-group\n" +
		"s1,House Red,Year 7\n" +
		"s2,House Pink,Year 7\n" + // not defined
		"s2,House Pink,Year 7\n" + // and again, a duplicate
		",House Red,\n" + // no username
		"s3,House Red\n" + // a field short
		"s4,house red,Year 8\n" // case
	srv, c := newFake(t, clienttest.ApplyAdd)
	j := NewMemJournal()
	job := &Job{Client: c, Journal: j, Rules: csvspec.Rules{LibraryGroups: libraryGroups}, Source: "x.csv", Strict: true}
	rep, err := run(t, job, export)
	if !errors.Is(err, ErrInvalidFile) || rep.Outcome != OutcomeInvalidFile {
		t.Fatalf("outcome %q, error %v", rep.Outcome, err)
	}
	if len(srv.Requests()) != 0 {
		t.Fatalf("%d requests; a file with errors must not be sent", len(srv.Requests()))
	}
	type row struct {
		Line         int
		User, Code   string
		Lib, Field   string
		FieldsAbsent bool
	}
	var got []row
	for _, f := range rep.Failures {
		r := row{Line: f.Line, User: f.Username(), Code: f.Code, Field: f.Field, FieldsAbsent: f.Fields == nil}
		if len(f.Fields) > 1 {
			r.Lib = f.Fields[1]
		}
		got = append(got, r)
	}
	want := []row{
		{Line: 3, User: "s2", Code: csvspec.CodeUnknownLibraryGroup, Lib: "House Pink", Field: "library-group"},
		{Line: 4, User: "s2", Code: csvspec.CodeUnknownLibraryGroup, Lib: "House Pink", Field: "library-group"},
		{Line: 5, Code: csvspec.CodeMissingUsername, Lib: "House Red", Field: "username"},
		{Line: 6, User: "s3", Code: csvspec.CodeFieldCount, Lib: "House Red"},
		{Line: 7, User: "s4", Code: csvspec.CodeUnknownLibraryGroup, Lib: "house red", Field: "library-group"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if rep.Run == nil || rep.Run.CheckErrors != 5 || rep.Run.Outcome != OutcomeInvalidFile || rep.Run.Plan != nil {
		t.Errorf("run record %+v", rep.Run)
	}
}

func TestJobNoJournal(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			srv, c := newFake(t, mode)
			job := &Job{Client: c}
			base := school(30)
			for range 2 {
				rep, err := run(t, job, toCSV(base))
				if err != nil || rep.Outcome != OutcomeOK || rep.Mode != ModeFull || rep.Run != nil {
					t.Fatalf("outcome %q, mode %q, run %v, error %v", rep.Outcome, rep.Mode, rep.Run, err)
				}
				if rep.RowsSent != len(base) {
					t.Errorf("%d rows sent, want all %d", rep.RowsSent, len(base))
				}
			}
			assertConverged(t, srv, mode, base, nil)
		})
	}
}

// cancelReader cancels the run's context once it has given its first bytes.
type cancelReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p[:min(len(p), 100)])
	c.cancel()
	return n, err
}

func TestJobCancelledWhileReading(t *testing.T) {
	srv, c := newFake(t, clienttest.ApplyAdd)
	j := NewMemJournal()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rep, err := (&Job{Client: c, Journal: j}).Run(ctx, &cancelReader{strings.NewReader(toCSV(school(50))), cancel})
	if !errors.Is(err, context.Canceled) || rep.Outcome != OutcomeCancelled {
		t.Fatalf("outcome %q, error %v", rep.Outcome, err)
	}
	if len(srv.Requests()) != 0 || rep.Plan != nil {
		t.Errorf("a cancelled read went on: %d requests, plan %v", len(srv.Requests()), rep.Plan)
	}
	if rep.Run == nil || rep.Run.Outcome != OutcomeCancelled {
		t.Errorf("run record %+v", rep.Run)
	}
	// A context done before the run starts: nothing is locked or recorded.
	rep, err = (&Job{Client: c, Journal: j}).Run(ctx, strings.NewReader(""))
	if !errors.Is(err, context.Canceled) || rep.Outcome != OutcomeCancelled || rep.Run != nil {
		t.Fatalf("done context: outcome %q, run %v, error %v", rep.Outcome, rep.Run, err)
	}
}

// TestJobPlan: Plan checks and plans as Run would, sends nothing and
// records nothing.
func TestJobPlan(t *testing.T) {
	srv, c := newFake(t, clienttest.ApplyReplace)
	j := NewMemJournal()
	base := school(40)
	if _, err := run(t, &Job{Client: c, Journal: j}, toCSV(base)); err != nil {
		t.Fatal(err)
	}
	requests := len(srv.Requests())
	half := without(base, func(u string) bool { return u >= "s00020" })
	tests := []struct {
		name    string
		export  string
		force   bool
		want    Outcome
		refusal bool
		changes int
	}{
		{name: "would go on", export: toCSV(lose(base, "s00001")), want: OutcomeOK, changes: 1},
		{name: "would be held", export: toCSV(half), want: OutcomeHeld, refusal: true, changes: 20},
		{name: "forced", export: toCSV(half), force: true, want: OutcomeOK, refusal: true, changes: 20},
		{name: "invalid", export: "username,library-group\n", want: OutcomeInvalidFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := &Job{Client: c, Journal: j, Force: tt.force}
			rep, err := job.Plan(context.Background(), strings.NewReader(tt.export))
			if rep.Outcome != tt.want || (err == nil) != (tt.want == OutcomeOK) || (rep.Refusal != nil) != tt.refusal {
				t.Fatalf("outcome %q, refusal %v, error %v", rep.Outcome, rep.Refusal, err)
			}
			if tt.want == OutcomeRefused && !errors.As(err, new(*LimitError)) {
				t.Errorf("error %v, want a *LimitError", err)
			}
			if rep.Plan != nil {
				n := 0
				for range rep.Plan.Users() {
					n++
				}
				if n != tt.changes {
					t.Errorf("%d users listed, want %d", n, tt.changes)
				}
			}
			if rep.Sent || rep.Run != nil || len(srv.Requests()) != requests {
				t.Errorf("Plan sent or recorded: sent %v, run %v, %d requests", rep.Sent, rep.Run, len(srv.Requests())-requests)
			}
			if rep.Health.LastSuccess.IsZero() {
				t.Errorf("no health: %+v", rep.Health)
			}
		})
	}
	runs, _, _ := (&Job{Client: c, Journal: j}).History(context.Background(), 0)
	if len(runs) != 1 {
		t.Errorf("%d runs recorded, want the first run only", len(runs))
	}
}

// TestJobExcelEmptyRows: rows whose fields are all empty (Excel's ",,,") are
// dropped in one place, the posted file's rows still map to the export's
// lines, and an export of nothing else is empty.
func TestJobExcelEmptyRows(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			srv, c := newFake(t, mode, clienttest.WithLibraryGroups("Red", "Blue"))
			job := &Job{Client: c, Journal: NewMemJournal()}
			export := "username,library-group,system-group\r\n" + // line 1
				"a,Red,\r\n" + // 2
				",,\r\n" + // 3
				"b,Gold,\r\n" + // 4: Gold is not defined in Infiniti
				",,,\r\n" + // 5: more fields than the header
				",,\r\n" // 6
			rep, err := run(t, job, export)
			if rep.Outcome != OutcomeRowsFailed {
				t.Fatalf("outcome %q, error %v", rep.Outcome, err)
			}
			if rep.EmptyRows != 3 || rep.RowsRead != 5 || rep.Check.Count(csvspec.CodeEmptyRow) != 3 || rep.Run.EmptyRows != 3 {
				t.Errorf("empty rows %d (run %d), rows read %d, empty-row warnings %d; want 3, 5, 3", rep.EmptyRows, rep.Run.EmptyRows, rep.RowsRead, rep.Check.Count(csvspec.CodeEmptyRow))
			}
			got, n := postedUsers(t, srv.Requests()[0].CSV)
			if diff := cmp.Diff([]string{"a", "b"}, got); diff != "" || n != 2 {
				t.Errorf("posted %d rows (-want +got):\n%s", n, diff)
			}
			if len(rep.Failures) != 1 || rep.Failures[0].Line != 4 || rep.Failures[0].Row != 2 || rep.Failures[0].Username() != "b" {
				t.Errorf("failures %+v, want row 2 joined to line 4, user b", rep.Failures)
			}
			assertConverged(t, srv, mode, []csvspec.UserGroup{{Username: "a", LibraryGroup: "Red"}}, nil)
			for _, export := range []string{"username,library-group,system-group\n,,\n,,,\n", "username,library-group,system-group\n,,\n\n,,\n"} {
				rep, err = run(t, job, export)
				var le *LimitError
				if rep.Outcome != OutcomeRefused || !errors.As(err, &le) || !le.Empty {
					t.Errorf("export of empty rows %q: outcome %q, error %v; want refused as empty", export, rep.Outcome, err)
				}
			}
		})
	}
}

// TestJobEveryCheckError: Job.Failures receives every check error, with
// its row's values, while the Report keeps the first of each code and
// counts them all.
func TestJobEveryCheckError(t *testing.T) {
	const n = csvspec.MaxProblemsPerCode + 500
	var b strings.Builder
	b.WriteString("username,library-group,system-group\n")
	for i := range n {
		fmt.Fprintf(&b, "u%d,House Pink,\n", i)
	}
	_, c := newFake(t, clienttest.ApplyAdd)
	var sink bytes.Buffer
	rep, err := run(t, &Job{Client: c, Journal: NewMemJournal(), Rules: csvspec.Rules{LibraryGroups: libraryGroups}, Failures: &sink}, b.String())
	if !errors.Is(err, ErrInvalidFile) {
		t.Fatalf("error %v", err)
	}
	const kept = csvspec.MaxProblemsPerCode
	if len(rep.Failures) != kept || rep.FailureCount != n || rep.Failures[kept-1].Line != kept+1 || rep.Failures[kept-1].Username() != fmt.Sprint("u", kept-1) {
		t.Fatalf("%d failures of %d, the last %+v; want %d of %d, the last on line %d", len(rep.Failures), rep.FailureCount, rep.Failures[len(rep.Failures)-1], kept, n, kept+1)
	}
	recs, err := csv.NewReader(&sink).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n+1 || recs[n][0] != fmt.Sprint(n+1) || recs[n][1] != fmt.Sprint("u", n-1) {
		t.Fatalf("the failures file has %d records, the last %q; want %d, the last of line %d, user u%d", len(recs), recs[len(recs)-1], n+1, n+1, n-1)
	}
	if len(rep.Check.Errors()) != csvspec.MaxProblemsPerCode || rep.Run.CheckErrors != n {
		t.Errorf("report keeps %d errors, record counts %d; want %d and %d", len(rep.Check.Errors()), rep.Run.CheckErrors, csvspec.MaxProblemsPerCode, n)
	}
	if causes := rep.Causes(); len(causes) != 1 || causes[0].Rows != n || causes[0].FirstLine != 2 {
		t.Errorf("causes %+v, want one of %d rows from line 2", causes, n)
	}
}

// TestJobObserver: the Observer hears each phase of a run, in order, and
// the outcome at the end.
func TestJobObserver(t *testing.T) {
	_, c := newFake(t, clienttest.ApplyReplace)
	j := NewMemJournal()
	tests := []struct {
		name   string
		plan   bool
		export string
		want   []string
	}{
		{name: "a first run", export: toCSV(school(3)), want: []string{"lock", "check", "plan", "commit", "post", "commit", "end ok"}},
		{name: "an unchanged night", export: toCSV(school(3)), want: []string{"lock", "check", "plan", "post", "commit", "end ok"}},
		{name: "a plan", plan: true, export: toCSV(school(4)), want: []string{"lock", "check", "plan", "end ok"}},
		{name: "an invalid file", export: "username\n", want: []string{"lock", "check", "commit", "end invalid-file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			job := &Job{Client: c, Journal: j, Observer: func(o Observation) {
				if o.Key != (&Job{Client: c}).Key() || o.Took < 0 {
					t.Errorf("observation %+v", o)
				}
				got = append(got, strings.TrimSpace(o.Phase+" "+string(o.Outcome)))
			}}
			if tt.plan {
				_, _ = job.Plan(context.Background(), strings.NewReader(tt.export))
			} else {
				_, _ = run(t, job, tt.export)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("phases (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJobZeroImport: an Import the package did not make is an error, not
// a crash in a goroutine.
func TestJobZeroImport(t *testing.T) {
	for _, imp := range []*Import{{}, {name: "user-groups"}} {
		for _, send := range []bool{false, true} {
			_, c := newFake(t, clienttest.ApplyAdd)
			rep, err := (&Job{Client: c, Import: imp}).run(context.Background(), strings.NewReader("username,library-group,system-group\na,b,c\n"), nil, send, false)
			if rep != nil || err == nil || !strings.Contains(err.Error(), "syncjob.UserGroups() or syncjob.Contacts") {
				t.Errorf("Import %+v, send %v: report %v, error %v", imp, send, rep, err)
			}
		}
		if _, err := imp.readSnapshot(strings.NewReader("")); err == nil {
			t.Errorf("readSnapshot of Import %+v: no error", imp)
		}
	}
}

// TestKeyNormalised: spellings of one site are one key and one folder,
// from a job's client or from KeyOf; other sites stay apart.
func TestKeyNormalised(t *testing.T) {
	const want = "https://school.example.com"
	tests := []struct {
		url  string
		site string
	}{
		{"https://school.example.com", want},
		{"https://SCHOOL.example.com", want},
		{"HTTPS://School.Example.COM/", want},
		{"https://school.example.com:443", want},
		{"https://school.example.com.", want},
		{"https://school.example.com.:443/", want},
		{"https://school.example.com:8443", "https://school.example.com:8443"},
		{"https://school.example.com/Infiniti/", "https://school.example.com/Infiniti"},
		{"http://127.0.0.1:80", "http://127.0.0.1"},
		{"http://[::1]:80/", "http://[::1]"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"https://librarian:Secret-42@school.example.com/", want},
	}
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	held, err := j.Lock(context.Background(), Key{Site: want, Tenant: "T1", Import: "user-groups"})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := client.New(tt.url, client.WithTenant("T1"))
			if err != nil {
				t.Fatal(err)
			}
			k := (&Job{Client: c}).Key()
			if k.Site != tt.site {
				t.Errorf("Key().Site = %q, want %q", k.Site, tt.site)
			}
			if diff := cmp.Diff(k, KeyOf(tt.url, "T1", nil)); diff != "" {
				t.Errorf("KeyOf(%q) (-Job.Key +KeyOf):\n%s", tt.url, diff)
			}
			raw := Key{Site: tt.url, Tenant: "T1", Import: "user-groups"}
			if folderName(raw) != folderName(k) {
				t.Errorf("folderName(%q) = %s, folderName(%q) = %s; want the same", tt.url, folderName(raw), k.Site, folderName(k))
			}
			// One school holds one lock, however its URL is spelt.
			s, err := j.Lock(context.Background(), raw)
			if s != nil {
				s.Close()
			}
			if locked := errors.As(err, new(*LockedError)); locked != (tt.site == want) {
				t.Errorf("Lock(%q) while %q is held: %v", tt.url, want, err)
			}
		})
	}
}

// TestRunUnchanged: a night of no updates keeps every user's state, its
// carried values included; sends no unconfirmed user that is not a
// leaver (its last confirmed rows would undo what Infiniti applied), so
// it stays unconfirmed with its for-staff items; sends the template again
// only to a leaver moved without an answer; leaves the other leavers,
// kept or moved, as they are (a kept one is not moved, even with a
// template); and posts, an empty file when nothing is due.
func TestRunUnchanged(t *testing.T) {
	const head = "autosync-state,2,user-groups\n"
	const ann = "u,ann,0,,Ann Lee\nr,ann,House Red,Year 7\n"                     // confirmed, with a carried name
	const cat = "u,cat,1,,Cat\ni,cat,House Green,\n"                             // posted, never confirmed: no rows
	const dan = "u,dan,0,left,Dan\nr,dan,House Red,Year 9\ni,dan,House Red,\n"   // kept as a leaver
	const eve = "u,eve,0,moved,Eve\nr,eve,Leavers,\n"                            // moved with the template
	const bob = "u,bob,1,,Bob Ray\nr,bob,House Blue,Year 8\ni,bob,House Gold,\n" // unconfirmed: House Gold posted, no answer
	const fay = "u,fay,1,moved,Fay\nr,fay,House Red,Year 9\n"                    // moved with the template, no answer
	const fayAfter = "u,fay,0,moved,Fay\nr,fay,Leavers,\n"                       // the template again, confirmed
	tests := []struct {
		name          string
		mode          clienttest.ApplyMode
		applies       Applies
		leavers       *csvspec.UserGroup
		before, after string
		posted        string   // the rows posted, after the header
		unconfirmed   []string // the report's unconfirmed users
	}{
		{"replace", clienttest.ApplyReplace, AppliesReplace, nil, head + ann + bob + cat + dan + eve, head + ann + bob + cat + dan + eve, "", []string{"bob", "cat"}},
		{"add, with a template", clienttest.ApplyAdd, AppliesAdd, &csvspec.UserGroup{LibraryGroup: "Leavers"}, head + ann + bob + cat + dan + eve + fay, head + ann + bob + cat + dan + eve + fayAfter, "fay,Leavers,\n", []string{"bob", "cat"}},
		{"nothing due", clienttest.ApplyReplace, AppliesReplace, nil, head + ann + cat + dan + eve, head + ann + cat + dan + eve, "", []string{"cat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, tt.mode)
			j := NewMemJournal()
			job := &Job{Client: c, Journal: j, Applies: tt.applies, Leavers: tt.leavers, Carry: []string{"name"}}
			ctx := context.Background()
			sess, err := j.Lock(ctx, job.Key())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := commit(ctx, sess, []byte(tt.before), strings.Count(tt.before, "\nu,"), Run{Outcome: OutcomeOK}); err != nil {
				t.Fatal(err)
			}
			sess.Close()
			rep, err := job.RunUnchanged(ctx)
			if err != nil || rep.Outcome != OutcomeOK || rep.Refusal != nil {
				t.Fatalf("outcome %s, refusal %v: %v", rep.Outcome, rep.Refusal, err)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want one post", len(reqs))
			}
			if diff := cmp.Diff(strings.Join(csvspec.Header(), ",")+"\n"+tt.posted, strings.ReplaceAll(string(reqs[0].CSV), "\r\n", "\n")); diff != "" {
				t.Errorf("posted (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.unconfirmed, rep.Users().Unconfirmed); diff != "" {
				t.Errorf("Users().Unconfirmed (-want +got):\n%s", diff)
			}
			if st := rep.Plan.Stats(); st.Gone != 0 || st.New != 0 || st.Changed != 0 || st.Losing != 0 {
				t.Errorf("the guard saw %+v, want no change", st)
			}
			if diff := cmp.Diff(tt.after, journalState(t, j, job.Key())); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlanUnchanged: the plan of a night of no updates reads the state,
// posts nothing, keeps the state, and plans what RunUnchanged would send.
func TestPlanUnchanged(t *testing.T) {
	const state = "autosync-state,2,user-groups\n" +
		"u,ann,0,,\nr,ann,House Red,Year 7\n" +
		"u,bob,1,,\nr,bob,House Blue,Year 8\ni,bob,House Gold,\n" + // unconfirmed: not sent
		"u,fay,1,moved,\nr,fay,House Red,Year 9\n" // moved, no answer: the template again
	srv, c := newFake(t, clienttest.ApplyAdd)
	j := NewMemJournal()
	job := &Job{Client: c, Journal: j, Applies: AppliesAdd, Leavers: &csvspec.UserGroup{LibraryGroup: "Leavers"}}
	ctx := context.Background()
	sess, err := j.Lock(ctx, job.Key())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := commit(ctx, sess, []byte(state), 3, Run{Outcome: OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	rep, err := job.PlanUnchanged(ctx)
	if err != nil || rep.Outcome != OutcomeOK || rep.Sent {
		t.Fatalf("outcome %s, sent %v: %v", rep.Outcome, rep.Sent, err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
	got := struct {
		Users, RowsToSend int
		Unconfirmed       []string
	}{rep.Plan.Stats().Users, rep.Plan.Stats().RowsToSend, rep.Users().Unconfirmed}
	want := struct {
		Users, RowsToSend int
		Unconfirmed       []string
	}{2, 1, []string{"bob", "fay"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(state, journalState(t, j, job.Key())); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}
