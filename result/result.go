// Package result reads the JSON result that Infiniti answers an autoSync
// import with, and makes it something a program can act on: the counts of
// the summary, each row's outcome with the field that failed, and an error
// when anything went wrong.
//
// Infiniti answers, for example,
//
//	{"success": false,
//	 "summary": "3 users processed. 1 user created. 1 user updated. 1 user failed.",
//	 "details": {"1": "User Updated", "2": "Field (emailAddress) is not ... ", "3": "User Created"}}
//
// where details, present only when some rows failed, maps a data row number
// (1-based, header excluded, as csvspec.Record.Row) to the row's outcome.
//
// A result that contradicts itself is treated as a failure: Err reports
// one when success is false, when the summary counts a failed user, or when
// any row failed.
package result

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Status is the outcome of one row, read from its outcome text.
type Status int

// The statuses of a row. The zero Status is StatusUnknown.
const (
	StatusUnknown Status = iota // the text is none of the others; it is kept verbatim in Message
	StatusCreated               // "User Created"
	StatusUpdated               // "User Updated"
	StatusFailed                // the text says the row failed
)

// String returns "unknown", "created", "updated" or "failed".
func (s Status) String() string {
	switch s {
	case StatusCreated:
		return "created"
	case StatusUpdated:
		return "updated"
	case StatusFailed:
		return "failed"
	}
	return "unknown"
}

// MarshalText encodes the status as its String.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// statusOf classifies an outcome text: "User Created" and "User Updated"
// (any case, surrounding space ignored), any text that mentions failing,
// and anything else.
func statusOf(text string) Status {
	t := strings.TrimSpace(text)
	switch {
	case strings.EqualFold(t, "User Created"):
		return StatusCreated
	case strings.EqualFold(t, "User Updated"):
		return StatusUpdated
	case strings.Contains(strings.ToLower(t), "fail"):
		return StatusFailed
	}
	return StatusUnknown
}

// RowOutcome is what Infiniti did with one data row.
type RowOutcome struct {
	Row     int    // 1-based data row, header excluded, as csvspec.Record.Row
	Status  Status // read from Message
	Message string // the outcome text, verbatim
}

// Field returns the name of the field a failure names, "emailAddress" from
// "Field (emailAddress) is not a well-formed email address. ...", or "" if
// the text names none.
func (o RowOutcome) Field() string {
	const prefix = "Field ("
	i := strings.Index(o.Message, prefix)
	if i < 0 {
		return ""
	}
	rest := o.Message[i+len(prefix):]
	j := strings.IndexByte(rest, ')')
	if j <= 0 {
		return ""
	}
	return rest[:j]
}

// Result is Infiniti's answer to an import.
type Result struct {
	Success bool         // whether every record transferred without error
	Summary string       // e.g. "100 users processed. 50 users created. 50 users updated. 0 users failed."
	Details []RowOutcome // sorted by Row; JSON form is the protocol's object keyed by row strings
}

// Counts are the numbers of users of a summary.
type Counts struct {
	Processed, Created, Updated, Failed int
}

// ErrInvalid is wrapped by every error of Parse: the input is not an
// Infiniti import result.
var ErrInvalid = errors.New("not an Infiniti import result")

func invalid(format string, args ...any) error {
	return fmt.Errorf("result: %w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Parse reads one result from r, to its end. It accepts the protocol's
// object with a boolean success, a string summary and an optional details
// object mapping positive row numbers to outcome texts, and ignores unknown
// fields. Anything else (input that is not JSON, such as an HTML login page;
// JSON that is not an object; a missing or non-boolean success; a summary
// that is not a string; a row key that is not a positive integer; an outcome
// that is not a string; data after the object) is an error wrapping
// ErrInvalid that says what was wrong. An error reading r is returned as it
// is, wrapped.
func Parse(r io.Reader) (*Result, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("result: reading the result: %w", err)
	}
	res := new(Result)
	if err := res.parse(b); err != nil {
		return nil, err
	}
	return res, nil
}

// wire is the protocol's JSON shape. Summary is raw so that a null or
// non-string value can be told from a missing one.
type wire struct {
	Success *bool           `json:"success"`
	Summary json.RawMessage `json:"summary"`
	Details *details        `json:"details"`
}

// details decodes the details object itself: straight into row order,
// without a map, and with an error that names the row when a key or an
// outcome is not what the protocol says.
type details struct {
	rows []RowOutcome
	err  error
}

func (res *Result) parse(b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return invalid("the body is empty; Infiniti sent no result")
	}
	var d details
	w := wire{Details: &d}
	if err := json.Unmarshal(b, &w); err != nil {
		if d.err != nil {
			return d.err
		}
		return decodeError(b, err)
	}
	if w.Success == nil {
		return invalid(`"success" is missing or null; a result must say true or false`)
	}
	var summary string
	if len(w.Summary) > 0 {
		if w.Summary[0] != '"' || json.Unmarshal(w.Summary, &summary) != nil {
			return invalid(`"summary" must be a string, not %s`, kind(w.Summary))
		}
	}
	*res = Result{Success: *w.Success, Summary: summary, Details: d.rows}
	return nil
}

