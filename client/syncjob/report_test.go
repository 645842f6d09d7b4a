package syncjob

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
)

// pupil is one user of the realistic school.
type pupil struct {
	name, given, lib, year string
}

// schoolCSV writes the export with a Given Name column, carried.
func schoolCSV(ps []pupil) string {
	var b strings.Builder
	b.WriteString("username,library-group,system-group,Given Name\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", p.name, p.lib, p.year, p.given)
	}
	return b.String()
}

func membershipsOf(ps []pupil) map[string]clienttest.Membership {
	var rows []csvspec.UserGroup
	for _, p := range ps {
		rows = append(rows, ug(p.name, p.lib, p.year))
	}
	return groupsOf(rows)
}

// TestSevenNights runs a realistic school (about 200 students and 10 staff)
// through seven nights, in add and replace mode, with a leaver template,
// Applies, a carried column and the school's group lists; after every
// night each user holds what the export (or, when held, its last accepted
// state, or the template for a leaver) says, and every other membership
// Infiniti holds is listed for staff in that night's report.
func TestSevenNights(t *testing.T) {
	years := []string{"Year 7", "Year 8", "Year 9", "Year 10", "Year 11", "Year 12"}
	var night1 []pupil
	for i := range 198 {
		night1 = append(night1, pupil{fmt.Sprintf("st%03d", i), fmt.Sprintf("Kid%d", i), "Students", years[i%6]})
	}
	for i := range 10 {
		night1 = append(night1, pupil{fmt.Sprintf("tc%02d", i), fmt.Sprintf("Teacher%d", i), "Staff", "Teachers"})
	}
	rules := csvspec.Rules{LibraryGroups: []string{"Students", "Staff"}, SystemGroups: append(slices.Clone(years), "Teachers", "Former Students")}
	// Night 2: 10 change year, 5 leave, 5 are new.
	var night2 []pupil
	for i, p := range night1 {
		switch {
		case i < 5:
			continue
		case i < 15 && p.year == "Year 8":
			p.year = "Year 9"
		}
		night2 = append(night2, p)
	}
	for i := range 5 {
		night2 = append(night2, pupil{fmt.Sprintf("nw%02d", i), "New", "Students", "Year 7"})
	}
	// Night 3: a typo'd group for two users.
	night3 := slices.Clone(night2)
	night3[10].year, night3[11].year = "Year 07", "Year 07"
	// Night 4: a cut-off export.
	cut := schoolCSV(night2)
	cut = cut[:strings.LastIndex(cut[:len(cut)-1], "\n")+1] + "tc09,Staff"
	// Night 5: graduation: Year 12 leaves, everyone moves up, new Year 7s.
	var night5 []pupil
	for _, p := range night2 {
		if p.lib == "Students" {
			k := slices.Index(years, p.year)
			if k == 5 {
				continue
			}
			p.year = years[k+1]
		}
		night5 = append(night5, p)
	}
	for i := range 35 {
		night5 = append(night5, pupil{fmt.Sprintf("y7%02d", i), "Seven", "Students", "Year 7"})
	}
	type night struct {
		name   string
		export string
		ps     []pupil // what the export says, nil if refused
		force  bool
		want   map[clienttest.ApplyMode]Outcome
	}
	both := func(o Outcome) map[clienttest.ApplyMode]Outcome {
		return map[clienttest.ApplyMode]Outcome{clienttest.ApplyAdd: o, clienttest.ApplyReplace: o}
	}
	nights := []night{
		{"first run", schoolCSV(night1), night1, false, both(OutcomeOK)},
		{"year changes, leavers, new students", schoolCSV(night2), night2, false, both(OutcomeOK)},
		{"a typo for two users", schoolCSV(night3), night3, false, both(OutcomeRowsFailed)},
		{"a cut-off export", cut, nil, false, both(OutcomeRefused)},
		{"graduation past the limit", schoolCSV(night5), night5, false, map[clienttest.ApplyMode]Outcome{clienttest.ApplyAdd: OutcomeHeld, clienttest.ApplyReplace: OutcomeHeld}},
		{"forced", schoolCSV(night5), night5, true, both(OutcomeOK)},
		{"unchanged", schoolCSV(night5), night5, false, both(OutcomeOK)},
	}
	template := clienttest.Membership{SystemGroups: []string{"Former Students"}}
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			srv, c := newFake(t, mode, clienttest.WithLibraryGroups(rules.LibraryGroups...), clienttest.WithSystemGroups(rules.SystemGroups...))
			applies := AppliesAdd
			if mode == clienttest.ApplyReplace {
				applies = AppliesReplace
			}
			j := NewMemJournal()
			accepted := map[string]clienttest.Membership{} // the last accepted state, per user
			left := map[string]bool{}
			for _, n := range nights {
				job := &Job{Client: c, Journal: j, Rules: rules, Applies: applies, Carry: []string{"Given Name"},
					Leavers: &csvspec.UserGroup{SystemGroup: "Former Students"}, Force: n.force}
				rep, err := job.Run(context.Background(), strings.NewReader(n.export))
				if rep.Outcome != n.want[mode] {
					t.Fatalf("%s: outcome %s, want %s (%v)", n.name, rep.Outcome, n.want[mode], err)
				}
				var report strings.Builder
				if err := rep.WriteReport(&report); err != nil || !strings.HasPrefix(report.String(), "\ufeffusername,Given Name,library-group,system-group,change,status,reason,line\n") {
					t.Fatalf("%s: report %v:\n%.300s", n.name, err, report.String())
				}
				listed := map[string]string{} // "user/group" -> status
				for _, r := range rep.StaffRows() {
					listed[r.Username+"/"+r.Item[0]+r.Item[1]] = r.Status
				}
				counts := map[string]int{}
				for _, st := range listed {
					counts[st]++
				}
				t.Logf("%s: %s, report %v, %d rows sent", n.name, rep.Outcome, counts, rep.RowsSent)
				held := map[string]bool{}
				for u, why := range rep.verdict.heldOrNil() {
					held[u] = true
					if !slices.ContainsFunc(rep.StaffRows(), func(r StaffRow) bool { return r.Username == u && strings.HasPrefix(r.Status, "held-") }) && why != "" {
						t.Errorf("%s: held user %s is not listed held-* in the report", n.name, u)
					}
				}
				if n.ps != nil {
					accept(accepted, left, membershipsOf(n.ps), held, template)
				}
				checkInfiniti(t, n.name, mode, srv.Memberships(), accepted, listed)
			}
		})
	}
}

