package syncjob

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
)

// TestJobFailuresCarryValues: every check error reaches Job.Failures, in
// file order, with the values of its own row, however the export's bytes
// arrive and however far apart the bad rows are (the reader lets go of
// the rows between them).
func TestJobFailuresCarryValues(t *testing.T) {
	type want struct{ line, username, code string }
	// export returns a file of n rows, the rows i for which bad(i) holds
	// with an unknown library group, and what the failures file must say.
	export := func(n int, bad func(i int) bool) (string, []want) {
		var b strings.Builder
		var ws []want
		b.WriteString("username,library-group,system-group\n")
		for i := range n {
			if bad(i) {
				fmt.Fprintf(&b, "u%d,Nope,Year 7\n", i)
				ws = append(ws, want{fmt.Sprint(i + 2), fmt.Sprint("u", i), csvspec.CodeUnknownLibraryGroup})
				continue
			}
			fmt.Fprintf(&b, "u%d,House Red,Year 7\n", i)
		}
		return b.String(), ws
	}
	every, everyWant := export(3000, func(int) bool { return true })
	sparse, sparseWant := export(20000, func(i int) bool { return i%1500 == 7 })
	last, lastWant := export(5000, func(i int) bool { return i == 4999 })
	// Rows of other shapes: a value over several lines, a row that cannot
	// be read (no values), a row without a username, blank lines, and a
	// long value between them.
	long := strings.Repeat("x", 300<<10)
	mixed := "username,library-group,system-group\n" +
		"a,House Red,Year 7\n" + // 2
		"b,\"House\nRed\",Year 7\n" + // 3-4: a line break in a value
		"\n" + // 5
		"c,House Red\n" + // 6: two fields
		",House Red,Year 7\n" + // 7: no username
		"d," + long + ",Year 7\n" + // 8: a long unknown group
		"e,House Red,Year 7\n" // 9
	mixedWant := []want{
		{"3", "b", csvspec.CodeControlCharacter},
		{"3", "b", csvspec.CodeUnknownLibraryGroup},
		{"6", "c", csvspec.CodeFieldCount},
		{"7", "", csvspec.CodeMissingUsername},
		{"8", "d", csvspec.CodeUnknownLibraryGroup},
	}
	tests := []struct {
		name   string
		export string
		want   []want
	}{
		{"every row bad", every, everyWant},
		{"bad rows far apart", sparse, sparseWant},
		{"the last row bad", last, lastWant},
		{"rows of other shapes", mixed, mixedWant},
	}
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"one byte at a time", iotest.OneByteReader},
		{"half reads", iotest.HalfReader},
		{"data with EOF", iotest.DataErrReader},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				if rd.name == "one byte at a time" && len(tt.export) > 100<<10 && testing.Short() {
					t.Skip("slow")
				}
				var sink bytes.Buffer
				job := &Job{Rules: csvspec.Rules{LibraryGroups: libraryGroups, SystemGroups: systemGroups}, Failures: &sink, Strict: true}
				rep, err := job.Plan(context.Background(), rd.wrap(strings.NewReader(tt.export)))
				if rep.Outcome != OutcomeInvalidFile {
					t.Fatalf("outcome %s (%v), want invalid-file", rep.Outcome, err)
				}
				recs, err := csv.NewReader(&sink).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				var got []want
				for _, r := range recs[1:] {
					got = append(got, want{r[0], r[1], ""}) // the file names no code
				}
				wantNoCode := slices.Clone(tt.want)
				for i := range wantNoCode {
					wantNoCode[i].code = ""
				}
				if diff := cmp.Diff(wantNoCode, got, cmp.AllowUnexported(want{})); diff != "" {
					t.Errorf("failures file (-want +got):\n%s", diff)
				}
				if rep.FailureCount != len(tt.want) {
					t.Errorf("FailureCount %d, want %d", rep.FailureCount, len(tt.want))
				}
			})
		}
	}
}

// TestRowProblemsHoldTheirUser: a row problem holds its user (not sent,
// its state kept, listed) and the others are sent; more than 10% of the
// users held, or a cut-off export, stops the run whatever Force says.
func TestRowProblemsHoldTheirUser(t *testing.T) {
	base := school(60)
	typo := edit(base, func(g csvspec.UserGroup) csvspec.UserGroup {
		if (g.Username == "s00001" || g.Username == "s00002") && g.SystemGroup == "Year 8" || g.Username == "s00002" && g.SystemGroup == "Year 9" {
			g.SystemGroup = "Year 08"
		}
		if g.Username == "s00010" && g.LibraryGroup == "House Green" {
			g.LibraryGroup = "House Red" // a change the others carry
		}
		return g
	})
	many := edit(base, func(g csvspec.UserGroup) csvspec.UserGroup {
		if g.Username < "s00007" {
			g.SystemGroup = "Year 0"
		}
		return g
	})
	full := toCSV(base)
	end := strings.LastIndex(full[:len(full)-1], "\n")
	cut := full[:end+1] + "s00059,House" // the last record lost its line end and a field
	tests := []struct {
		name   string
		export string
		force  bool
		want   Outcome
		sent   []string
		held   int
	}{
		{name: "a typo holds two users", export: toCSV(typo), want: OutcomeRowsFailed, sent: []string{"s00010"}, held: 2},
		{name: "more than 10% held is a broken file", export: toCSV(many), want: OutcomeInvalidFile},
		{name: "a cut-off export is refused", export: cut, want: OutcomeRefused},
		{name: "even forced", export: cut, force: true, want: OutcomeRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, clienttest.ApplyReplace)
			rules := csvspec.Rules{SystemGroups: systemGroups}
			job := &Job{Client: c, Journal: NewMemJournal(), Rules: rules}
			if _, err := run(t, job, toCSV(base)); err != nil {
				t.Fatal(err)
			}
			before := len(srv.Requests())
			job.Force = tt.force
			rep, err := run(t, job, tt.export)
			if rep.Outcome != tt.want || err == nil {
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
			if diff := cmp.Diff(tt.sent, got); diff != "" || rep.HeldForProblems != tt.held {
				t.Errorf("sent (-want +got):\n%s; held %d, want %d", diff, rep.HeldForProblems, tt.held)
			}
			// The held users kept their state: once fixed, they are not
			// changed and nothing but the fix is sent.
			if rep, err := run(t, job, toCSV(base)); err != nil || rep.Plan.Stats().Changed != 1 {
				t.Errorf("fixed: %s, %+v, %v", rep.Outcome, rep.Plan.Stats(), err)
			}
		})
	}
}
