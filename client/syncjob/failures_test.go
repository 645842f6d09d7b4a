package syncjob

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/result"
)

// TestFailuresCSV: values a spreadsheet would run as formulas are defused,
// in Infiniti's failures and in check errors alike.
func TestFailuresCSV(t *testing.T) {
	tests := []struct {
		name   string
		export string
		want   Outcome
		csv    string
	}{
		{name: "Infiniti's failures",
			export: "username,library-group,system-group\n" +
				"ok1,Red,\n" +
				"\"=HYPERLINK(\"\"http://evil\"\")\",Red,\n" +
				"+1,-Blue,@Year\n" +
				"@me,Red,\n",
			want: OutcomeRowsFailed,
			csv: "\ufeffline,username,library-group,system-group,problem\n" +
				"3,\"'=HYPERLINK(\"\"http://evil\"\")\",Red,,\"Field (username) User (=HYPERLINK(\"\"http://evil\"\")) does not exist.\"\n" +
				"4,'+1,'-Blue,'@Year,Field (username) User (+1) does not exist.\n" +
				"5,'@me,Red,,Field (username) User (@me) does not exist.\n"},
		{name: "check errors",
			export: "username,library-group,system-group\n" +
				"\"\tx\",Red,\n" +
				"\"\ry\",Red,\n" +
				"ok,Red\n",
			want: OutcomeInvalidFile,
			csv: "\ufeffline,username,library-group,system-group,problem\n" +
				"2,'\tx,Red,,\"the value \"\"\\tx\"\" holds the control character U+0009\"\n" +
				"3,\"'\ry\",Red,,\"the value \"\"\\ry\"\" holds the control character U+000D\"\n" +
				"4,ok,Red,,the row has 2 fields but the header has 3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newFake(t, clienttest.ApplyReplace, clienttest.WithUsers("ok1"))
			rep, _ := run(t, &Job{Client: c, Journal: NewMemJournal(), Strict: true}, tt.export)
			if rep.Outcome != tt.want {
				t.Fatalf("outcome %q, want %q", rep.Outcome, tt.want)
			}
			var b strings.Builder
			if err := rep.WriteFailures(&b); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.csv, b.String()); diff != "" {
				t.Errorf("failures CSV (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefuse(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "a": "a", "=1+2": "'=1+2", "+1": "'+1", "-1": "'-1", "@A": "'@A", "\tx": "'\tx", "\rx": "'\rx",
		"a=b": "a=b", " =x": " =x", "'x": "'x",
	} {
		if got := defuse(in); got != want {
			t.Errorf("defuse(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCauses(t *testing.T) {
	msg := func(s string) string { return s + " User failed to import: " + s + " " }
	fs := []Failure{
		{Line: 9, Code: CodeRowFailed, Field: "library-group", Message: msg("Field (library-group) Library group (Gold) does not exist.")},
		{Line: 3, Code: CodeRowFailed, Field: "username", Message: msg("Field (username) User (x) does not exist.")},
		{Line: 4, Code: CodeRowFailed, Field: "library-group", Message: msg("Field (library-group) Library group (Gold) does not exist.")},
		{Line: 5, Code: CodeUnknownOutcome, Message: "User Skipped\x1b[2J"},
		{Line: 2, Code: CodeRowFailed, Field: "library-group", Message: msg("Field (library-group) Library group (Gold) does not exist.")},
	}
	got := (&Report{Failures: fs}).Causes()
	want := []Cause{
		{Code: CodeRowFailed, Field: "library-group", Message: "Field (library-group) Library group (Gold) does not exist.", Rows: 3, FirstLine: 2},
		{Code: CodeRowFailed, Field: "username", Message: "Field (username) User (x) does not exist.", Rows: 1, FirstLine: 3},
		{Code: CodeUnknownOutcome, Message: "User Skipped\x1b[2J", Rows: 1, FirstLine: 5},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("causes (-want +got):\n%s", diff)
	}
	var lines []string
	for _, c := range got {
		lines = append(lines, c.String())
	}
	wantLines := []string{
		"3 rows: Field (library-group) Library group (Gold) does not exist.",
		"1 row (line 3): Field (username) User (x) does not exist.",
		"1 row (line 5): User Skipped\\x1b[2J",
	}
	if diff := cmp.Diff(wantLines, lines); diff != "" {
		t.Errorf("cause lines (-want +got):\n%s", diff)
	}
	big := make([]Failure, 2140)
	for i := range big {
		big[i] = Failure{Line: i + 2, Code: CodeRowFailed, Message: msg("Library group (Gold) does not exist.")}
	}
	if got := (&Report{Failures: big}).Causes(); len(got) != 1 || got[0].String() != "2,140 rows: Library group (Gold) does not exist." {
		t.Errorf("2,140 failures: %v", got)
	}
}

// TestJudge: Infiniti's row numbers refer to the posted file; an outcome
// the SDK does not know counts as failed; a user is confirmed only when
// every row of it has a success outcome, and an answer is clear only when
// every posted row has an outcome.
func TestJudge(t *testing.T) {
	last := snap(t, "a,Red,", "b,Red,", "c,Red,")
	next := snap(t, "a,Red,", "b,Blue,", "c,Blue,", "d,Red,", "d,Gold,")
	p := diffPlan(last, next) // posts b (line 3), c (line 4), d (lines 5, 6)
	ok := func(row int) result.RowOutcome {
		return result.RowOutcome{Row: row, Status: result.StatusUpdated, Message: "User Updated"}
	}
	tests := []struct {
		name      string
		res       result.Result
		failures  []Failure
		confirmed []string
		clear     bool
	}{
		{name: "one failed row unconfirms its user",
			res: result.Result{Details: []result.RowOutcome{ok(1), ok(2), ok(3), {Row: 4, Status: result.StatusFailed, Message: "Field (x) failed"}}},
			failures: []Failure{
				{Line: 6, Row: 4, Fields: []string{"d", "Gold", ""}, Code: CodeRowFailed, Field: "x", Message: "Field (x) failed"},
			},
			confirmed: []string{"b", "c"}, clear: true},
		{name: "rows without an outcome are not confirmed",
			res:       result.Result{Details: []result.RowOutcome{ok(1), {Row: 2, Status: result.StatusUnknown, Message: "User Skipped"}}},
			failures:  []Failure{{Line: 4, Row: 2, Fields: []string{"c", "Blue", ""}, Code: CodeUnknownOutcome, Message: "User Skipped"}},
			confirmed: []string{"b"}},
		{name: "a row the posted file does not have",
			res: result.Result{Details: []result.RowOutcome{{Row: 9, Status: result.StatusFailed, Message: "failed"}}},
			failures: []Failure{
				{Row: 9, Code: CodeRowFailed, Message: "Infiniti reported row 9, but the posted file has 4 rows: failed"},
			}},
		{name: "failed without details"},
		{name: "success counting rows", res: result.Result{Success: true, Summary: "4 users processed. 0 users created. 4 users updated. 0 users failed."},
			confirmed: []string{"b", "c", "d"}, clear: true},
		{name: "success counting users", res: result.Result{Success: true, Summary: "3 users processed. 0 users created. 3 users updated. 0 users failed."},
			confirmed: []string{"b", "c", "d"}, clear: true},
		{name: "success with counts that match nothing", res: result.Result{Success: true, Summary: "2 users processed. 0 users created. 2 users updated. 0 users failed."}},
		{name: "success without counts", res: result.Result{Success: true, Summary: "done"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &Report{}
			fl := newFailureLog(userGroups, nil, nil)
			v := &verdict{confirmed: map[string]bool{}}
			clear := rep.judge(p, &tt.res, fl, v)
			if diff := cmp.Diff(tt.failures, fl.kept); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
			got := slices.Sorted(maps.Keys(v.confirmed))
			if diff := cmp.Diff(tt.confirmed, got, cmpopts.EquateEmpty()); diff != "" || clear != tt.clear {
				t.Errorf("confirmed (-want +got):\n%s; clear %v, want %v", diff, clear, tt.clear)
			}
		})
	}
}
