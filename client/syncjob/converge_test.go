package syncjob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
)

func ug(u, lib, sys string) csvspec.UserGroup {
	return csvspec.UserGroup{Username: u, LibraryGroup: lib, SystemGroup: sys}
}

// later is a clock past any post still in flight.
func later() time.Time { return time.Now().Add(24 * time.Hour) }

// TestUnconfirmedResent: a user whose change partly failed (review (a)),
// or whose post got no answer (review (b)), is sent again by every run
// until Infiniti confirms it, even when the export goes back to what the
// journal last confirmed.
func TestUnconfirmedResent(t *testing.T) {
	night1 := []csvspec.UserGroup{ug("ann", "Gold", ""), ug("ann", "Silver", ""), ug("bob", "Gold", "")}
	night2 := []csvspec.UserGroup{ug("ann", "Gold", ""), ug("ann", "Bad", ""), ug("bob", "Gold", "")}
	tests := []struct {
		name    string
		fault   *clienttest.Fault
		timeout time.Duration
		want    Outcome
	}{
		{name: "a failed row", want: OutcomeRowsFailed},
		{name: "a 500 after the upload", fault: &clienttest.Fault{Status: 500}, want: OutcomeNoAnswer},
		{name: "a 200 that is not a result", fault: &clienttest.Fault{Status: 200, ContentType: "application/json", Body: `{"success":true,"summary":"done"}`}, want: OutcomeNoAnswer},
		{name: "an answer too late", fault: &clienttest.Fault{Delay: 400 * time.Millisecond}, timeout: 100 * time.Millisecond, want: OutcomeCancelled},
	}
	for _, tt := range tests {
		for _, mode := range modes {
			t.Run(tt.name+"/"+mode.String(), func(t *testing.T) {
				srv, c := newFake(t, mode, clienttest.WithLibraryGroups("Gold", "Silver"))
				job := &Job{Client: c, Journal: NewMemJournal(), now: later}
				if rep, err := run(t, job, toCSV(night1)); err != nil {
					t.Fatalf("night 1: %s, %v", rep.Outcome, err)
				}
				ctx := context.Background()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				if tt.fault != nil {
					srv.Fail(1, *tt.fault)
				}
				rep, _ := job.Run(ctx, strings.NewReader(toCSV(night2)))
				if rep.Outcome != tt.want {
					t.Fatalf("night 2: outcome %s, want %s", rep.Outcome, tt.want)
				}
				if got := rep.Users().Unconfirmed; rep.Unconfirmed != len(got) || rep.Run.UnconfirmedUsers != len(got) || !slices.Contains(got, "ann") {
					t.Errorf("night 2: %d unconfirmed, %d in the record, users %v; want ann among them, the counts agreeing", rep.Unconfirmed, rep.Run.UnconfirmedUsers, got)
				}
				// Night 3: the export is back to night 1's, which the
				// journal last confirmed; ann is sent again all the same.
				before := len(srv.Requests())
				rep, err := run(t, job, toCSV(night1))
				if err != nil || rep.Outcome != OutcomeOK {
					t.Fatalf("night 3: %s, %v", rep.Outcome, err)
				}
				sent, _ := postedUsers(t, srv.Requests()[before].CSV)
				if diff := cmp.Diff([]string{"ann"}, sent); diff != "" && tt.want == OutcomeRowsFailed {
					t.Errorf("night 3 sent (-want +got):\n%s", diff)
				}
				if !slices.Contains(sent, "ann") {
					t.Errorf("night 3 sent %v, want ann among them", sent)
				}
				assertConverged(t, srv, mode, night1, nil)
				// Night 4: all confirmed, nothing to send.
				if rep, err := run(t, job, toCSV(night1)); err != nil || rep.RowsSent != 0 {
					t.Errorf("night 4: %s, %d rows sent, %v", rep.Outcome, rep.RowsSent, err)
				}
			})
		}
	}
}