// accept updates the last accepted state of each user after a night
// whose export is export: users not held take the export's memberships;
// users gone from it, not held and not left before, take the template.
func accept(accepted map[string]clienttest.Membership, left map[string]bool, export map[string]clienttest.Membership, held map[string]bool, template clienttest.Membership) {
	for u, m := range export {
		if !held[u] {
			accepted[u] = m
			delete(left, u)
		}
	}
	for u := range accepted {
		if _, ok := export[u]; !ok && !held[u] && !left[u] {
			accepted[u], left[u] = template, true
		}
	}
}

// checkInfiniti checks that each user holds in Infiniti (have) exactly
// (replace) or at least (add) what was last accepted, and that under add
// every other membership is listed for staff.
func checkInfiniti(t *testing.T, night string, mode clienttest.ApplyMode, have, accepted map[string]clienttest.Membership, listed map[string]string) {
	t.Helper()
	for u, want := range accepted {
		got := have[u]
		extra := append(minusStr(got.LibraryGroups, want.LibraryGroups), minusStr(got.SystemGroups, want.SystemGroups)...)
		missing := append(minusStr(want.LibraryGroups, got.LibraryGroups), minusStr(want.SystemGroups, got.SystemGroups)...)
		if len(missing) > 0 {
			t.Errorf("%s: %s lacks %v in Infiniti (holds %+v, want %+v)", night, u, missing, got, want)
		}
		for _, g := range extra {
			if mode == clienttest.ApplyReplace {
				t.Errorf("%s: %s holds %s in Infiniti beyond %+v", night, u, g, want)
			} else if listed[u+"/"+g] != StatusForStaff {
				t.Errorf("%s: %s holds %s in Infiniti, not listed for staff (listed %q)", night, u, g, listed[u+"/"+g])
			}
		}
	}
}

