package csvspec

import (
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"unicode"
)

var contactColumns = [numContactColumns]string{ColumnUsername, "type", "role", "primary", "addressee", "contact", "sms", "scenarios"}

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

var contacts = &schema{kind: "contacts", columns: contactColumns[:], brief: "username,type,role,…"}

// ContactHeader returns the canonical header of a contacts file, in a new
// slice.
func ContactHeader() []string { return slices.Clone(contactColumns[:]) }

// A ContactType is the kind of a contact: ContactEmail or ContactPhone.
type ContactType string

// The known contact types.
const (
	ContactEmail ContactType = "email" // the contact is an email address
	ContactPhone ContactType = "phone" // the contact is a phone number, a mobile's or a landline's
)

// A ContactRole says whose contact it is: the patron's own, or a guardian's.
type ContactRole string

// The known contact roles.
const (
	RolePatron   ContactRole = "patron"   // the patron's own contact
	RoleGuardian ContactRole = "guardian" // a contact of one of the patron's guardians, named by the addressee
)

// A Scenario is a kind of notice a contact receives.
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

// An OptionalBool is a boolean that may be absent, as sms may be.
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

// String returns "True", "False" or "", as the ContactWriter writes it.
func (b OptionalBool) String() string {
	if b > BoolTrue {
		return ""
	}
	return [...]string{BoolNotGiven: "", BoolFalse: "False", BoolTrue: "True"}[b]
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

// parseKnown returns what s names in known, in any case, and its index; or s trimmed and -1.
func parseKnown[T ~string](s string, known ...T) (T, int) {
	if i := slices.Index(known, T(s)); i >= 0 {
		return known[i], i
	}
	s = strings.TrimSpace(s)
	for i, k := range known {
		if strings.EqualFold(s, string(k)) {
			return k, i
		}
	}
	return T(s), -1
}

// foldKey(a) == foldKey(b) exactly when strings.EqualFold(a, b).
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}

// parseBool reads true/false (canonical), yes/no, y/n and 1/0, in any case.
func parseBool(s string) (value, ok, canonical bool) {
	switch s {
	case "True", "False":
		return s == "True", true, true
	}
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case "true", "false":
		return s == "true", true, true
	case "yes", "y", "1", "no", "n", "0":
		return s[0] == 'y' || s[0] == '1', true, false
	}
	return false, false, false
}

// A ContactWriter writes contact rows in the canonical form, as a Writer
// does: type and role in lower case, booleans as True and False, the
// scenarios in upper case, separated by ';'.
type ContactWriter struct{ cw *csv.Writer }

// NewContactWriter returns a ContactWriter that writes to w.
func NewContactWriter(w io.Writer) *ContactWriter {
	return &ContactWriter{cw: newCanonWriter(w, contactColumns[:])}
}

// Write writes one row, as Writer.Write does.
func (w *ContactWriter) Write(c Contact) error { return w.cw.Write(c.canonical()) }

// canonical returns the fields of c as a ContactWriter writes them.
func (c Contact) canonical() []string {
	var sc []string
	for _, s := range c.Scenarios {
		sc = append(sc, strings.ToUpper(string(s)))
	}
	return []string{c.Username, strings.ToLower(string(c.Type)), strings.ToLower(string(c.Role)),
		OptionalBoolOf(c.Primary).String(), c.Addressee, c.Address, c.SMS.String(), strings.Join(sc, ";")}
}

// Flush flushes, as Writer.Flush does.
func (w *ContactWriter) Flush() error { return (*Writer)(w).Flush() }