// errDetails stops json.Unmarshal; the real error is in details.err.
var errDetails = errors.New("details")

// UnmarshalJSON decodes the details object. encoding/json has checked that
// b is valid JSON before it calls this, so the scanner below only has to
// tell the protocol's shape from other valid JSON.
func (d *details) UnmarshalJSON(b []byte) error {
	fail := func(format string, args ...any) error {
		d.err = invalid(format, args...)
		return errDetails
	}
	s := scanner{b: b}
	switch s.skipSpace() {
	case 'n':
		return nil // null: no details
	case '{':
		s.i++
	default:
		return fail(`"details" must be an object of row numbers to outcome texts, not %s`, kind(b))
	}
	sorted := true
	for s.skipSpace() != '}' {
		if b[s.i] == ',' {
			s.i++
			s.skipSpace()
		}
		key, err := s.str()
		if err != nil {
			return fail("details: %v", err)
		}
		row, ok := rowNumber(key)
		if !ok {
			return fail(`details key %q is not a row number; keys must be positive integers such as "1"`, key)
		}
		s.skipSpace()
		s.i++ // ':'
		if s.skipSpace() != '"' {
			return fail(`the outcome of details row %q must be a string, not %s`, key, kind(b[s.i:]))
		}
		text, err := s.str()
		if err != nil {
			return fail("details row %q: %v", key, err)
		}
		if n := len(d.rows); n > 0 && d.rows[n-1].Row >= row {
			sorted = false
		}
		d.rows = append(d.rows, RowOutcome{Row: row, Status: statusOf(text), Message: text})
	}
	if !sorted {
		slices.SortStableFunc(d.rows, func(a, b RowOutcome) int { return a.Row - b.Row })
	}
	for i := 1; i < len(d.rows); i++ {
		if d.rows[i].Row == d.rows[i-1].Row {
			return fail("details row %d appears twice; which outcome is meant cannot be told", d.rows[i].Row)
		}
	}
	return nil
}

// scanner walks a JSON value that encoding/json has already validated.
type scanner struct {
	b []byte
	i int
}

// skipSpace skips white space and returns the next byte (0 at the end).
func (s *scanner) skipSpace() byte {
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return c
		}
	}
	return 0
}

// str reads the JSON string at s.i. A string with no escapes and valid
// UTF-8 is converted directly; any other goes through encoding/json, so
// that both decode exactly as encoding/json decodes them.
func (s *scanner) str() (string, error) {
	start := s.i
	s.i++ // opening quote
	escaped := false
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			escaped = true
			s.i += 2
			continue
		case '"':
			s.i++
			raw := s.b[start:s.i]
			if !escaped && utf8.Valid(raw) {
				return string(raw[1 : len(raw)-1]), nil
			}
			var out string
			if err := json.Unmarshal(raw, &out); err != nil {
				return "", err
			}
			return out, nil
		}
		s.i++
	}
	return "", errors.New("unterminated string")
}

// decodeError turns an encoding/json error into one that says what was wrong.
func decodeError(b []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		switch {
		case strings.Contains(syn.Error(), "after top-level value"):
			return invalid("unexpected data after the result object at byte %d", syn.Offset)
		case strings.Contains(syn.Error(), "looking for beginning of value") && syn.Offset <= int64(len(b)-len(bytes.TrimLeft(b, " \t\r\n"))+1):
			return invalid("the body is not JSON (%v); an HTML page here usually means a login page or proxy in front of Infiniti", syn)
		}
		return invalid("the body is not valid JSON: %v at byte %d (truncated?)", syn, syn.Offset)
	case errors.As(err, &typ):
		switch typ.Field {
		case "":
			return invalid("the result is %s, not a JSON object", article(typ.Value))
		case "success":
			return invalid(`"success" must be true or false, not %s`, article(typ.Value))
		}
		return invalid("field %q has the wrong type: %s", typ.Field, typ.Value)
	}
	return invalid("%v", err)
}

// article puts "a" or "an" before a JSON type name from encoding/json.
func article(v string) string {
	if v != "" && strings.ContainsRune("aeiou", rune(v[0])) {
		return "an " + v
	}
	return "a " + v
}

