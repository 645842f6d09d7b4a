package csvspec

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The canonical column names of a contacts file, as the one known field
// script writes them (username is ColumnUsername). A contacts file has all
// eight, in any order.
const (
	columnType      = "type"      // email or phone
	columnRole      = "role"      // patron or guardian
	columnPrimary   = "primary"   // a boolean: the patron's first email and first mobile
	columnAddressee = "addressee" // the name to address
	columnContact   = "contact"   // the email address or phone number
	columnSMS       = "sms"       // a boolean, may be empty: a mobile that may receive SMS
	columnScenarios = "scenarios" // ';'-separated scenarios
)

// contactColumns lists the canonical columns of a contacts file in the
// order the ContactWriter writes them.
var contactColumns = [numContactColumns]string{ColumnUsername, columnType, columnRole, columnPrimary, columnAddressee, columnContact, columnSMS, columnScenarios}

const (
	ccUsername = iota
	ccType
	ccRole
	ccPrimary
	ccAddressee
	ccContact
	ccSMS
	ccScenarios
	numContactColumns
)

var contacts = &schema{
	kind:     "contacts",
	columns:  contactColumns[:],
	required: "a contacts file has the columns username, type, role, primary, addressee, contact, sms and scenarios, even when empty",
	brief:    "username,type,role,…",
}

// ContactHeader returns the canonical header of a contacts file, in the
// order the ContactWriter writes it. The slice is new on every call and may
// be modified by the caller.
func ContactHeader() []string {
	h := contactColumns
	return h[:]
}

// A ContactType is the kind of a contact: ContactEmail or ContactPhone. The
// checks read the known types in any case, and keeps any other
// value (trimmed) for Check to report.
type ContactType string

// The known contact types.
const (
	ContactEmail ContactType = "email" // the contact is an email address
	ContactPhone ContactType = "phone" // the contact is a phone number, a mobile's or a landline's
)

// A ContactRole says whose contact it is: the patron's own, or a
// guardian's. The checks read the known roles in any case, and keeps
// any other value (trimmed) for Check to report.
type ContactRole string

// The known contact roles.
const (
	RolePatron   ContactRole = "patron"   // the patron's own contact
	RoleGuardian ContactRole = "guardian" // a contact of one of the patron's guardians, named by the addressee
)

// A Scenario is a kind of notice a contact receives. The checks read
// the known scenarios in any case, and keeps any other value (trimmed) for
// Check to report.
type Scenario string

// The known scenarios. ScenarioAny and ScenarioNone stand alone; the
// OVERDUE ones may be combined.
const (
	ScenarioAny                    Scenario = "ANY"                      // every notice
	ScenarioNone                   Scenario = "NONE"                     // no notice
	ScenarioOverdue                Scenario = "OVERDUE"                  // the notice that a loan is overdue
	ScenarioOverdueEscalationOne   Scenario = "OVERDUE_ESCALATION_ONE"   // the first escalation notice of an overdue loan
	ScenarioOverdueEscalationTwo   Scenario = "OVERDUE_ESCALATION_TWO"   // the second escalation notice of an overdue loan
	ScenarioOverdueEscalationThree Scenario = "OVERDUE_ESCALATION_THREE" // the third escalation notice of an overdue loan
)

var knownScenarios = [...]Scenario{ScenarioAny, ScenarioNone, ScenarioOverdue, ScenarioOverdueEscalationOne, ScenarioOverdueEscalationTwo, ScenarioOverdueEscalationThree}

// An OptionalBool is a boolean that may be absent, as the sms column may be
// empty. The zero value is BoolNotGiven.
type OptionalBool uint8

// The values of an OptionalBool.
const (
	BoolNotGiven OptionalBool = iota // no value: the column is empty
	BoolFalse                        // false: False, no, n or 0 in the file
	BoolTrue                         // true: True, yes, y or 1 in the file
)

// OptionalBoolOf returns BoolTrue or BoolFalse.
func OptionalBoolOf(b bool) OptionalBool {
	if b {
		return BoolTrue
	}
	return BoolFalse
}

// String returns "True", "False" or "" (not given), as the ContactWriter
// writes it.
func (b OptionalBool) String() string {
	switch b {
	case BoolTrue:
		return "True"
	case BoolFalse:
		return "False"
	}
	return ""
}

// Contact is one row of a contacts file: one email address or phone number
// of a patron or of a patron's guardian.
type Contact struct {
	Username  string       // the matching key of an existing Infiniti user (the patron)
	Type      ContactType  // ContactEmail or ContactPhone
	Role      ContactRole  // RolePatron or RoleGuardian
	Primary   bool         // the patron's first email and first mobile are primary
	Addressee string       // the name to address: a preferred name, or a salutation such as "Mr and Mrs Smith"
	Address   string       // the contact column: an email address, or a phone number such as "(M1) 0400 000 000"
	SMS       OptionalBool // whether a mobile may receive SMS; BoolNotGiven when the column is empty
	Scenarios []Scenario   // the notices the contact receives; nil when the column is empty
}