func minusStr(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// TestClearForStaff: items staff did by hand are cleared by a run of its
// own, which posts nothing and is recorded; the others stay listed.
func TestClearForStaff(t *testing.T) {
	srv, c := newFake(t, clienttest.ApplyAdd)
	job := &Job{Client: c, Journal: NewMemJournal(), Applies: AppliesAdd}
	base := school(30)
	if _, err := run(t, job, toCSV(base)); err != nil {
		t.Fatal(err)
	}
	rep, err := run(t, job, toCSV(lose(base, "s00001", "s00002")))
	if err != nil {
		t.Fatal(err)
	}
	var items []StaffRow
	for _, r := range rep.StaffRows() {
		if r.Status == StatusForStaff {
			items = append(items, r)
		}
	}
	if len(items) != 4 || !slices.Equal(rep.Users().ForStaff, []string{"s00001", "s00002"}) {
		t.Fatalf("for-staff rows %v, users %v; want the 4 memberships of s00001 and s00002", items, rep.Users().ForStaff)
	}
	if n := rep.KeptLeavers(); n != 2 {
		t.Errorf("kept leavers %d, want 2", n)
	}
	if rep, err := job.Plan(context.Background(), strings.NewReader(toCSV(lose(base, "s00001", "s00002")))); err != nil || rep.KeptLeavers() != 2 {
		t.Errorf("a plan's kept leavers: %d, %v; want 2", rep.KeptLeavers(), err)
	}
	posts := len(srv.Requests())
	n, err := job.ClearForStaff(context.Background(), items[:2])
	if err != nil || n != 2 || len(srv.Requests()) != posts {
		t.Fatalf("cleared %d, %v, %d posts; want 2 and none", n, err, len(srv.Requests())-posts)
	}
	rep, err = run(t, job, toCSV(lose(base, "s00001", "s00002")))
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Users().ForStaff; !slices.Equal(got, []string{"s00002"}) {
		t.Errorf("for staff after clearing s00001's: %v", got)
	}
	if n := rep.KeptLeavers(); n != 1 {
		t.Errorf("kept leavers after clearing s00001's: %d, want 1", n)
	}
	if n, err := job.ClearForStaff(context.Background(), nil); err != nil || n != 2 {
		t.Errorf("clear all: %d, %v; want 2", n, err)
	}
	runs, _, _ := job.History(context.Background(), 0)
	if runs[len(runs)-1].Source != "clear-for-staff" {
		t.Errorf("last run %+v, want the clearing recorded", runs[len(runs)-1])
	}
}

// TestAdvice: the advice follows the outcome, and for a cancelled run
// whether its file was handed over.
func TestAdvice(t *testing.T) {
	tests := []struct {
		rep  Report
		want Advice
	}{
		{Report{Outcome: OutcomeOK}, AdviceDone},
		{Report{Outcome: OutcomeHeld}, AdviceDone},
		{Report{Outcome: OutcomeRefused}, AdviceFixExport},
		{Report{Outcome: OutcomeInvalidFile}, AdviceFixExport},
		{Report{Outcome: OutcomeAuthError}, AdviceFixConfig},
		{Report{Outcome: OutcomeNoAnswer}, AdviceWait},
		{Report{Outcome: OutcomeNoAnswer, HTTP: client.Stats{HandedOver: true, StatusCode: 502}}, AdviceWait},
		{Report{Outcome: OutcomeNoAnswer, HTTP: client.Stats{HandedOver: true, StatusCode: 429}}, AdviceWait},
		{Report{Outcome: OutcomeNoAnswer, HTTP: client.Stats{HandedOver: true, StatusCode: 408}}, AdviceWait},
		{Report{Outcome: OutcomeNoAnswer, HTTP: client.Stats{HandedOver: true, StatusCode: 404}}, AdviceFixConfig},
		{Report{Outcome: OutcomeNoAnswer, HTTP: client.Stats{HandedOver: true, StatusCode: 413}}, AdviceFixConfig},
		{Report{Outcome: OutcomeJournalError}, AdviceFixConfig},
		{Report{Outcome: OutcomeTransportError}, AdviceRetry},
		{Report{Outcome: OutcomeLocked}, AdviceRetry},
		{Report{Outcome: OutcomeLocked, LockedUntil: time.Now()}, AdviceWait},
		{Report{Outcome: OutcomeCancelled}, AdviceRetry},
		{Report{Outcome: OutcomeCancelled, Sent: true, HTTP: client.Stats{HandedOver: true}}, AdviceWait},
	}
	for _, tt := range tests {
		if got := tt.rep.Advice(); got != tt.want {
			t.Errorf("%s (handed over %v): %s, want %s", tt.rep.Outcome, tt.rep.HTTP.HandedOver, got, tt.want)
		}
	}
}

// TestUsersJSON: the user lists of a run are [] in JSON when empty, not
// null, and name the users when not.
func TestUsersJSON(t *testing.T) {
	_, c := newFake(t, clienttest.ApplyReplace)
	job := &Job{Client: c, Journal: NewMemJournal()}
	const none = `{"new":[],"changed":[],"gone":[],"held":[],"unconfirmed":[],"for_staff":[]}`
	tests := []struct {
		name, export, want string
	}{
		{"a first run", toCSV(school(1)), `{"new":[{"username":"s00000","kind":"new","added":[{"Column":"library-group","Value":"House Red"},{"Column":"library-group","Value":"Library Helpers"},{"Column":"system-group","Value":"Year 7"}]}],"changed":[],"gone":[],"held":[],"unconfirmed":[],"for_staff":[]}`},
		{"an unchanged night", toCSV(school(1)), none},
		{"no run", "", none},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &Report{}
			if tt.export != "" {
				var err error
				if rep, err = run(t, job, tt.export); err != nil {
					t.Fatal(err)
				}
			}
			b, err := json.Marshal(rep.Users())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(b)); diff != "" {
				t.Errorf("JSON (-want +got):\n%s", diff)
			}
		})
	}
}
