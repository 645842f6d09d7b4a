package syncjob

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

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
	Code    string // a csvspec problem code, CodeRowFailed or CodeUnknownOutcome
	Field   string // the column a check error is in, or the field Infiniti names; "" if none
	Message string // the check's message, or Infiniti's outcome text
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
	Code      string
	Field     string
	Message   string // for Infiniti's failures, the text before "User failed to import:", which repeats it
	Rows      int    // failures with this cause
	FirstLine int    // the export line of the first of them
}

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
	type key struct{ code, field, msg string }
	idx := make(map[key]int)
	var out []Cause
	for _, f := range fs {
		k := key{f.Code, f.Field, causeMessage(f.Message)}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Cause{Code: k.code, Field: k.field, Message: k.msg, FirstLine: f.Line})
		}
		out[i].Rows++
		if f.Line > 0 && (out[i].FirstLine == 0 || f.Line < out[i].FirstLine) {
			out[i].FirstLine = f.Line
		}
	}
	slices.SortStableFunc(out, func(a, b Cause) int {
		if c := cmp.Compare(b.Rows, a.Rows); c != 0 {
			return c
		}
		return cmp.Compare(a.FirstLine, b.FirstLine)
	})
	return out
}

// codeOf returns the failure code of an outcome Infiniti reported.
func codeOf(o result.RowOutcome) string {
	if o.Status == result.StatusFailed {
		return CodeRowFailed
	}
	return CodeUnknownOutcome
}

// writeFailures writes fs as CSV for library staff: line, row, the import's
// failure columns, code, field and message. A value a spreadsheet would
// take for a formula gets a leading apostrophe.
func writeFailures(w io.Writer, imp *Import, fs []Failure) error {
	cw := csv.NewWriter(w)
	header := []string{"line", "row"}
	for _, c := range imp.failureCols {
		header = append(header, imp.header[c])
	}
	header = append(header, "code", "field", "message")
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(header))
	for _, f := range fs {
		rec = rec[:0]
		rec = append(rec, num(f.Line), num(f.Row))
		for _, c := range imp.failureCols {
			v := ""
			if c < len(f.Fields) {
				v = f.Fields[c]
			}
			rec = append(rec, defuse(v))
		}
		rec = append(rec, defuse(f.Code), defuse(f.Field), defuse(f.Message))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
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
