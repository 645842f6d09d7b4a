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