// TestInFlight: a run that finds the posting record of a run that has not
// ended does not post before the post can no longer be in flight; Plan
// still plans.
func TestInFlight(t *testing.T) {
	_, c := newFake(t, clienttest.ApplyReplace)
	j := NewMemJournal()
	job := &Job{Client: c, Journal: j}
	if _, err := run(t, job, toCSV(school(10))); err != nil {
		t.Fatal(err)
	}
	sess, err := j.Lock(context.Background(), job.Key())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	until := start.Add(time.Hour)
	if err := sess.Record(context.Background(), Run{Start: start, Key: job.Key(), Outcome: OutcomePosting, InFlightUntil: until}); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	rep, err := run(t, job, toCSV(school(11)))
	var fe *InFlightError
	if rep.Outcome != OutcomeLocked || !errors.As(err, &fe) || !rep.LockedUntil.Equal(until) {
		t.Fatalf("outcome %s, locked until %v, error %v; want locked until %v", rep.Outcome, rep.LockedUntil, err, until)
	}
	if rep, err := job.Plan(context.Background(), strings.NewReader(toCSV(school(11)))); err != nil || rep.Outcome != OutcomeOK {
		t.Errorf("plan: %s, %v", rep.Outcome, err)
	}
	runs, _, _ := job.History(context.Background(), 0)
	if last := runs[len(runs)-1]; last.Outcome != OutcomePosting || !strings.Contains(last.Error, "no answer") {
		t.Errorf("history's last run %+v, want the posting record, ended after its post", last)
	}
	job.now = func() time.Time { return until.Add(time.Second) }
	if rep, err := run(t, job, toCSV(school(11))); err != nil || rep.Outcome != OutcomeOK || rep.RowsSent == 0 {
		t.Errorf("after the post's time: %s, %d rows, %v", rep.Outcome, rep.RowsSent, err)
	}
}

// TestCounted: the run record says whether Infiniti's processed count
// matched the rows or the users posted (issue 14 §1).
func TestCounted(t *testing.T) {
	two := []csvspec.UserGroup{ug("ann", "Gold", ""), ug("ann", "Silver", ""), ug("bob", "Gold", "")}
	one := []csvspec.UserGroup{ug("ann", "Gold", ""), ug("bob", "Gold", "")}
	tests := []struct {
		name   string
		opts   []clienttest.Option
		export []csvspec.UserGroup
		want   string
	}{
		{name: "rows counted", export: two, want: "rows"},
		{name: "users counted", opts: []clienttest.Option{clienttest.WithUserCounts()}, export: two, want: "users"},
		{name: "a row per user", export: one, want: "both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newFake(t, clienttest.ApplyReplace, tt.opts...)
			job := &Job{Client: c, Journal: NewMemJournal()}
			rep, err := run(t, job, toCSV(tt.export))
			if err != nil || rep.Run.Counted != tt.want {
				t.Errorf("outcome %s, counted %q, %v; want %q", rep.Outcome, rep.Run.Counted, err, tt.want)
			}
		})
	}
}

// TestGuard: the wrong-file rule refuses the whole export; past the limit,
// what takes nothing away is sent and the losses are held (in add mode,
// losses are sent and become for-staff items); Force goes past both.
func TestGuard(t *testing.T) {
	base := school(40)
	gain := func(rows []csvspec.UserGroup, users ...string) []csvspec.UserGroup {
		for _, u := range users {
			rows = append(rows, ug(u, "Chess Club", ""))
		}
		return rows
	}
	renamed := edit(base, func(g csvspec.UserGroup) csvspec.UserGroup {
		if g.Username < "s00025" {
			g.Username = "x" + g.Username
		}
		return g
	})
	lost := lose(base, "s00001", "s00002", "s00003", "s00004", "s00005", "s00006")
	mixed := append(gain(lost, "s00010", "s00011"), ug("new1", "House Red", "Year 7"))
	tests := []struct {
		name    string
		export  []csvspec.UserGroup
		applies Applies
		force   bool
		want    Outcome
		sent    []string
		held    int
	}{
		{name: "more than half renamed is the wrong file", export: renamed, want: OutcomeRefused},
		{name: "the wrong file forced", export: renamed, force: true, want: OutcomeOK, sent: usersOf(renamed[:37])},
		{name: "past the limit: gains sent, leavers held", export: mixed, want: OutcomeHeld, sent: []string{"new1", "s00010", "s00011"}, held: 6},
		{name: "add: leavers kept are not held", export: mixed, applies: AppliesAdd, want: OutcomeOK, sent: []string{"new1", "s00010", "s00011"}},
		{name: "forced", export: mixed, force: true, want: OutcomeOK, sent: []string{"new1", "s00010", "s00011"}},
		{name: "an empty export forced", export: nil, force: true, want: OutcomeRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, clienttest.ApplyReplace)
			job := &Job{Client: c, Journal: NewMemJournal(), Applies: tt.applies}
			if _, err := run(t, job, toCSV(base)); err != nil {
				t.Fatal(err)
			}
			before := len(srv.Requests())
			job.Force = tt.force
			rep, err := run(t, job, toCSV(tt.export))
			if rep.Outcome != tt.want || (err == nil) != (tt.want == OutcomeOK) {
				t.Fatalf("outcome %s, %v; want %s", rep.Outcome, err, tt.want)
			}
			reqs := srv.Requests()[before:]
			if tt.sent == nil {
				if len(reqs) != 0 {
					t.Fatalf("%d requests, want none", len(reqs))
				}
				return
			}
			got, _ := postedUsers(t, reqs[0].CSV)
			want := slices.Sorted(slices.Values(tt.sent))
			if tt.name == "the wrong file forced" {
				want = got // every renamed user; checked by convergence below
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			if tt.held > 0 {
				var le *LimitError
				if !errors.As(err, &le) || le.Held != tt.held || le.Sent != len(tt.sent) {
					t.Errorf("error %v, want a LimitError holding %d, sending %d", err, tt.held, len(tt.sent))
				}
			}
		})
	}
}

