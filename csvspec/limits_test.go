package csvspec

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// repeatReader yields unit over and over, n bytes in all.
type repeatReader struct {
	unit string
	n    int
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), r.n)]
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.unit[r.off:])
		n += c
		r.off = (r.off + c) % len(r.unit)
	}
	r.n -= n
	return n, nil
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileRecordsBoundedMemory: a record that never ends (an unbalanced
// quote, a line without a break) is one error, and neither the Reader nor
// Check holds it.
func TestHostileRecordsBoundedMemory(t *testing.T) {
	const size = 32 << 20
	const budget = 8 << 20
	tests := []struct {
		name string
		head string
		unit string
	}{
		{"unbalanced quote", hdr + "jsmith,\"Year 7,Students\n", "mjones,Year 8,Staff\n"},
		{"one endless line", hdr + "jsmith,", "Year 7 "},
		{"one endless quoted line", hdr + "jsmith,\"", "Year 7 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := func() io.Reader {
				return io.MultiReader(strings.NewReader(tt.head), &repeatReader{unit: tt.unit, n: size})
			}
			var got []readOutcome
			n := allocated(func() {
				for rec, err := range NewReader(in()).All() {
					got = append(got, readOutcome{Rec: rec, Err: errCode(err)})
				}
			})
			want := []readOutcome{{Rec: Record{Row: 1, Line: 2}, Err: codeRecordTooLarge}}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
				t.Errorf("Reader (-want +got):\n%s", diff)
			}
			if n > budget {
				t.Errorf("the Reader allocated %d bytes for a %d-byte file, want at most %d", n, size, budget)
			}

			var rep *Report
			n = allocated(func() {
				var err error
				rep, err = Check(in(), Rules{})
				if err != nil {
					t.Fatal(err)
				}
			})
			wantProblems := []Problem{p(1, 2, "", codeRecordTooLarge, SeverityError)}
			if diff := cmp.Diff(wantProblems, rep.Problems, ignoreMessage); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
			if n > budget {
				t.Errorf("Check allocated %d bytes for a %d-byte file, want at most %d", n, size, budget)
			}
		})
	}
}

