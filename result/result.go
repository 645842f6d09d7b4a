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
// # Failing closed
//
// A result is read as a success only when nothing in it says or suggests
// otherwise. Err reports a failure when success is false, when the summary
// counts a failed user anywhere ("1 user failed.", "1 user failed to
// import", "1.000 users failed!"), when any row's outcome is not a
// recognised success, or when details is present at all (the vendor sends
// it only when some rows failed).
//
// The recognised success outcomes are exactly these texts, compared after
// trimming surrounding space and in any case:
//
//	"User Created"  StatusCreated
//	"User Updated"  StatusUpdated
//
// Every other outcome counts as failed, in Failures and in Err: an outcome
// that contains "failed to import" (Infiniti's wording, "... User failed to
// import: ...") has StatusFailed, and any other text StatusUnknown, kept
// verbatim. The wording of imports other than user groups (contacts, for
// one) is not documented, so until a later version of this package knows
// their success texts, their rows fail closed: a caller re-sends them,
// which is safe, at the cost of the re-sending.
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
	"unicode"
	"unicode/utf8"

	"github.com/autosync-go/autosync/internal/textsafe"
)

// Status is the outcome of one row, read from its outcome text. Only
// StatusCreated and StatusUpdated are successes.
type Status int

// The statuses of a row. The zero Status is StatusUnknown.
const (
	StatusUnknown Status = iota // the text is none of the others; it is kept verbatim in Message and counts as failed
	StatusCreated               // "User Created"
	StatusUpdated               // "User Updated"
	StatusFailed                // the text says the row failed to import
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

// MarshalText encodes the status as its String. It never fails.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes what MarshalText encodes: "unknown", "created",
// "updated" or "failed", in any case, so that a RowOutcome survives a JSON
// round trip. Any other text is an error that names it, and s is left as
// it was.
func (s *Status) UnmarshalText(text []byte) error {
	for _, st := range []Status{StatusUnknown, StatusCreated, StatusUpdated, StatusFailed} {
		if strings.EqualFold(string(text), st.String()) {
			*s = st
			return nil
		}
	}
	return fmt.Errorf("result: unknown row status %q; want unknown, created, updated or failed", textsafe.Clip(string(text), 64))
}

// Success reports whether s is StatusCreated or StatusUpdated: the only
// statuses of a row that Infiniti imported.
func (s Status) Success() bool { return s == StatusCreated || s == StatusUpdated }

// successOutcomes is the table of recognised success texts, in lower case:
// an outcome is a success only when, trimmed of surrounding space and
// lower-cased, it is exactly one of these keys. Add the wording of other
// imports here once real answers are seen (and a case to TestStatus);
// until then their rows fail closed.
var successOutcomes = map[string]Status{
	"user created": StatusCreated,
	"user updated": StatusUpdated,
}

// failureMarkers are the phrases, in lower case, that make an outcome
// StatusFailed rather than StatusUnknown. Both count as failed; the
// difference only tells a recognised failure from an unrecognised text.
var failureMarkers = []string{
	"failed to import", // "... User failed to import: Field (emailAddress) ..."
}

// statusOf classifies an outcome text: exactly a text of successOutcomes
// (any case, surrounding space ignored) is that success; a text holding a
// failure marker is StatusFailed; anything else is StatusUnknown.
func statusOf(text string) Status {
	switch text { // the vendor's exact wording: no allocation
	case "User Created":
		return StatusCreated
	case "User Updated":
		return StatusUpdated
	}
	t := strings.ToLower(strings.TrimSpace(text))
	if s, ok := successOutcomes[t]; ok {
		return s
	}
	for _, m := range failureMarkers {
		if strings.Contains(t, m) {
			return StatusFailed
		}
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
	Success bool   // whether every record transferred without error
	Summary string // e.g. "100 users processed. 50 users created. 50 users updated. 0 users failed."
	// Details is sorted by Row; its JSON form is the protocol's object
	// keyed by row strings. It is nil when the answer had no details (or
	// "details": null) and non-nil, possibly empty, when it had a details
	// object: Err then reports a failure.
	Details []RowOutcome
}

// Counts are the numbers of users of a summary.
type Counts struct {
	Processed int // "<n> users processed": the rows Infiniti read
	Created   int // "<n> users created"
	Updated   int // "<n> users updated"
	Failed    int // "<n> users failed": the rows it did not import
}

// ErrInvalid is wrapped by every error of Parse: the input is not an
// Infiniti import result.
var ErrInvalid = errors.New("not an Infiniti import result")

func invalid(format string, args ...any) error {
	return fmt.Errorf("result: %w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Parse reads one result from r, to its end. It accepts the protocol's
// object with a boolean success, a string summary and an optional details
// object mapping positive row numbers to outcome texts, after an optional
// UTF-8 byte order mark, and ignores unknown fields. Keys are matched
// exactly, as JSON defines them: "Success" or "SUMMARY" are unknown fields,
// not the protocol's. Anything else (input that is not JSON, such as an
// HTML login page; JSON that is not an object; a missing or non-boolean
// success; a summary that is not a string; success, summary or details
// given twice; a row key that is not a positive integer, or given twice;
// an outcome that is not a string; data after the object) is an error
// wrapping ErrInvalid that says what was wrong. An error reading r is
// returned as it is, wrapped.
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

var bom = []byte("\xef\xbb\xbf")

// parse checks that b is JSON with encoding/json's own validator, then
// walks the object itself: so that keys match exactly (encoding/json
// matches struct fields in any case), a key given twice is caught, and the
// details go straight into row order without a map.
func (res *Result) parse(b []byte) error {
	b = bytes.TrimPrefix(b, bom)
	if len(bytes.TrimSpace(b)) == 0 {
		return invalid("the body is empty; Infiniti sent no result")
	}
	if !json.Valid(b) {
		var raw json.RawMessage // only for encoding/json's error, which says where
		err := json.Unmarshal(b, &raw)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return decodeError(b, err)
	}
	s := scanner{b: b}
	switch c := s.skipSpace(); c {
	case '{':
		s.i++
	case 'n':
		return invalid(`"success" is missing or null; a result must say true or false`)
	default:
		return invalid("the result is %s, not a JSON object", kind(b[s.i:]))
	}
	var (
		success, successSeen, summarySeen, detailsSeen bool
		successNull                                    bool
		summary                                        string
		rows                                           []RowOutcome
	)
	twice := func(key string) error {
		return invalid("%q appears twice in the result; which value is meant cannot be told", key)
	}
	for c := s.skipSpace(); c != '}' && c != 0; c = s.skipSpace() {
		if c == ',' {
			s.i++
			s.skipSpace()
		}
		key, _, err := s.str()
		if err != nil {
			return invalid("a key: %v", err)
		}
		s.skipSpace()
		s.i++ // ':'
		c := s.skipSpace()
		switch key {
		case "success":
			if successSeen {
				return twice(key)
			}
			successSeen = true
			switch c {
			case 't':
				success = true
			case 'f':
			case 'n':
				successNull = true
			default:
				return invalid(`"success" must be true or false, not %s`, kind(b[s.i:]))
			}
			s.skipValue()
		case "summary":
			if summarySeen {
				return twice(key)
			}
			summarySeen = true
			if c != '"' {
				return invalid(`"summary" must be a string, not %s`, kind(b[s.i:]))
			}
			if summary, _, err = s.str(); err != nil {
				return invalid("summary: %v", err)
			}
		case "details":
			if detailsSeen {
				return twice(key)
			}
			detailsSeen = true
			if rows, err = s.details(); err != nil {
				return err
			}
		default:
			s.skipValue()
		}
	}
	if !successSeen || successNull {
		return invalid(`"success" is missing or null; a result must say true or false`)
	}
	*res = Result{Success: success, Summary: summary, Details: rows}
	return nil
}

// details reads the details value at s.i: null (nil, no details) or an
// object of row numbers to outcome texts, returned in row order and
// non-nil even when empty. The error names the row when a key or an
// outcome is not what the protocol says.
func (s *scanner) details() ([]RowOutcome, error) {
	switch s.b[s.i] {
	case 'n':
		s.skipValue()
		return nil, nil
	case '{':
		s.i++
	default:
		return nil, invalid(`"details" must be an object of row numbers to outcome texts, not %s`, kind(s.b[s.i:]))
	}
	rows := []RowOutcome{}
	sorted := true
	for c := s.skipSpace(); c != '}' && c != 0; c = s.skipSpace() {
		if c == ',' {
			s.i++
			s.skipSpace()
		}
		start := s.i
		raw, escaped := s.raw()
		quoted := s.b[start:s.i]
		row, ok := 0, false
		if !escaped {
			row, ok = rowNumber(raw)
		}
		decoded := func() string {
			if !escaped && utf8.Valid(raw) {
				return string(raw)
			}
			k, _ := decodeString(quoted)
			return k
		}
		key := func() string { return textsafe.Clip(decoded(), maxKeyInError) } // only for error messages
		if !ok {
			// An escaped key may still spell a row number ("\u0031").
			if row, ok = rowNumber([]byte(decoded())); !ok {
				return nil, invalid(`details key %q is not a row number; keys must be positive integers such as "1"`, key())
			}
		}
		s.skipSpace()
		s.i++ // ':'
		if s.skipSpace() != '"' {
			return nil, invalid(`the outcome of details row %q must be a string, not %s`, key(), kind(s.b[s.i:]))
		}
		text, _, err := s.str()
		if err != nil {
			return nil, invalid("details row %q: %v", key(), err)
		}
		if n := len(rows); n > 0 && rows[n-1].Row >= row {
			sorted = false
		}
		rows = append(rows, RowOutcome{Row: row, Status: statusOf(text), Message: text})
	}
	s.i++ // '}'
	if !sorted {
		slices.SortStableFunc(rows, func(a, b RowOutcome) int { return a.Row - b.Row })
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].Row == rows[i-1].Row {
			return nil, invalid("details row %d appears twice; which outcome is meant cannot be told", rows[i].Row)
		}
	}
	return rows, nil
}

// scanner walks a JSON document that json.Valid has accepted, so it only
// has to tell the protocol's shape from other valid JSON.
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

// raw reads the JSON string at s.i and returns its bytes between the
// quotes, undecoded, and whether it holds an escape.
func (s *scanner) raw() (raw []byte, escaped bool) {
	start := s.i + 1
	s.i++ // opening quote
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			escaped = true
			s.i += 2
			continue
		case '"':
			s.i++
			return s.b[start : s.i-1], escaped
		}
		s.i++
	}
	return s.b[start:], escaped
}

// The vendor's success texts, so that their many rows share one string.
const (
	textCreated = "User Created"
	textUpdated = "User Updated"
)

// str reads the JSON string at s.i and decodes it exactly as encoding/json
// does: a string with no escapes and valid UTF-8 is converted directly,
// any other goes through encoding/json.
func (s *scanner) str() (string, bool, error) {
	start := s.i
	raw, escaped := s.raw()
	if !escaped && utf8.Valid(raw) {
		switch string(raw) { // no allocation for the comparison
		case textCreated:
			return textCreated, false, nil
		case textUpdated:
			return textUpdated, false, nil
		}
		return string(raw), false, nil
	}
	out, err := decodeString(s.b[start:s.i])
	return out, escaped, err
}

// decodeString decodes a quoted JSON string with encoding/json.
func decodeString(quoted []byte) (string, error) {
	var out string
	if err := json.Unmarshal(quoted, &out); err != nil {
		return "", err
	}
	return out, nil
}

// skipValue skips the JSON value at s.i.
func (s *scanner) skipValue() {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.raw()
			if depth == 0 {
				return
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return // the end of a number or literal that closes its container
			}
			depth--
			if depth == 0 {
				s.i++
				return
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return // the end of a number or literal
			}
		}
		s.i++
	}
}

