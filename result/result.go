// Package result reads the JSON result that Infiniti answers an autoSync
// import with, such as
//
//	{"success": false,
//	 "summary": "3 users processed. 1 user created. 1 user updated. 1 user failed.",
//	 "details": {"1": "User Updated", "2": "Field (emailAddress) is not ... ", "3": "User Created"}}
//
// where details, present only when some rows failed, maps a data row number
// (1-based, header excluded, as csvspec.Record.Row) to the row's outcome.
//
// Results fail closed: only the outcomes "User Created" and "User Updated"
// are successes (so the rows of imports whose wording is not documented,
// such as contacts, count as failed and are re-sent), and Err reports a
// failure unless success is true, details is absent and the summary counts
// no failed user.
package result

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/autosync-go/autosync/internal/textsafe"
)

// Status is the outcome of one row, read from its outcome text.
type Status int

// The statuses of a row. The zero Status is StatusUnknown.
const (
	StatusUnknown Status = iota // the text is none of the others; it counts as failed
	StatusCreated               // "User Created"
	StatusUpdated               // "User Updated"
	StatusFailed                // the text holds "failed to import"
)

var statusNames = [...]string{"unknown", "created", "updated", "failed"}

// String returns "unknown", "created", "updated" or "failed".
func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return "unknown"
	}
	return statusNames[s]
}

// MarshalText encodes the status as its String. It never fails.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes what MarshalText encodes, in any case.
func (s *Status) UnmarshalText(text []byte) error {
	if i := slices.IndexFunc(statusNames[:], func(name string) bool { return strings.EqualFold(string(text), name) }); i >= 0 {
		*s = Status(i)
		return nil
	}
	return fmt.Errorf("result: unknown row status %s", textsafe.Quote(string(text), 64))
}

// Success reports whether s is StatusCreated or StatusUpdated.
func (s Status) Success() bool { return s == StatusCreated || s == StatusUpdated }

// statusOf classifies an outcome text.
func statusOf(text string) Status {
	t := strings.TrimSpace(text)
	switch {
	case strings.EqualFold(t, "User Created"):
		return StatusCreated
	case strings.EqualFold(t, "User Updated"):
		return StatusUpdated
	case strings.Contains(strings.ToLower(t), "failed to import"):
		return StatusFailed
	}
	return StatusUnknown
}

// RowOutcome is what Infiniti did with one data row.
type RowOutcome struct {
	Row     int    // 1-based data row, header excluded, as csvspec.Record.Row
	Status  Status // read from Message
	Message string // the outcome text
}

// Field returns the field a failure names, "emailAddress" from
// "Field (emailAddress) is not a well-formed email address. ...", or "".
func (o RowOutcome) Field() string {
	_, rest, ok := strings.Cut(o.Message, "Field (")
	name, _, closed := strings.Cut(rest, ")")
	if !ok || !closed {
		return ""
	}
	return name
}

// Result is Infiniti's answer to an import.
type Result struct {
	Success bool   // whether every record transferred without error
	Summary string // e.g. "100 users processed. 50 users created. 50 users updated. 0 users failed."
	// Details is sorted by Row; nil when the answer had no details (or
	// "details": null), non-nil, possibly empty, when it had an object.
	Details []RowOutcome
}

// Counts are the numbers of users of a summary.
type Counts struct {
	Processed int // "<n> users processed"
	Created   int // "<n> users created"
	Updated   int // "<n> users updated"
	Failed    int // "<n> users failed"
}

// ErrInvalid is wrapped by every error of Parse about its input.
var ErrInvalid = errors.New("not an Infiniti import result")

func invalid(format string, args ...any) error {
	return fmt.Errorf("result: %w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Parse reads one result from r, to its end, with encoding/json (keys in
// any case, the last of a key given twice, unknown fields ignored): an
// object with a boolean success, an optional string summary and an
// optional details object mapping positive row numbers to outcome texts,
// after an optional UTF-8 byte order mark. Anything else, such as an HTML
// login page, is an error wrapping ErrInvalid; an error reading r is
// returned wrapped, without it.
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

func (res *Result) parse(b []byte) error {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(b)) == 0 {
		return invalid("the body is empty")
	}
	var w struct {
		Success *bool              `json:"success"`
		Summary json.RawMessage    `json:"summary"`
		Details map[string]*string `json:"details"` // a pointer, so that null is told from ""
	}
	if err := json.Unmarshal(b, &w); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return invalid("the body is not JSON (at byte %d)", syn.Offset)
		case errors.As(err, &typ) && typ.Field == "":
			return invalid("the result is a JSON %s, not an object", typ.Value)
		case errors.As(err, &typ) && typ.Field == "success":
			return invalid(`"success" is a JSON %s, not true or false`, typ.Value)
		case errors.As(err, &typ):
			return badDetails(b)
		}
		return invalid("%v", err)
	}
	if w.Success == nil {
		return invalid(`"success" is missing or null`)
	}
	var summary string
	if len(w.Summary) > 0 && (w.Summary[0] != '"' || json.Unmarshal(w.Summary, &summary) != nil) {
		return invalid(`"summary" is not a string`)
	}
	*res = Result{Success: *w.Success, Summary: summary}
	if w.Details == nil {
		return nil
	}
	res.Details = make([]RowOutcome, 0, len(w.Details))
	for key, text := range w.Details {
		row, err := strconv.Atoi(key)
		if err != nil || row < 1 || key[0] == '0' || key[0] == '+' {
			return invalid("details key %s is not a row number", textsafe.Quote(key, 64))
		}
		if text == nil {
			return invalid("the outcome of details row %s is not a string", textsafe.Quote(key, 64))
		}
		res.Details = append(res.Details, RowOutcome{Row: row, Status: statusOf(*text), Message: *text})
	}
	slices.SortFunc(res.Details, func(a, b RowOutcome) int { return a.Row - b.Row })
	return nil
}

