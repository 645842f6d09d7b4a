package oneroster

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/google/go-cmp/cmp"
)

// TestRoleDates: a role that has ended or not yet begun on Options.Today
// is not a role of the user, each day of its dates included (a date, or
// the date part of an ISO 8601 date-time); with Roles "primary", the
// user's role in an org is its primary one, else its first (SDS's blank
// isPrimary states nothing); a date or isPrimary that does not parse holds
// the user (CodeBadValue, TestRoleProblem), and isPrimary is not read with
// Roles "all".
func TestRoleDates(t *testing.T) {
	const sdsHead = "userSourcedId,orgSourcedId,role,sessionSourcedId,grade,isPrimary,roleStartDate,roleEndDate\n"
	const v12Head = "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n"
	sds := func(roles string) func(t *testing.T) string {
		return dir("sds", map[string]string{"roles.csv": sdsHead + roles})
	}
	v12 := func(roles string) func(t *testing.T) string {
		return dir("v1p2", map[string]string{"roles.csv": v12Head + roles})
	}
	const ana = "2 S1001 student o1 07/07  -"
	noPrimary := "userSourcedId,orgSourcedId,role,grade\nS1001,o1,student,07\n"
	tests := []struct {
		name  string
		dir   func(t *testing.T) string
		roles string // Options.Roles
		want  []string
		err   *Error // File, Line, Column and Code
	}{
		{"no dates", sds("S1001,o1,student,,07,TRUE,,\n"), "", []string{ana}, nil},
		{"begins today", sds("S1001,o1,student,,07,TRUE,2026-06-01,\n"), "", []string{ana}, nil},
		{"ends today", sds("S1001,o1,student,,07,true,,20260601\n"), "", []string{ana}, nil},
		{"begins today, a date-time", sds("S1001,o1,student,,07,TRUE,2026-06-01T00:00:00Z,\n"), "", []string{ana}, nil},
		{"ended yesterday, a date-time", sds("S1001,o1,student,,07,TRUE,,2026-05-31T23:59:59+10:00\n"), "", nil, nil},
		{"ended yesterday", sds("S1001,o1,student,,07,TRUE,2025-01-28,2026-05-31\n"), "", nil, nil},
		{"begins tomorrow", sds("S1001,o1,student,,07,TRUE,2026-06-02,\n"), "", nil, nil},
		{"ended yesterday, a new role today", sds("S1001,o1,student,,06,TRUE,,2026-05-31\nS1001,o1,student,,07,TRUE,2026-06-01,\n"), "", []string{ana}, nil},
		{"not primary: the first role", sds("S1001,o1,student,,07,FALSE,,\nS1001,o1,student,,06,,,\n"), "", []string{ana}, nil},
		{"not stated", sds("S1001,o1,student,,07,,,\n"), "", []string{ana}, nil},
		{"the primary one", sds("S1001,o1,student,,06,FALSE,,\nS1001,o1,student,,07,TRUE,,\n"), "", []string{ana}, nil},
		{"two primary", sds("S1001,o1,student,,07,TRUE,,\nS1001,o1,student,,06,TRUE,,\n"), "", nil, &Error{File: "roles.csv", Line: 3, Column: "isPrimary", Code: CodeTwoPrimary}},
		{"not primary, roles all", sds("S1001,o1,student,,07,FALSE,,\n"), "all", []string{ana}, nil},
		{"ended, roles all", sds("S1001,o1,student,,07,FALSE,,2026-05-31\n"), "all", nil, nil},
		{"bad date", sds("S1001,o1,student,,07,TRUE,,31/05/2026\n"), "", []string{ana + " bad-value"}, nil},
		{"bad start date", sds("S1001,o1,student,,07,TRUE,2026-02-30,\n"), "all", []string{ana + " bad-value"}, nil},
		{"bad date in another org", sds("S1001,o1,student,,07,TRUE,,\nS1001,o2,student,,07,TRUE,June,\n"), "", []string{ana + " bad-value"}, nil},
		{"bad isPrimary", sds("S1001,o1,student,,07,yes,,\n"), "", []string{ana + " bad-value"}, nil},
		{"bad isPrimary, roles all", sds("S1001,o1,student,,07,1,,\n"), "all", []string{ana}, nil},
		{"no isPrimary column", dir("sds", map[string]string{"roles.csv": noPrimary}), "", []string{ana}, nil},
		{"no isPrimary column, roles all", dir("sds", map[string]string{"roles.csv": noPrimary}), "all", []string{ana}, nil},
		// 1.2: the primary role has ended, so the secondary one counts.
		{"1.2 no dates", v12("r1,,,u1,primary,student,,,o1,\n"), "", []string{"2 u1 student o1 07/07 7A RED"}, nil},
		{"1.2 primary ended yesterday", v12("r1,,,u1,primary,student,,2026-05-31,o1,\nr2,,,u1,secondary,aide,2026-06-01,,o1,\n"), "", []string{"2 u1 aide o1 07/07 7A RED"}, nil},
		{"1.2 two primaries, one ended", v12("r1,,,u1,primary,aide,,2026-05-31,o1,\nr2,,,u1,primary,student,2026-06-01,,o1,\n"), "", []string{"2 u1 student o1 07/07 7A RED"}, nil},
		{"1.2 bad date", v12("r1,,,u1,primary,student,June,,o1,\n"), "", []string{"2 u1 student o1 07/07 7A RED bad-value"}, nil},
	}
	today := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collect(t, tt.dir(t), Options{SDS: tt.name[:3] != "1.2", Roles: tt.roles, Today: today}, "o1")
			var e *Error
			if errors.As(err, &e) {
				e = &Error{File: e.File, Line: e.Line, Column: e.Column, Code: e.Code}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.err, e); diff != "" {
				t.Errorf("error (-want +got):\n%s\n%v", diff, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRoleProblem: a role value that does not parse is a problem of the
// user's rows, at its users.csv line, naming roles.csv's line and column.
func TestRoleProblem(t *testing.T) {
	d := pkgDir(t, "sds", map[string]string{"roles.csv": "userSourcedId,orgSourcedId,role,isPrimary\nS1001,o1,student,yes\n"})
	p, err := Open(d, Options{SDS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var got []csvspec.Problem
	for row, err := range p.Rows() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row.Problems...)
	}
	want := []csvspec.Problem{{Line: 2, Column: "isPrimary", Code: CodeBadValue, Severity: csvspec.SeverityError,
		Message: `roles.csv line 2: isPrimary "yes" is not true or false`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestNotPrimary: SDS roles left out for a user's other role in the org
// are a warning, with how many and the first one's line; roles in orgs
// Select left out are not counted.
func TestNotPrimary(t *testing.T) {
	d := pkgDir(t, "sds", map[string]string{"roles.csv": "userSourcedId,orgSourcedId,role,isPrimary\n" +
		"S1001,o1,student,TRUE\nS1001,o1,aide,\nS2001,o2,student,\nS2001,o2,aide,\n"})
	p, err := Open(d, Options{SDS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p, err = p.Select("o1"); err != nil {
		t.Fatal(err)
	}
	for _, err := range p.Rows() {
		if err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, w := range p.Warnings() {
		if w.Code != CodeNotPrimary {
			continue // the users without a role here
		}
		got = append(got, fmt.Sprintf("%s %s:%d %s: %s", w.Code, w.File, w.Line, w.Column, w.Msg))
	}
	want := []string{"not-primary roles.csv:3 isPrimary: 1 roles are a user's second role in an org, so no row with roles primary; roles all sends them"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}