// TestGuardKnownUsers: users the state knows without confirmed rows (failed
// on a first run, or gone and back) are not new users for the wrong-file
// rule; an unconfirmed user is sent every run until confirmed (review F1,
// F3).
func TestGuardKnownUsers(t *testing.T) {
	var failing, fixed []csvspec.UserGroup
	for i := range 100 {
		lib := "Red"
		if i < 40 {
			lib = "Gold" // not in Infiniti: fails
		}
		failing = append(failing, ug(fmt.Sprintf("u%03d", i), lib, ""))
		fixed = append(fixed, ug(fmt.Sprintf("u%03d", i), "Red", ""))
	}
	all := school(100)
	most := without(all, func(u string) bool { return u < "s00045" })
	tmpl := &csvspec.UserGroup{SystemGroup: "Former Students"}
	tests := []struct {
		name    string
		leavers *csvspec.UserGroup
		before  [][]csvspec.UserGroup // the nights before
		forced  int                   // the night before that is forced, 1-based; 0: none
		export  []csvspec.UserGroup
	}{
		{name: "failed on a first run", before: [][]csvspec.UserGroup{failing}, export: fixed},
		{name: "failed on a first run, twice", before: [][]csvspec.UserGroup{failing, failing}, export: fixed},
		{name: "back after leaving", before: [][]csvspec.UserGroup{all, most}, forced: 2, export: all},
		{name: "back after being moved", leavers: tmpl, before: [][]csvspec.UserGroup{all, most}, forced: 2, export: all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, clienttest.ApplyReplace, clienttest.WithLibraryGroups("Red", "House Red", "House Blue", "House Green", "House Gold", "Library Helpers"))
			job := &Job{Client: c, Journal: NewMemJournal(), Applies: AppliesReplace, Leavers: tt.leavers, now: later}
			for i, night := range tt.before {
				job.Force = i+1 == tt.forced
				run(t, job, toCSV(night))
			}
			job.Force = false
			rep, err := run(t, job, toCSV(tt.export))
			if err != nil || rep.Outcome != OutcomeOK {
				t.Fatalf("outcome %s, %v; want ok", rep.Outcome, err)
			}
			assertConverged(t, srv, clienttest.ApplyReplace, tt.export, nil)
		})
	}
}

