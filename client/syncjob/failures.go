package syncjob

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/internal/textsafe"
	"github.com/autosync-go/autosync/result"
)

// Codes of the failures Infiniti reports. Check errors keep the codes of
// csvspec (csvspec.CodeUnknownLibraryGroup and the others).
const (
	// CodeRowFailed: Infiniti says the row failed.
	CodeRowFailed = "row-failed"
	// CodeUnknownOutcome: Infiniti's outcome text for the row is not one
	// the SDK knows as a success, so the row counts as failed and its user
	// is sent again on the next run.
	CodeUnknownOutcome = "unknown-outcome"
)

// A Failure is one row that did not make it: a check error of the export
// (nothing was sent), or a row Infiniti reported as failed, joined back to
// the export.
type Failure struct {
	Line int // the export's line; 0 for a problem of the whole file
	Row  int // Infiniti's row number in the posted file; 0 for a check error
	// Fields are the row's values in the order of the import's Header
	// (Fields[0] is the username), or nil when the row could not be read.
	Fields  []string
	Carry   []string // the values of Job.Carry's columns, if any
	Code    string   // a csvspec problem code, CodeRowFailed or CodeUnknownOutcome
	Field   string   // the column a check error is in, or the field Infiniti names; "" if none
	Message string   // the check's message, or Infiniti's outcome text
	Origin  string   // for a check error, what made the row (csvspec.SourceRow.Origin), such as the rule entry "rows[1]"
}

// Username returns the row's username, or "".
func (f Failure) Username() string {
	if len(f.Fields) == 0 {
		return ""
	}
	return f.Fields[0]
}

// A Cause is a group of failures with the same code, field and message, so
// that ten thousand failed rows print as a few lines.
type Cause struct {
	Code      string // the failures' code, as in Failure.Code
	Field     string // the failures' field, as in Failure.Field
	Message   string // for Infiniti's failures, the text before "User failed to import:", which repeats it
	Rows      int    // failures with this cause
	FirstLine int    // the export line of the first of them
}

// maxCauses is the number of causes failures are grouped into, at most:
// the failures of further causes are counted, per code, in one Cause whose
// Message is otherCauses, so that a file whose every row fails in a way of
// its own still groups in bounded memory.
const maxCauses = 1000

// otherCauses is the Message of the Cause that counts a code's failures
// past maxCauses causes.
const otherCauses = "other causes (too many to group; see the failures file)"

// String returns "2,140 rows: Library group (Gold) does not exist." (with
// the line, for one row), on one line: control characters in Infiniti's
// text are escaped.
func (c Cause) String() string {
	msg := textsafe.OneLine(c.Message)
	if c.Rows == 1 {
		return fmt.Sprintf("1 row (line %d): %s", c.FirstLine, msg)
	}
	return fmt.Sprintf("%s rows: %s", commas(c.Rows), msg)
}

// causeMessage shortens Infiniti's failure text, which says the reason, then
// "User failed to import:" and the reason again, to the reason.
func causeMessage(msg string) string {
	m := strings.TrimSpace(msg)
	if before, _, ok := strings.Cut(m, " User failed to import:"); ok && strings.TrimSpace(before) != "" {
		return strings.TrimSpace(before)
	}
	return m
}

// groupCauses groups failures by code, field and message, the largest group
// first.
func groupCauses(fs []Failure) []Cause {
	var g causeGroups
	for _, f := range fs {
		g.add(f)
	}
	return g.sorted()
}

type causeKey struct{ code, field, msg string }

// causeGroups groups failures into at most maxCauses causes, and the rest
// into one cause per code.
type causeGroups struct {
	idx    map[causeKey]int
	causes []Cause
}

func (g *causeGroups) add(f Failure) {
	if g.idx == nil {
		g.idx = make(map[causeKey]int)
	}
	k := causeKey{f.Code, f.Field, causeMessage(f.Message)}
	i, ok := g.idx[k]
	if !ok && len(g.idx) >= maxCauses {
		k = causeKey{code: f.Code, msg: otherCauses}
		i, ok = g.idx[k]
	}
	if !ok {
		i = len(g.causes)
		g.idx[k] = i
		g.causes = append(g.causes, Cause{Code: k.code, Field: k.field, Message: k.msg, FirstLine: f.Line})
	}
	c := &g.causes[i]
	c.Rows++
	if f.Line > 0 && (c.FirstLine == 0 || f.Line < c.FirstLine) {
		c.FirstLine = f.Line
	}
}

// sorted returns a copy of the causes, the largest first.
func (g *causeGroups) sorted() []Cause {
	out := slices.Clone(g.causes)
	slices.SortStableFunc(out, func(a, b Cause) int {
		if c := cmp.Compare(b.Rows, a.Rows); c != 0 {
			return c
		}
		return cmp.Compare(a.FirstLine, b.FirstLine)
	})
	return out
}