// badDetails names what is wrong with the details of b, which encoding/json
// could not decode into a map of strings.
func badDetails(b []byte) error {
	var w struct {
		Details any `json:"details"`
	}
	_ = json.Unmarshal(b, &w)
	m, _ := w.Details.(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if _, ok := m[k].(string); !ok {
			return invalid("the outcome of details row %s is not a string", textsafe.Quote(k, 64))
		}
	}
	return invalid(`"details" is not an object`)
}

// UnmarshalJSON parses the protocol's JSON form, as Parse does.
func (res *Result) UnmarshalJSON(b []byte) error { return res.parse(b) }

// MarshalJSON gives back the protocol's shape, details in row order.
func (res Result) MarshalJSON() ([]byte, error) {
	summary, _ := json.Marshal(res.Summary)
	b := fmt.Appendf(nil, `{"success":%t,"summary":%s`, res.Success, summary)
	if res.Details != nil {
		b = append(b, `,"details":{`...)
		sep := ""
		for _, d := range res.Details {
			msg, _ := json.Marshal(d.Message)
			b, sep = fmt.Appendf(b, `%s"%d":%s`, sep, d.Row, msg), ","
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// Counts returns the counts of the summary's clauses "<n> user(s) <verb>."
// (in any order and case, n such as "1,250"). ok is false, and c zero,
// unless processed, created, updated and failed are each given once.
func (res *Result) Counts() (c Counts, ok bool) {
	if c, ok, _ = parseCounts(res.Summary); !ok {
		c = Counts{}
	}
	return c, ok
}

// parseCounts reads the summary's clauses; failed reports whether any
// clause "<n> user(s) failed ..." counts a failed user, whatever else the
// summary says. A count that is not digits ("One", "No") fails closed.
func parseCounts(summary string) (c Counts, ok, failed bool) {
	dst := map[string]*int{"processed": &c.Processed, "created": &c.Created, "updated": &c.Updated, "failed": &c.Failed}
	seen, counted := map[string]bool{}, 0
	for clause := range strings.SplitSeq(summary, ".") {
		w := strings.Fields(clause)
		if len(w) < 3 || !strings.EqualFold(w[1], "user") && !strings.EqualFold(w[1], "users") {
			continue
		}
		verb := strings.ToLower(w[2])
		n, err := strconv.Atoi(strings.ReplaceAll(w[0], ",", ""))
		isCount := err == nil && countRE.MatchString(w[0])
		failed = failed || verb == "failed" && (!isCount || n > 0)
		if isCount && len(w) == 3 && dst[verb] != nil {
			*dst[verb] = n
			seen[verb] = true
			counted++
		}
	}
	return c, len(seen) == 4 && counted == 4, failed // each once: of a count said twice, which is meant is a guess
}

// countRE is a count of at most 15 digits, with or without thousands
// separators ("1,250").
var countRE = regexp.MustCompile(`^(\d{1,15}|\d{1,3}(,\d{3}){1,4})$`)

// Failures returns the rows whose Status is not a success, in row order,
// or nil.
func (res *Result) Failures() []RowOutcome {
	var out []RowOutcome
	for _, d := range res.Details {
		if !d.Status.Success() {
			out = append(out, d)
		}
	}
	return out
}

// Unauthorized reports whether the result is Infiniti's answer to bad
// credentials, "Unauthorised. Check credentials.", in either spelling.
func (res *Result) Unauthorized() bool {
	w, _, _ := strings.Cut(strings.TrimSpace(res.Summary), " ")
	w = strings.TrimRight(w, ".!:,")
	return strings.EqualFold(w, "Unauthorised") || strings.EqualFold(w, "Unauthorized")
}

// Err returns an *ImportError for res unless the import succeeded (see
// the package doc).
func (res *Result) Err() error {
	if _, _, failed := parseCounts(res.Summary); !res.Success || res.Details != nil || failed {
		return &ImportError{Result: res}
	}
	return nil
}

// An ImportError says that Infiniti did not take all of an import.
type ImportError struct {
	Result *Result // the whole answer
}

const (
	maxRowsInError = 3   // the failed rows an ImportError's message lists
	maxTextInError = 300 // the bytes of each text it quotes
)

// Error returns one line: the summary and the first failing rows, quoted.
func (e *ImportError) Error() string {
	if e.Result == nil {
		return "infiniti import failed"
	}
	var b strings.Builder
	if s := strings.TrimSpace(e.Result.Summary); s != "" {
		b.WriteString(": " + textsafe.Quote(s, maxTextInError))
	}
	fails := e.Result.Failures()
	for i, f := range fails {
		if i == maxRowsInError {
			fmt.Fprintf(&b, "; %d more failed rows", len(fails)-maxRowsInError)
			break
		}
		fmt.Fprintf(&b, "; row %d: %s", f.Row, textsafe.Quote(strings.TrimSpace(f.Message), maxTextInError))
	}
	return "infiniti import failed" + b.String()
}