// TestLeavers: a leaver is kept (nothing sent, its memberships listed for
// staff, counted against the guard once), or moved once with the
// template; a leaver who comes back is an ordinary user.
func TestLeavers(t *testing.T) {
	base := school(30)
	gone := lose(base, "s00003")
	back := base
	tmpl := &csvspec.UserGroup{SystemGroup: "Former Students"}
	for _, mode := range modes {
		for _, leavers := range []*csvspec.UserGroup{nil, tmpl} {
			t.Run(fmt.Sprintf("%s/template %v", mode, leavers != nil), func(t *testing.T) {
				srv, c := newFake(t, mode)
				applies := AppliesAdd
				if mode == clienttest.ApplyReplace {
					applies = AppliesReplace
				}
				job := &Job{Client: c, Journal: NewMemJournal(), Leavers: leavers, Applies: applies}
				if _, err := run(t, job, toCSV(base)); err != nil {
					t.Fatal(err)
				}
				before := len(srv.Requests())
				rep, err := run(t, job, toCSV(gone))
				if err != nil || rep.Outcome != OutcomeOK {
					t.Fatalf("leaver night: %s, %v", rep.Outcome, err)
				}
				sent, _ := postedUsers(t, srv.Requests()[before].CSV)
				have := srv.Memberships()["s00003"]
				if leavers == nil {
					if len(sent) != 0 {
						t.Errorf("keep sent %v", sent)
					}
					if items := rep.verdict.items("s00003"); len(items) != 3 {
						t.Errorf("for-staff items of the leaver: %v, want its 3 memberships", items)
					}
				} else {
					if diff := cmp.Diff([]string{"s00003"}, sent); diff != "" {
						t.Errorf("template sent (-want +got):\n%s", diff)
					}
					if !slices.Contains(have.SystemGroups, "Former Students") {
						t.Errorf("the leaver holds %+v, want Former Students", have)
					}
					if mode == clienttest.ApplyReplace && len(have.LibraryGroups) != 0 {
						t.Errorf("replace: the leaver holds %+v, want the template's only", have)
					}
				}
				// The next night the leaver is neither sent nor counted.
				rep, err = run(t, job, toCSV(gone))
				if err != nil || rep.Plan.Stats().Gone != 0 || rep.RowsSent != 0 {
					t.Fatalf("night after: %s, gone %d, %d rows, %v", rep.Outcome, rep.Plan.Stats().Gone, rep.RowsSent, err)
				}
				// The leaver comes back.
				rep, err = run(t, job, toCSV(back))
				if err != nil || rep.Outcome != OutcomeOK {
					t.Fatalf("back: %s, %v", rep.Outcome, err)
				}
				assertConverged(t, srv, mode, back, nil)
				if items := rep.verdict.items("s00003"); mode == clienttest.ApplyReplace && len(items) != 0 {
					t.Errorf("items after coming back: %v", items)
				}
			})
		}
	}
}

// TestLeaversTemplateLater: leavers kept before a template was set are
// moved once with it, as leavers' moves that the guard holds past the
// limit (review F8).
func TestLeaversTemplateLater(t *testing.T) {
	all := school(40)
	tests := []struct {
		name string
		kept int     // users who left while kept, before the template
		want Outcome // the first night with the template
	}{
		{name: "a few", kept: 3, want: OutcomeOK},
		{name: "past the limit", kept: 8, want: OutcomeHeld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, clienttest.ApplyReplace)
			job := &Job{Client: c, Journal: NewMemJournal(), Applies: AppliesReplace, Force: true, now: later}
			stay := without(all, func(u string) bool { return u < fmt.Sprintf("s%05d", tt.kept) })
			for _, night := range [][]csvspec.UserGroup{all, stay} {
				if _, err := run(t, job, toCSV(night)); err != nil {
					t.Fatal(err)
				}
			}
			job.Force, job.Leavers = false, &csvspec.UserGroup{SystemGroup: "Former Students"}
			if rep, err := run(t, job, toCSV(stay)); rep.Outcome != tt.want {
				t.Fatalf("with the template: %s, %v; want %s", rep.Outcome, err, tt.want)
			}
			job.Force = tt.want == OutcomeHeld
			if rep, err := run(t, job, toCSV(stay)); err != nil || rep.KeptLeavers() != 0 {
				t.Fatalf("moved: %s, %d kept, %v; want ok, none kept", rep.Outcome, rep.KeptLeavers(), err)
			}
			job.Force = false
			if rep, err := run(t, job, toCSV(stay)); err != nil || rep.RowsSent != 0 {
				t.Errorf("the night after: %s, %d rows sent, %v; want ok, nothing sent", rep.Outcome, rep.RowsSent, err)
			}
			if have := srv.Memberships()["s00000"]; !cmp.Equal(have, clienttest.Membership{SystemGroups: []string{"Former Students"}}) {
				t.Errorf("a kept leaver holds %+v, want the template's", have)
			}
		})
	}
}

