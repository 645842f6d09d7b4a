package syncjob

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/google/go-cmp/cmp"
)

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