// decodeError turns an encoding/json syntax error into one that says what
// was wrong.
func decodeError(b []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		switch {
		case strings.Contains(syn.Error(), "after top-level value"):
			return invalid("unexpected data after the result object at byte %d", syn.Offset)
		case strings.Contains(syn.Error(), "looking for beginning of value") && syn.Offset <= int64(len(b)-len(bytes.TrimLeft(b, " \t\r\n"))+1):
			return invalid("the body is not JSON (%v); an HTML page here usually means a login page or proxy in front of Infiniti", syn)
		case strings.Contains(syn.Error(), "exceeded max depth"):
			return invalid("the JSON is nested deeper than can be read (more than 10000 levels, at byte %d); a result is an object of strings and a boolean", syn.Offset)
		}
		return invalid("the body is not valid JSON: %v at byte %d (truncated?)", syn, syn.Offset)
	}
	return invalid("%v", err)
}

// kind names the JSON type of the value at the start of v, for error
// messages.
func kind(v []byte) string {
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
// leading zeros or spaces, of at most 9 digits.
func rowNumber(key []byte) (int, bool) {
	if len(key) == 0 || key[0] == '0' || len(key) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range key {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// UnmarshalJSON parses the protocol's JSON form, as Parse does, and returns
// the same errors.
func (res *Result) UnmarshalJSON(b []byte) error { return res.parse(b) }

// MarshalJSON gives back the protocol's shape: success, summary and, when
// Details is non-nil, an object keyed by row number strings in row order.
// It fails only if a text cannot be encoded, which encoding/json never
// reports for a string.
func (res Result) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"success":`)
	buf.WriteString(strconv.FormatBool(res.Success))
	buf.WriteString(`,"summary":`)
	if err := writeString(&buf, res.Summary); err != nil {
		return nil, err
	}
	if res.Details != nil {
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
// (extra clauses are ignored). ok is false, and c zero, unless processed,
// created, updated and failed are each given exactly once. Err does not
// depend on ok: any clause that counts a failed user makes it fail.
func (res *Result) Counts() (c Counts, ok bool) {
	return parseCounts(res.Summary)
}

// userClause returns the count word and the verb of a summary clause of
// the form "<count> user(s) <verb>", or ok false.
func userClause(clause string) (count, verb string, ok bool) {
	words := strings.Fields(clause)
	if len(words) != 3 || !strings.EqualFold(words[1], "user") && !strings.EqualFold(words[1], "users") {
		return "", "", false
	}
	return words[0], words[2], true
}

func parseCounts(summary string) (Counts, bool) {
	var c Counts
	var seen [4]bool
	for clause := range strings.SplitSeq(summary, ".") {
		word, verb, ok := userClause(clause)
		if !ok {
			continue
		}
		n, ok := count(word)
		if !ok {
			continue
		}
		var i int
		var dst *int
		switch strings.ToLower(verb) {
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

// summaryCountsFailed reports whether the summary counts a failed user
// anywhere: "failed", as a word in any case, right after "user", "users" or
// "user(s)" (anything but letters and digits between them: spaces, a
// no-break space, a NUL), after a count that is not zero. The clause may stand anywhere
// and end in anything ("1 user failed to import.", "1 user failed, 2
// users created.", "3 users processed! 1 user failed!", one per line).
// The count is read as digits with single separators between groups
// ("1,000", "1.000", "1 000"); it fails the import when any digit is not
// 0. A count in words, or none, fails it too unless it is "no" or "zero":
// fail closed.
func summaryCountsFailed(summary string) bool {
	s := strings.ToLower(summary)
	for i := 0; ; {
		j := strings.Index(s[i:], "failed")
		if j < 0 {
			return false
		}
		at := i + j
		i = at + len("failed")
		if r, _ := utf8.DecodeRuneInString(s[i:]); i < len(s) && isWordRune(r) {
			continue // "failedx"
		}
		before := strings.TrimRightFunc(s[:at], notWordRune)
		if len(before) == at {
			continue // "userfailed", or "failed" at the start
		}
		rest := before
		for _, noun := range []string{"users", "user", "user(s"} { // "user(s)" lost its ")" to the trim
			if strings.HasSuffix(before, noun) {
				rest = before[:len(before)-len(noun)]
				break
			}
		}
		if len(rest) == len(before) {
			continue
		}
		if r, _ := utf8.DecodeLastRuneInString(rest); rest != "" && isWordRune(r) {
			continue // "superuser failed"
		}
		if countNotZero(strings.TrimRightFunc(rest, notWordRune)) {
			return true
		}
	}
}

// countNotZero reports whether the count at the end of s, the text before
// "user(s) failed", is not zero: digits with single separators between
// groups, a word, or nothing (fail closed: only "no" and "zero" are zero).
func countNotZero(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	if s == "" || !unicode.IsDigit(r) {
		w := s[strings.LastIndexFunc(s, notWordRune)+1:]
		return w != "no" && w != "zero"
	}
	nonzero := false
	for s != "" {
		r, size := utf8.DecodeLastRuneInString(s)
		switch {
		case unicode.IsDigit(r):
			nonzero = nonzero || r != '0' // another script's zero too: fail closed
		case strings.ContainsRune(",.'\u00a0\u202f ", r):
			// a separator counts only between two digits
			p, _ := utf8.DecodeLastRuneInString(s[:len(s)-size])
			if !unicode.IsDigit(p) {
				return nonzero
			}
		default:
			return nonzero
		}
		s = s[:len(s)-size]
	}
	return nonzero
}

func isWordRune(r rune) bool  { return unicode.IsLetter(r) || unicode.IsDigit(r) }
func notWordRune(r rune) bool { return !isWordRune(r) }

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

// Failures returns the rows that Infiniti did not import, in row order:
// every row whose Status is not StatusCreated or StatusUpdated, so
// StatusUnknown rows too. It returns nil when every row succeeded.
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
// credentials, "Unauthorised. Check credentials.": a summary whose first
// word is "Unauthorised" or "Unauthorized", in any case.
func (res *Result) Unauthorized() bool {
	w, _, _ := strings.Cut(strings.TrimSpace(res.Summary), " ")
	w = strings.TrimRight(w, ".!:,")
	return strings.EqualFold(w, "Unauthorised") || strings.EqualFold(w, "Unauthorized")
}

// Err returns nil if the import succeeded, and otherwise an *ImportError
// for res. It fails closed: the import failed when success is false, when
// the summary counts a failed user anywhere, however the clause is worded
// around "<n> user(s) failed" and whatever other clauses are missing (see
// the package documentation), when any row is not a success (StatusUnknown
// rows included), or when Details is non-nil at all, since Infiniti sends
// details only when some rows failed.
func (res *Result) Err() error {
	if !res.Success || res.Details != nil || summaryCountsFailed(res.Summary) {
		return &ImportError{Result: res}
	}
	return nil
}

// An ImportError says that Infiniti processed an import and did not take
// all of it, or refused it.
type ImportError struct {
	// Result is the whole answer, its texts as Infiniti sent them.
	Result *Result
}

// maxRowsInError caps the failed rows an ImportError's message lists.
const maxRowsInError = 3

// maxKeyInError caps how much of a details key an error message quotes:
// a row number is a few digits, and a key longer than this is not one.
const maxKeyInError = 64

// maxTextInError caps how much of each of Infiniti's texts an
// ImportError's message shows, in bytes.
const maxTextInError = 300

// Error returns one line: the summary, then the first failing rows with
// their reasons, and how many more there are. Infiniti's texts are trimmed,
// cut to their first 300 bytes (followed by "…"), and have line breaks and
// other control characters escaped (as "\n", "\x1b", "\u202e"), so a
// server cannot forge log lines or drive a terminal through them, nor make
// the message as long as it likes.
func (e *ImportError) Error() string {
	res := e.Result
	if res == nil {
		return "infiniti import failed (no result)"
	}
	var b strings.Builder
	b.WriteString("infiniti import failed")
	if s := strings.TrimSpace(res.Summary); s != "" {
		b.WriteString(": ")
		b.WriteString(textsafe.OneLine(textsafe.Clip(s, maxTextInError)))
	} else if !res.Success {
		b.WriteString(` ("success": false, no summary)`)
	}
	fails := res.Failures()
	for i, f := range fails {
		if i == maxRowsInError {
			fmt.Fprintf(&b, "; and %d more failed rows", len(fails)-maxRowsInError)
			break
		}
		fmt.Fprintf(&b, "; row %d: %s", f.Row, textsafe.OneLine(textsafe.Clip(strings.TrimSpace(f.Message), maxTextInError)))
	}
	if res.Success && len(fails) == 0 && !summaryCountsFailed(res.Summary) && res.Details != nil {
		b.WriteString(` (success is true, but the result has "details", which Infiniti sends only when rows failed)`)
	}
	return b.String()
}