// TestLeaverTemplateFailed: a leaver's template is sent once; when
// Infiniti fails it (it never had the user), the leaver is listed failed
// that night, marked moved, and not sent again (review F9).
func TestLeaverTemplateFailed(t *testing.T) {
	all := school(30)
	withGhost := append(slices.Clone(all), ug("ghost", "House Red", "Year 7"))
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			_, c := newFake(t, mode, clienttest.WithUsers(usersOf(all)...))
			applies := map[clienttest.ApplyMode]Applies{clienttest.ApplyAdd: AppliesAdd, clienttest.ApplyReplace: AppliesReplace}[mode]
			job := &Job{Client: c, Journal: NewMemJournal(), Applies: applies, Leavers: &csvspec.UserGroup{SystemGroup: "Former Students"}, now: later}
			for _, night := range [][]csvspec.UserGroup{all, withGhost} {
				run(t, job, toCSV(night))
			}
			rep, _ := run(t, job, toCSV(all)) // the ghost leaves: its template fails
			if rep.Outcome != OutcomeRowsFailed || !slices.ContainsFunc(rep.StaffRows(), func(r StaffRow) bool { return r.Username == "ghost" && r.Status == statusFailed }) {
				t.Fatalf("leaving night: %s, staff rows %+v; want rows-failed, the ghost listed failed", rep.Outcome, rep.StaffRows())
			}
			rep, err := run(t, job, toCSV(all))
			if err != nil || rep.Outcome != OutcomeOK || rep.RowsSent != 0 {
				t.Errorf("next night: %s, %d rows sent, %v; want ok, nothing sent", rep.Outcome, rep.RowsSent, err)
			}
		})
	}
}

// TestLeaversNoAnswer: leavers count against the guard on the night they
// go only, also when that night ends with no answer (review F4).
func TestLeaversNoAnswer(t *testing.T) {
	all := school(100)
	grad := without(all, func(u string) bool { return u < "s00030" })
	changed := edit(grad, func(g csvspec.UserGroup) csvspec.UserGroup {
		if g.Username == "s00050" && g.SystemGroup != "" {
			g.SystemGroup = "Year 12"
		}
		return g
	})
	tmpl := &csvspec.UserGroup{SystemGroup: "Former Students"}
	tests := []struct {
		name    string
		leavers *csvspec.UserGroup
		export  []csvspec.UserGroup
	}{
		{name: "moved", leavers: tmpl, export: grad},
		{name: "kept, nothing else sent", export: grad},
		{name: "kept, a change sent", export: changed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, clienttest.ApplyReplace)
			job := &Job{Client: c, Journal: NewMemJournal(), Applies: AppliesReplace, Leavers: tt.leavers, now: later}
			if _, err := run(t, job, toCSV(all)); err != nil {
				t.Fatal(err)
			}
			job.Force = true
			srv.Fail(1, clienttest.Fault{Status: 500})
			if rep, _ := run(t, job, toCSV(tt.export)); rep.Outcome != OutcomeNoAnswer {
				t.Fatalf("forced night: %s, want no-answer", rep.Outcome)
			}
			job.Force = false
			rep, err := run(t, job, toCSV(tt.export))
			if err != nil || rep.Outcome != OutcomeOK || rep.Plan.Stats().Gone != 0 {
				t.Fatalf("next night: %s, %d gone, %v; want ok, none gone", rep.Outcome, rep.Plan.Stats().Gone, err)
			}
			assertConverged(t, srv, clienttest.ApplyReplace, tt.export, nil)
			if tt.leavers != nil {
				if have := srv.Memberships()["s00000"]; !cmp.Equal(have.SystemGroups, []string{"Former Students"}) {
					t.Errorf("a leaver holds %+v, want the template's", have)
				}
			}
		})
	}
}