// TestCheckKeepsFirstOfEachCode: one bad row repeated is counted every
// time, kept MaxProblemsPerCode times, and the Report stays small.
func TestCheckKeepsFirstOfEachCode(t *testing.T) {
	const rows = 200_000
	var rep *Report
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep, err := Check(io.MultiReader(strings.NewReader(hdr), &repeatReader{unit: " ,Year 7,\n", n: rows * 10}), Rules{LibraryGroups: []string{"Year 8"}})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if held := int64(after.HeapAlloc) - int64(before.HeapAlloc); held > 4<<20 {
		t.Errorf("the Report holds %d bytes, want at most 4 MiB", held)
	}
	wantCounts := map[string]int{
		codeSurroundingSpace:    rows,
		CodeMissingUsername:     rows,
		CodeUnknownLibraryGroup: rows,
		codeDuplicateRow:        rows - 1,
	}
	if diff := cmp.Diff(wantCounts, rep.Counts()); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
	for code, n := range wantCounts {
		if got := rep.Count(code); got != n {
			t.Errorf("Count(%q) = %d, want %d", code, got, n)
		}
	}
	if got := rep.Count(codeNoGroup); got != 0 {
		t.Errorf("Count(%q) = %d, want 0", codeNoGroup, got)
	}
	type sum struct{ Rows, Kept, KeptErrors, Errors, Warnings int }
	got := sum{rep.Rows, len(rep.Problems), len(rep.Errors()), rep.NumErrors(), rep.NumWarnings()}
	want := sum{rows, 4 * MaxProblemsPerCode, 2 * MaxProblemsPerCode, 2 * rows, 2*rows - 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The kept problems are the first ones, in file order.
	if last := rep.Problems[len(rep.Problems)-1]; last.Row != MaxProblemsPerCode+1 || last.Code != codeDuplicateRow {
		t.Errorf("last kept problem = %v, want the duplicate-row of row %d", last, MaxProblemsPerCode+1)
	}

	lines := strings.Split(strings.TrimSuffix(rep.String(), "\n"), "\n")
	wantFirst := "200000 rows, 400000 errors, 399999 warnings"
	// Listed: the 3 problems of row 1, the 4 of each of rows 2 to 12, 3 of row 13.
	wantLast := "... and 799949 more: 199988 duplicate-row, 199987 missing-username, 199987 surrounding-space, 199987 unknown-library-group"
	if diff := cmp.Diff([]string{wantFirst, wantLast}, []string{lines[0], lines[len(lines)-1]}); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
	wantErr := `csvspec: the file has 400000 errors (200000 missing-username, 200000 unknown-library-group); the first: line 2 (row 1), username: error: the username is empty; every row needs the username of an existing Infiniti user, or remove the row [missing-username]`
	if err := rep.Err(); err == nil || err.Error() != wantErr {
		t.Errorf("Err() = %v\nwant %s", err, wantErr)
	}
}

func TestCheckEach(t *testing.T) {
	in := func() io.Reader {
		return io.MultiReader(strings.NewReader(hdr), &repeatReader{unit: ",Year 7,\nok,,Staff\n", n: 3000 * 19})
	}
	var streamed []Problem
	rep, err := CheckEach(in(), Rules{}, func(p Problem) error {
		streamed = append(streamed, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every problem, in file order: odd rows have an empty username, and
	// from row 3 on every row repeats row 1 or row 2.
	var want []Problem
	for row := 1; row <= 6000; row++ {
		if row%2 == 1 {
			want = append(want, p(row, row+1, ColumnUsername, CodeMissingUsername, SeverityError))
		}
		if row > 2 {
			want = append(want, p(row, row+1, "", codeDuplicateRow, SeverityWarning))
		}
	}
	if diff := cmp.Diff(want, streamed, ignoreMessage); diff != "" {
		t.Errorf("streamed (-want +got):\n%s", diff)
	}
	if got, want := len(rep.Problems), 2*MaxProblemsPerCode; got != want {
		t.Errorf("the report keeps %d problems, want %d", got, want)
	}
	if diff := cmp.Diff(streamed[:20], rep.Problems[:20]); diff != "" {
		t.Errorf("kept and streamed differ (-streamed +kept):\n%s", diff)
	}

	// An error from the callback stops the check and is returned as it is.
	stop := errors.New("the failures file is full")
	n := 0
	rep, err = CheckEach(in(), Rules{}, func(Problem) error {
		n++
		if n == 5 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("err = %v, want the callback's error as it is", err)
	}
	if n != 5 || len(rep.Problems) != 5 || rep.Rows != 5 {
		t.Errorf("after the stop: %d calls, %d problems kept, %d rows; want 5, 5, 5", n, len(rep.Problems), rep.Rows)
	}

	// A nil callback is Check.
	rep2, err := CheckEach(in(), Rules{}, nil)
	rep3, err3 := Check(in(), Rules{})
	if err != nil || err3 != nil {
		t.Fatal(err, err3)
	}
	if diff := cmp.Diff(rep3, rep2, cmp.AllowUnexported(Report{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("CheckEach(nil) and Check differ (-Check +CheckEach):\n%s", diff)
	}
}

// TestMessagesCutValues: a value quoted in a message is cut to a readable
// length.
func TestMessagesCutValues(t *testing.T) {
	long := strings.Repeat("é", 30) + strings.Repeat("x", 1000)
	tests := []struct {
		name, in string
		want     string
	}{
		{"control", hdr + "a," + long + "\x01,c\n", fmt.Sprintf("the value %q holds the control character U+0001", strings.Repeat("é", 30)+strings.Repeat("x", 10)+"…")},
		{"space", hdr + "a, " + long + ",c\n", fmt.Sprintf("the value %q starts or ends", " "+strings.Repeat("é", 30)+strings.Repeat("x", 9)+"…")},
		{"group", hdr + "a," + long + ",c\n", fmt.Sprintf("library group %q is not defined", strings.Repeat("é", 30)+strings.Repeat("x", 10)+"…")},
		{"header", "username,library-group,system-group," + long + "\n", fmt.Sprintf("header column 4 %q is not", strings.Repeat("é", 30)+strings.Repeat("x", 10)+"…")},
		{"short values are whole", hdr + "a,Year 9,c\n", `library group "Year 9" is not defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(strings.NewReader(tt.in), Rules{LibraryGroups: []string{"Year 7"}})
			if err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, p := range rep.Problems {
				msgs = append(msgs, p.Message)
				if len(p.Message) > 400 {
					t.Errorf("message of %d bytes: %s", len(p.Message), p.Message)
				}
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tt.want) {
				t.Errorf("messages %q\ndo not contain %q", msgs, tt.want)
			}
		})
	}
}