// contactRecord is a Contact read from a file, with its position in the file.
type contactRecord struct {
	Contact
	Row  int // 1-based data row, header excluded
	Line int // 1-based physical line where the record starts (header is line 1)

	// Empty is true for a row whose fields are all empty (",,,,,,," as
	// Excel leaves below the data); its Contact is then zero. A row whose
	// only value is a false primary (",,,False,,,,") has a zero Contact too,
	// but is not Empty: it is a row with its username, type, role and
	// contact missing.
	Empty bool
}

// parseContactType returns the known type s names in any case, or s.
func parseContactType(s string) (ContactType, bool) {
	switch s {
	case "email":
		return ContactEmail, true
	case "phone":
		return ContactPhone, true
	}
	switch s = strings.TrimSpace(s); {
	case strings.EqualFold(s, string(ContactEmail)):
		return ContactEmail, true
	case strings.EqualFold(s, string(ContactPhone)):
		return ContactPhone, true
	}
	return ContactType(s), false
}

// parseContactRole returns the known role s names in any case, or s.
func parseContactRole(s string) (ContactRole, bool) {
	switch s {
	case "patron":
		return RolePatron, true
	case "guardian":
		return RoleGuardian, true
	}
	switch s = strings.TrimSpace(s); {
	case strings.EqualFold(s, string(RolePatron)):
		return RolePatron, true
	case strings.EqualFold(s, string(RoleGuardian)):
		return RoleGuardian, true
	}
	return ContactRole(s), false
}

// parseScenario returns the known scenario s names in any case, with its
// bit in a set of known scenarios (1<<i for knownScenarios[i]); or s and 0.
func parseScenario(s string) (Scenario, uint8) {
	for i, k := range knownScenarios {
		if s == string(k) {
			return k, 1 << i
		}
	}
	for i, k := range knownScenarios {
		if strings.EqualFold(s, string(k)) {
			return k, 1 << i
		}
	}
	return Scenario(s), 0
}

// parseScenarios splits a scenarios value on ';', trimming each name and
// dropping empty ones and repeats (in any case) of an earlier one. Known
// scenarios are kept in a bit set, unknown ones in a map made at the
// first of them, so that a value of many names takes linear time.
func parseScenarios(s string) []Scenario {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	out := make([]Scenario, 0, strings.Count(s, ";")+1)
	var known uint8
	var unknown map[string]struct{} // foldKey of each unknown name
	for rest, more := s, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ";")
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		sc, bit := parseScenario(part)
		if bit != 0 {
			if known&bit != 0 {
				continue
			}
			known |= bit
		} else {
			if unknown == nil {
				unknown = make(map[string]struct{})
			}
			k := foldKey(part)
			if _, dup := unknown[k]; dup {
				continue
			}
			unknown[k] = struct{}{}
		}
		out = append(out, sc)
	}
	if len(out) == 0 {
		return nil // only separators
	}
	return out
}

// foldKey returns s under Unicode simple case folding, as strings.EqualFold
// compares: foldKey(a) == foldKey(b) exactly when strings.EqualFold(a, b).
// Each rune becomes the least rune of its folding orbit (for an ASCII
// letter, its upper case; for invalid UTF-8, U+FFFD), and s itself is
// returned when that changes nothing.
func foldKey(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c >= 'a' && c <= 'z' {
			b := make([]byte, 0, len(s))
			for _, r := range s {
				least := r
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					least = min(least, f)
				}
				b = utf8.AppendRune(b, least)
			}
			return string(b)
		}
	}
	return s
}

// A boolean as it is spelt in a file.
type boolSpelling uint8

const (
	boolInvalid   boolSpelling = iota // not a boolean
	boolCanonical                     // true or false, in any case
	boolOther                         // yes/no, y/n, 1/0, in any case
)

// parseBool reads true/false, yes/no, y/n and 1/0, in any case, around
// white space.
func parseBool(s string) (bool, boolSpelling) {
	switch s {
	case "True":
		return true, boolCanonical
	case "False":
		return false, boolCanonical
	}
	switch s = strings.TrimSpace(s); len(s) {
	case 1:
		switch s[0] {
		case 'y', 'Y', '1':
			return true, boolOther
		case 'n', 'N', '0':
			return false, boolOther
		}
	case 2:
		if strings.EqualFold(s, "no") {
			return false, boolOther
		}
	case 3:
		if strings.EqualFold(s, "yes") {
			return true, boolOther
		}
	case 4:
		if strings.EqualFold(s, "true") {
			return true, boolCanonical
		}
	case 5:
		if strings.EqualFold(s, "false") {
			return false, boolCanonical
		}
	}
	return false, boolInvalid
}