// failureLog collects the failures of a run: it counts every one, keeps
// the first csvspec.MaxProblemsPerCode of each code, groups every one by
// cause, remembers the usernames of the first ones, and writes every one
// to the job's failures sink, if any, as it comes.
type failureLog struct {
	imp     *Import
	kept    []Failure
	perCode map[string]int // every failure, by code
	total   int
	causes  causeGroups
	users   []string // the first maxFailedUsernames usernames, each once

	sink   *csv.Writer // nil without one
	rec    []string
	ncarry int
	werr   error // the sink's first error; nothing more is written after it
}

// newFailureLog returns the failure log of a run of imp, writing to w when
// w is not nil: the header at once, then each failure.
func newFailureLog(imp *Import, carry []string, w io.Writer) *failureLog {
	l := &failureLog{imp: imp, perCode: make(map[string]int), ncarry: len(carry)}
	if w != nil {
		if _, l.werr = io.WriteString(w, "\ufeff"); l.werr == nil {
			l.sink = csv.NewWriter(w)
			l.werr = l.sink.Write(failuresHeader(imp, carry))
		}
	}
	return l
}

// add takes one failure; its Fields are copied if it is kept.
func (l *failureLog) add(f Failure) {
	l.total++
	l.perCode[f.Code]++
	l.causes.add(f)
	if u := f.Username(); u != "" && len(l.users) < maxFailedUsernames && !slices.Contains(l.users, u) {
		l.users = append(l.users, u)
	}
	if l.sink != nil && l.werr == nil {
		l.rec = failureRecord(l.rec[:0], l.imp, l.ncarry, f)
		l.werr = l.sink.Write(l.rec)
	}
	if l.perCode[f.Code] <= csvspec.MaxProblemsPerCode {
		f.Fields = slices.Clone(f.Fields)
		l.kept = append(l.kept, f)
	}
}

// close flushes the sink and returns its first error.
func (l *failureLog) close() error {
	if l.sink == nil {
		return nil
	}
	l.sink.Flush()
	if l.werr == nil {
		l.werr = l.sink.Error()
	}
	l.sink = nil
	return l.werr
}

// codeCounts returns "code: n" for each code, in order of code, joined
// with ", ".
func codeCounts(perCode map[string]int) string {
	codes := slices.Sorted(maps.Keys(perCode))
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = c + ": " + commas(perCode[c])
	}
	return strings.Join(parts, ", ")
}

// codeOf returns the failure code of an outcome Infiniti reported.
func codeOf(o result.RowOutcome) string {
	if o.Status == result.StatusFailed {
		return CodeRowFailed
	}
	return CodeUnknownOutcome
}

// writeFailures writes fs as the failures file (see failuresHeader).
func writeFailures(w io.Writer, imp *Import, carry []string, fs []Failure) error {
	return writeSheet(w, failuresHeader(imp, carry), func(yield func([]string) bool) {
		var rec []string
		for _, f := range fs {
			if rec = failureRecord(rec[:0], imp, len(carry), f); !yield(rec) {
				return
			}
		}
	})
}

// writeSheet writes header and recs as CSV for a spreadsheet: UTF-8 with
// a byte order mark, so that Excel reads it. It returns the first error
// of w.
func writeSheet(w io.Writer, header []string, recs iter.Seq[[]string]) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for rec := range recs {
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// failuresHeader returns the header of the failures file of imp: line,
// username, the carried columns, the import's item columns (library-group
// and system-group; for contacts type, role and contact) and problem.
func failuresHeader(imp *Import, carry []string) []string {
	header := append([]string{"line", "username"}, carry...)
	for _, c := range imp.failureCols[1:] {
		header = append(header, imp.header[c])
	}
	return append(header, "problem")
}

// failureRecord appends f's record of the failures file to rec, its values
// defused: a value a spreadsheet would run as a formula gets a leading
// apostrophe. Infiniti's "X. User failed to import: X." is given as X.
func failureRecord(rec []string, imp *Import, ncarry int, f Failure) []string {
	field := func(c int) string {
		if c < len(f.Fields) {
			return f.Fields[c]
		}
		return ""
	}
	rec = append(rec, num(f.Line), defuse(field(0)))
	for i := range ncarry {
		v := ""
		if i < len(f.Carry) {
			v = f.Carry[i]
		}
		rec = append(rec, defuse(v))
	}
	for _, c := range imp.failureCols[1:] {
		rec = append(rec, defuse(field(c)))
	}
	msg := causeMessage(f.Message)
	if f.Row > 0 && f.Line == 0 {
		msg = f.Message // a row the posted file does not have
	}
	return append(rec, defuse(msg))
}

func num(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// defuse puts an apostrophe in front of a value that a spreadsheet would
// run as a formula: one starting with =, +, -, @, a tab or a carriage
// return.
func defuse(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