// kind names the JSON type of a raw value for error messages.
func kind(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// rowNumber parses a details key: a positive decimal integer without sign,
// leading zeros or spaces.
func rowNumber(key string) (int, bool) {
	if key == "" || key[0] == '0' || len(key) > 9 {
		return 0, false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < '0' || key[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(key)
	return n, err == nil
}

// UnmarshalJSON parses the protocol's JSON form, as Parse does.
func (res *Result) UnmarshalJSON(b []byte) error { return res.parse(b) }

// MarshalJSON gives back the protocol's shape: success, summary and, when
// there are details, an object keyed by row number strings in row order.
func (res Result) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"success":`)
	buf.WriteString(strconv.FormatBool(res.Success))
	buf.WriteString(`,"summary":`)
	if err := writeString(&buf, res.Summary); err != nil {
		return nil, err
	}
	if len(res.Details) > 0 {
		buf.WriteString(`,"details":{`)
		for i, d := range res.Details {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteByte('"')
			buf.WriteString(strconv.Itoa(d.Row))
			buf.WriteString(`":`)
			if err := writeString(&buf, d.Message); err != nil {
				return nil, err
			}
		}
		buf.WriteByte('}')
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func writeString(buf *bytes.Buffer, s string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}

// Counts returns the counts of the summary, read from clauses such as
// "100 users processed." and "1 user created." in any order and any case
// (extra clauses are ignored). ok is false unless processed, created,
// updated and failed are each given exactly once.
func (res *Result) Counts() (c Counts, ok bool) {
	return parseCounts(res.Summary)
}

func parseCounts(summary string) (Counts, bool) {
	var c Counts
	var seen [4]bool
	for clause := range strings.SplitSeq(summary, ".") {
		words := strings.Fields(clause)
		if len(words) != 3 || !strings.EqualFold(words[1], "user") && !strings.EqualFold(words[1], "users") {
			continue
		}
		n, ok := count(words[0])
		if !ok {
			continue
		}
		var i int
		var dst *int
		switch strings.ToLower(words[2]) {
		case "processed":
			i, dst = 0, &c.Processed
		case "created":
			i, dst = 1, &c.Created
		case "updated":
			i, dst = 2, &c.Updated
		case "failed":
			i, dst = 3, &c.Failed
		default:
			continue
		}
		if seen[i] {
			return Counts{}, false // said twice: which is meant is a guess
		}
		seen[i], *dst = true, n
	}
	if seen != [4]bool{true, true, true, true} {
		return Counts{}, false
	}
	return c, true
}

// count parses a non-negative count, allowing thousands separators ("1,250").
func count(s string) (int, bool) {
	if strings.Contains(s, ",") {
		groups := strings.Split(s, ",")
		for i, g := range groups {
			if (i == 0 && (len(g) == 0 || len(g) > 3)) || (i > 0 && len(g) != 3) {
				return 0, false
			}
		}
		s = strings.Join(groups, "")
	}
	if s == "" || len(s) > 15 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// Failures returns the rows whose Status is StatusFailed, in row order.
func (res *Result) Failures() []RowOutcome {
	var out []RowOutcome
	for _, d := range res.Details {
		if d.Status == StatusFailed {
			out = append(out, d)
		}
	}
	return out
}

// Unauthorized reports whether the result is Infiniti's answer to bad
// credentials, "Unauthorised. Check credentials.": a summary whose first
// word is "Unauthorised" or "Unauthorized", in any case.
func (res *Result) Unauthorized() bool {
	w, _, _ := strings.Cut(strings.TrimSpace(res.Summary), " ")
	w = strings.TrimRight(w, ".!:,")
	return strings.EqualFold(w, "Unauthorised") || strings.EqualFold(w, "Unauthorized")
}

// Err returns nil if the import succeeded, and otherwise an *ImportError:
// when success is false, when the summary counts a failed user, or when any
// row failed. Rows of unknown status alone do not make it fail.
func (res *Result) Err() error {
	failed := !res.Success
	if c, ok := res.Counts(); ok && c.Failed > 0 {
		failed = true
	}
	if len(res.Failures()) > 0 {
		failed = true
	}
	if failed {
		return &ImportError{Result: res}
	}
	return nil
}

// An ImportError says that Infiniti processed an import and did not take
// all of it, or refused it. Result holds the whole answer.
type ImportError struct {
	Result *Result
}

// maxRowsInError caps the failed rows an ImportError's message lists.
const maxRowsInError = 3

// Error returns one line: the summary, then the first failing rows with
// their reasons, and how many more there are.
func (e *ImportError) Error() string {
	var b strings.Builder
	b.WriteString("infiniti import failed")
	if s := strings.TrimSpace(e.Result.Summary); s != "" {
		b.WriteString(": ")
		b.WriteString(s)
	} else if !e.Result.Success {
		b.WriteString(` ("success": false, no summary)`)
	}
	fails := e.Result.Failures()
	for i, f := range fails {
		if i == maxRowsInError {
			fmt.Fprintf(&b, "; and %d more failed rows", len(fails)-maxRowsInError)
			break
		}
		fmt.Fprintf(&b, "; row %d: %s", f.Row, oneLine(f.Message))
	}
	return b.String()
}

// oneLine trims a message and folds any line breaks into spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