func boolMessage(column, v string) string {
	if strings.TrimSpace(v) == "" {
		return fmt.Sprintf("the %s column is empty; write True or False", column)
	}
	return fmt.Sprintf("the %s value %s is not a boolean; write True or False", column, quote(v))
}

// A contactReader reads the records of a contacts file, streaming, with the
// same header handling, options, row and line numbers, limits and empty
// rows as a Reader of user groups.
//
// Username, Addressee and Address are returned as they are in the file.
// Type, Role and the scenarios are matched without regard to case or
// surrounding space and returned in their canonical form, or as written
// (trimmed) when unknown, for Check to report. Booleans are read from
// true/false, yes/no, y/n and 1/0, in any case.
type contactReader struct {
	t *table
}

// newContactReader returns a contactReader that reads from r. Options that
// get bad input make the first Read return the error.
func newContactReader(r io.Reader, opts ...ReaderOption) *contactReader {
	return &contactReader{t: newTable(r, contacts, opts)}
}

// Read returns the next record, or io.EOF after the last one. Its errors
// are those of Reader.Read, and one more: a primary that is empty or not a
// boolean, or an sms that is neither empty nor a boolean, is a *ParseError
// of "invalid-boolean", returned with a contactRecord carrying only its Row
// and Line;
// the next Read goes on with the next row. A row whose fields are all empty
// is a contactRecord with Empty set, a zero Contact and a nil error.
func (r *contactReader) Read() (contactRecord, error) {
	fields, line, f, err := r.t.next()
	if err != nil {
		return contactRecord{}, err
	}
	rec := contactRecord{Row: r.t.row, Line: line}
	if f != nil {
		rec.Empty = f == emptyRow
		return rec, f.parseError(rec.Row, line)
	}
	idx := r.t.hdr.index
	var v [numContactColumns]string
	for ci, fi := range idx {
		v[ci] = fields[fi]
	}
	primary, ok := parseBool(v[ccPrimary])
	if ok == boolInvalid {
		return rec, &ParseError{Row: rec.Row, Line: line, Column: columnPrimary, Code: codeInvalidBoolean, msg: boolMessage(columnPrimary, v[ccPrimary])}
	}
	var sms OptionalBool
	if strings.TrimSpace(v[ccSMS]) != "" {
		b, ok := parseBool(v[ccSMS])
		if ok == boolInvalid {
			return rec, &ParseError{Row: rec.Row, Line: line, Column: columnSMS, Code: codeInvalidBoolean, msg: boolMessage(columnSMS, v[ccSMS])}
		}
		sms = OptionalBoolOf(b)
	}
	typ, _ := parseContactType(v[ccType])
	role, _ := parseContactRole(v[ccRole])
	rec.Contact = Contact{
		Username:  v[ccUsername],
		Type:      typ,
		Role:      role,
		Primary:   primary,
		Addressee: v[ccAddressee],
		Address:   v[ccContact],
		SMS:       sms,
		Scenarios: parseScenarios(v[ccScenarios]),
	}
	return rec, nil
}

// All returns an iterator over the remaining records, as Reader.All does.
func (r *contactReader) All() iter.Seq2[contactRecord, error] {
	return all(r.t, r.Read)
}

// A ContactWriter writes contact rows in the canonical form: the header
// "username,type,role,primary,addressee,contact,sms,scenarios", then one
// line per row with RFC 4180 quoting. As the known field script does, it
// writes type and role in lower case, booleans as True and False (an sms
// not given as an empty value), and the scenarios in upper case, separated
// by ';'. Lines end in LF.
//
// Like the Writer, it is an encoder, not a validator: it writes any value,
// including values that Check would reject. A scenario holding ';' does not
// read back as one.
//
// Output is buffered; call Flush when done, and check its error.
type ContactWriter struct {
	w  canonWriter
	sb strings.Builder
}

// NewContactWriter returns a ContactWriter that writes to w.
func NewContactWriter(w io.Writer) *ContactWriter {
	return &ContactWriter{w: canonWriter{cw: csv.NewWriter(w), header: contactColumns[:]}}
}

// Write writes one row, preceded by the header if it is the first. It
// returns an error only if the underlying writer failed; the same error is
// returned by Flush.
func (w *ContactWriter) Write(c Contact) error {
	w.sb.Reset()
	for i, s := range c.Scenarios {
		if i > 0 {
			w.sb.WriteByte(';')
		}
		w.sb.WriteString(strings.ToUpper(string(s)))
	}
	return w.w.write(c.Username, strings.ToLower(string(c.Type)), strings.ToLower(string(c.Role)),
		OptionalBoolOf(c.Primary).String(), c.Addressee, c.Address, c.SMS.String(), w.sb.String())
}

// Flush writes any buffered data to the underlying writer, and the header
// alone if no row was written. It returns the first error met while
// writing.
func (w *ContactWriter) Flush() error {
	return w.w.flush()
}