// TestStateVersion: a state of a newer version is a journal error naming
// the version, and Force does not go past it.
func TestStateVersion(t *testing.T) {
	_, c := newFake(t, clienttest.ApplyReplace)
	j := NewMemJournal()
	job := &Job{Client: c, Journal: j, Force: true}
	sess, err := j.Lock(context.Background(), job.Key())
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Commit(context.Background(), strings.NewReader("autosync-state,3,user-groups\n"), Run{Outcome: OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	rep, err := run(t, job, toCSV(school(3)))
	if rep.Outcome != OutcomeJournalError || !strings.Contains(fmt.Sprint(err), "version 3") {
		t.Errorf("outcome %s, %v; want a journal error naming version 3", rep.Outcome, err)
	}
}

// dyingJournal is a Journal whose sessions fail the n-th Commit of the
// run, as a process killed at that write leaves it: the commit never
// happens.
type dyingJournal struct {
	*MemJournal
	n int // the Commit that dies, 1-based; 0: none
}

func (j *dyingJournal) Lock(ctx context.Context, key Key) (Session, error) {
	s, err := j.MemJournal.Lock(ctx, key)
	if err != nil {
		return nil, err
	}
	return &dyingSession{Session: s, n: j.n}, nil
}

type dyingSession struct {
	Session
	n, commits int
}

func (s *dyingSession) Commit(ctx context.Context, state io.Reader, run Run) error {
	if s.commits++; s.commits == s.n {
		return errors.New("killed")
	}
	return s.Session.Commit(ctx, state, run)
}

func (s *dyingSession) Record(ctx context.Context, run Run) error {
	if s.n > 0 && s.commits >= s.n {
		return errors.New("killed") // a dead process records nothing more
	}
	return s.Session.Record(ctx, run)
}

// TestRandomNights runs random sequences of nights (users added, changed and
// removed, failed rows, 5xx answers, answers too late, kills at either
// commit) in both modes with a leaver template; after a final clean forced
// run, every user holds what the export says (exactly in replace mode, at
// least in add mode), every leaver the template, and every other
// membership Infiniti holds is listed for staff.
func TestRandomNights(t *testing.T) {
	sequences := 30
	if testing.Short() {
		sequences = 4
	}
	libs, syss := []string{"A", "B", "C"}, []string{"X", "Y"}
	tmpl := &csvspec.UserGroup{SystemGroup: "Gone"}
	for _, mode := range modes {
		for seq := range sequences {
			t.Run(fmt.Sprintf("%s/%d", mode, seq), func(t *testing.T) {
				rnd := rand.New(rand.NewPCG(uint64(seq), 14))
				srv, c := newFake(t, mode, clienttest.WithLibraryGroups(libs...), clienttest.WithSystemGroups(append(syss, "Gone")...))
				applies := AppliesAdd
				if mode == clienttest.ApplyReplace {
					applies = AppliesReplace
				}
				mem := NewMemJournal()
				users := map[string][]csvspec.UserGroup{}
				seen := map[string]bool{}
				randomUser := func(u string) []csvspec.UserGroup {
					rows := []csvspec.UserGroup{ug(u, libs[rnd.IntN(3)], syss[rnd.IntN(2)])}
					if rnd.IntN(3) == 0 {
						rows = append(rows, ug(u, libs[rnd.IntN(3)], ""))
					}
					return rows
				}
				export := func(bad bool) []csvspec.UserGroup {
					var rows []csvspec.UserGroup
					for _, u := range slices.Sorted(maps.Keys(users)) {
						rows = append(rows, users[u]...)
					}
					if bad && len(rows) > 0 {
						rows[rnd.IntN(len(rows))].LibraryGroup = "Bad" // Infiniti fails it
					}
					return rows
				}
				nights := 6 + rnd.IntN(5)
				for night := range nights + 1 {
					final := night == nights
					churn(rnd, users, seen, night == 0, randomUser)
					job := &Job{Client: c, Journal: mem, Applies: applies, Leavers: tmpl, now: later, Force: final}
					fault := rnd.IntN(10)
					if final {
						fault = -1
					}
					ctx, cancel := injectFault(rnd, fault, srv, job, mem)
					rep, err := job.Run(ctx, strings.NewReader(toCSV(export(fault == 4 || fault == 5))))
					cancel()
					if rep == nil {
						t.Fatalf("night %d: no report: %v", night, err)
					}
					if final && rep.Outcome != OutcomeOK {
						t.Fatalf("final night: %s, %v", rep.Outcome, err)
					}
					if final {
						checkFinal(t, srv, mode, rep, export(false), seen, tmpl)
					}
				}
			})
		}
	}
}

// churn adds, removes and changes random users of a night (first: the
// first night, which adds most).
func churn(rnd *rand.Rand, users map[string][]csvspec.UserGroup, seen map[string]bool, first bool, randomUser func(string) []csvspec.UserGroup) {
	for i := range 30 {
		u := fmt.Sprintf("u%02d", i)
		switch r := rnd.IntN(20); {
		case first && r < 12, users[u] == nil && r < 2:
			users[u], seen[u] = randomUser(u), true
		case users[u] != nil && r < 2:
			delete(users, u)
		case users[u] != nil && r < 5:
			users[u] = randomUser(u)
		}
	}
}

// injectFault sets up the fault of a night: 0 a 5xx answer, 1 an answer
// too late, 2 or 3 a kill at a commit; others none (4 and 5 fail a row,
// which the caller does). It returns the run's context.
func injectFault(rnd *rand.Rand, fault int, srv *clienttest.Server, job *Job, mem *MemJournal) (context.Context, context.CancelFunc) {
	switch fault {
	case 0:
		srv.Fail(1, clienttest.Fault{Status: 500})
	case 1:
		srv.Fail(1, clienttest.Fault{Delay: 300 * time.Millisecond})
		return context.WithTimeout(context.Background(), 50*time.Millisecond)
	case 2, 3:
		job.Journal = &dyingJournal{MemJournal: mem, n: 1 + rnd.IntN(2)}
	}
	return context.Background(), func() {}
}

// checkFinal checks the per-user rule after the final run.
func checkFinal(t *testing.T, srv *clienttest.Server, mode clienttest.ApplyMode, rep *Report, export []csvspec.UserGroup, seen map[string]bool, tmpl *csvspec.UserGroup) {
	t.Helper()
	want := groupsOf(export)
	have := srv.Memberships()
	for u := range seen {
		if h := have[u]; len(h.LibraryGroups)+len(h.SystemGroups) == 0 {
			continue // Infiniti never held anything of it
		}
		if _, ok := want[u]; !ok {
			want[u] = clienttest.Membership{SystemGroups: []string{tmpl.SystemGroup}}
		}
	}
	listed := map[string]bool{}
	for _, r := range rep.StaffRows() {
		if r.Status == StatusForStaff {
			listed[r.Username+"/"+r.Item[0]+r.Item[1]] = true
		}
	}
	for u, w := range want {
		got := have[u]
		missing := append(minusStr(w.LibraryGroups, got.LibraryGroups), minusStr(w.SystemGroups, got.SystemGroups)...)
		extra := append(minusStr(got.LibraryGroups, w.LibraryGroups), minusStr(got.SystemGroups, w.SystemGroups)...)
		if len(missing) > 0 {
			t.Errorf("%s lacks %v (holds %+v, want %+v)", u, missing, got, w)
		}
		for _, g := range extra {
			if mode == clienttest.ApplyReplace {
				t.Errorf("replace: %s holds %s beyond %+v", u, g, w)
			} else if !listed[u+"/"+g] {
				t.Errorf("add: %s holds %s, not listed for staff", u, g)
			}
		}
	}
}

// The in-flight window is the upload allowance plus the client's answer
// limit, or the default limit when the client cannot know it (issue 14 §1).
func TestInFlightUntil(t *testing.T) {
	next, err := newSnapshot(slices.Values([]csvspec.UserGroup{{Username: "ann", LibraryGroup: "Gold"}}))
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := newSnapshot(slices.Values([]csvspec.UserGroup(nil)))
	plan := diffPlan(empty, next)
	start := time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC)
	deadline, cancel := context.WithDeadline(context.Background(), start.Add(5*time.Minute))
	defer cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		answer time.Duration
		want   time.Duration
	}{
		{"unknown answer limit", context.Background(), 0, time.Minute + client.DefaultResponseHeaderTimeout},
		{"the client's answer limit", context.Background(), 30 * time.Minute, 31 * time.Minute},
		{"the context's deadline", deadline, 30 * time.Minute, 35 * time.Minute},
	}
	for _, tt := range tests {
		if got := inFlightUntil(tt.ctx, start, plan, tt.answer).Sub(start); got != tt.want {
			t.Errorf("%s: in flight for %v, want %v", tt.name, got, tt.want)
		}
	}
}
