package csvspec

import (
	"fmt"
	"io"
	"net/mail"
	"strings"
	"unicode"
)

// The stable codes of the problems CheckContacts reports, besides the
// codes of the file, the header and the records that it shares with Check
// (and CodeMissingUsername, CodeSurroundingSpace, CodeDuplicateRow).
const (
	// Errors.
	CodeUnknownContactType = "unknown-contact-type" // type is neither email nor phone
	CodeUnknownContactRole = "unknown-contact-role" // role is neither patron nor guardian
	CodeInvalidBoolean     = "invalid-boolean"      // primary, or a non-empty sms, is not a boolean
	CodeMissingContact     = "missing-contact"      // the contact column is empty
	CodeInvalidEmail       = "invalid-email"        // an email contact is not a single bare address
	CodePhoneWithoutDigits = "phone-without-digits" // a phone contact holds no digit
	CodeUnknownScenario    = "unknown-scenario"     // a scenario is not one of the known ones

	// Warnings.
	CodeBooleanSpelling     = "boolean-spelling"           // a boolean spelt yes/no, y/n or 1/0 rather than true/false
	CodeSMSOnEmail          = "sms-on-email"               // sms is true on an email contact
	CodeScenarioCombination = "scenario-combination"       // ANY or NONE combined with other scenarios
	CodeScenarioFormat      = "scenario-format"            // empty scenario names, or spaces around a ';'
	CodeMultiplePrimary     = "multiple-primary"           // a second primary contact of the same username, type and role (and guardian's addressee)
	CodeGuardianAddressee   = "guardian-without-addressee" // a guardian's contact has no addressee
)

// validEmail reports whether s, around white space, parses with net/mail
// as one bare address: no display name, comment or angle brackets.
func validEmail(s string) bool {
	s = strings.TrimSpace(s)
	if plainEmail(s) {
		return true // what net/mail would say, without its allocations
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && !strings.HasSuffix(s, ">")
}

// plainEmail reports whether s is local@domain where both parts are
// dot-atoms of ASCII letters, digits and "_%+-": no empty part, no dot at
// either end, no two dots together. net/mail parses every such s as the
// bare address s (an addr-spec of two dot-atoms, all of whose characters
// are atext), so validEmail may skip it; the converse does not hold, and
// other addresses go to net/mail.
func plainEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && dotAtom(s[:at]) && dotAtom(s[at+1:])
}

func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '%', c == '+', c == '-':
		case c == '.':
			if s[i-1] == '.' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// phoneDigits reports whether a phone number has a digit, after a label
// such as "(H)" or "(M1)": a parenthesis that starts with a letter.
func phoneDigits(s string) bool {
	if len(s) > 1 && s[0] == '(' {
		if end := strings.IndexByte(s, ')'); end > 0 && unicode.IsLetter(rune(s[1])) {
			s = s[end+1:]
		}
	}
	for _, r := range s {
		if unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// CheckContacts reads a contacts file and reports its problems, in one
// streaming pass. It is CheckContactsEach without a callback.
func CheckContacts(r io.Reader, opts ...ReaderOption) (*Report, error) {
	return CheckContactsEach(r, nil, opts...)
}

// CheckContactsEach reads a contacts file and reports its problems, as
// CheckEach does for user groups: it counts every problem, streams every
// problem to each (when not nil) in file order, keeps the first
// MaxProblemsPerCode of each code, and stops on an error from each,
// returning it as it is. It takes the same options as NewContactReader.
// Memory grows only with distinct rows and primary contacts (to spot
// duplicates), by 21 to 43 bytes each.
//
// Besides the problems of the file, the header and the records that Check
// reports (a wrong encoding or separator, missing columns, field counts,
// quoting, repeated headers, empty rows, invalid UTF-8, control
// characters), its errors are: an empty username; invisible format
// characters (Unicode Cf) in the username (they are legitimate in other
// columns, in names written in Persian or Indic scripts); a type other
// than email or phone, or a role other than patron or guardian (in any
// case); a primary, or a non-empty sms, that is not a boolean; an empty
// contact; an email contact that does not parse with net/mail as a single
// bare address; a phone contact with no digit; an unknown scenario. Its
// warnings are: a boolean spelt yes/no, y/n or 1/0 (which Infiniti may not
// read: post the file a ContactWriter rewrites, which writes True and
// False); sms true on an email; ANY or NONE combined with other scenarios;
// empty scenario names or spaces around a ';'; more than one primary
// contact of one username, type and role (for guardians, of one addressee
// too, so that a household of two guardians is fine); a guardian contact
// with no addressee; surrounding white space; a row that repeats an earlier
// one exactly.
func CheckContactsEach(r io.Reader, each func(Problem) error, opts ...ReaderOption) (*Report, error) {
	t := newTable(r, contacts, opts)
	var seen, primaries rowSet
	return runCheck(t, each, "which may become part of the value in Infiniti; trim it", func(c *run, fields []string) {
		var v [numContactColumns]string
		for ci, fi := range t.hdr.index {
			v[ci] = fields[fi]
		}
		for ci := range v {
			c.checkValue(contactColumns[ci], v[ci], ci == ccUsername)
		}
		if strings.TrimSpace(v[ccUsername]) == "" {
			c.addRow(ColumnUsername, CodeMissingUsername, SeverityError, "the username is empty; every row needs the username of an existing Infiniti user, or remove the row")
		}
		typ, typOK := parseContactType(v[ccType])
		if !typOK {
			c.addRow(ColumnType, CodeUnknownContactType, SeverityError, fmt.Sprintf("the type %s is neither email nor phone; write email or phone", quote(v[ccType])))
		}
		role, roleOK := parseContactRole(v[ccRole])
		if !roleOK {
			c.addRow(ColumnRole, CodeUnknownContactRole, SeverityError, fmt.Sprintf("the role %s is neither patron nor guardian; write patron or guardian", quote(v[ccRole])))
		}
		primary := c.checkBool(ColumnPrimary, v[ccPrimary])
		sms := false
		if strings.TrimSpace(v[ccSMS]) != "" {
			sms = c.checkBool(ColumnSMS, v[ccSMS])
		}
		switch address := strings.TrimSpace(v[ccContact]); {
		case address == "":
			c.addRow(ColumnContact, CodeMissingContact, SeverityError, "the contact is empty; give the email address or phone number, or remove the row")
		case typ == ContactEmail && !validEmail(address):
			c.addRow(ColumnContact, CodeInvalidEmail, SeverityError, fmt.Sprintf("the email address %s is not a single bare address such as name@example.com; correct it, without a name, angle brackets or a second address", quote(v[ccContact])))
		case typ == ContactPhone && !phoneDigits(address):
			c.addRow(ColumnContact, CodePhoneWithoutDigits, SeverityError, fmt.Sprintf("the phone number %s has no digit; correct it, or remove the row", quote(v[ccContact])))
		}
		if sms && typ == ContactEmail {
			c.addRow(ColumnSMS, CodeSMSOnEmail, SeverityWarning, "sms is true on an email contact, which cannot receive SMS; set it to False or leave it empty")
		}
		c.checkScenarios(v[ccScenarios])
		addressee := ""
		if role == RoleGuardian {
			addressee = strings.TrimSpace(v[ccAddressee])
			if addressee == "" {
				c.addRow(ColumnAddressee, CodeGuardianAddressee, SeverityWarning, "the guardian's contact has no addressee, so notices cannot say whom they are for; give the guardian's name or a salutation such as \"Mr and Mrs Smith\"")
			}
		}
		if primary && typOK && roleOK {
			key := [4]string{v[ccUsername], string(typ), string(role), addressee}
			if first := primaries.insert(newRowKey(key), c.row); first != 0 {
				whose := "the patron's"
				if role == RoleGuardian {
					whose = fmt.Sprintf("the guardian %s's", quote(addressee))
				}
				c.addRow(ColumnPrimary, CodeMultiplePrimary, SeverityWarning, fmt.Sprintf("row %d is already %s primary %s of %s; mark one of them primary", first, whose, typ, quote(v[ccUsername])))
			}
		}
		if first := seen.insert(newRowKey(v), c.row); first != 0 {
			c.addRow("", CodeDuplicateRow, SeverityWarning, fmt.Sprintf("the row repeats row %d exactly; remove one of them", first))
		}
	})
}

// checkBool reports a value of a boolean column that is not a boolean, or
// that is spelt otherwise than true or false, and returns its value.
func (c *run) checkBool(column, v string) bool {
	b, spelling := parseBool(v)
	switch spelling {
	case boolInvalid:
		c.addRow(column, CodeInvalidBoolean, SeverityError, boolMessage(column, v))
	case boolOther:
		c.addRow(column, CodeBooleanSpelling, SeverityWarning, fmt.Sprintf("the %s value %s is read as %v, but whether Infiniti reads this spelling is not known; post the file a ContactWriter rewrites from this one, which writes %s",
			column, quote(v), b, OptionalBoolOf(b)))
	}
	return b
}

// checkScenarios reports unknown scenarios, ANY or NONE combined with
// others, and a list with empty names or spaces around a ';'.
func (c *run) checkScenarios(v string) {
	v = strings.TrimSpace(v) // surrounding space is a warning of its own
	if v == "" {
		return
	}
	var unknown []string
	n, alone, untidy := 0, Scenario(""), false
	for rest, more := v, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ";")
		name := strings.TrimSpace(part)
		if name != part || name == "" {
			untidy = true
		}
		if name == "" {
			continue
		}
		n++
		sc, ok := parseScenario(name)
		switch {
		case !ok:
			unknown = append(unknown, name)
		case sc == ScenarioAny || sc == ScenarioNone:
			alone = sc
		}
	}
	if len(unknown) > 0 {
		c.addRow(ColumnScenarios, CodeUnknownScenario, SeverityError, fmt.Sprintf("%s %s not a scenario Infiniti knows; use ANY, NONE, or some of OVERDUE, OVERDUE_ESCALATION_ONE, OVERDUE_ESCALATION_TWO and OVERDUE_ESCALATION_THREE, separated by ';'",
			quoteList(unknown, 3), plural(len(unknown), "is", "are")))
	}
	if alone != "" && n > 1 {
		c.addRow(ColumnScenarios, CodeScenarioCombination, SeverityWarning, fmt.Sprintf("%s is combined with other scenarios in %s; give %s alone, or only the other scenarios", alone, quote(v), alone))
	}
	if untidy {
		c.addRow(ColumnScenarios, CodeScenarioFormat, SeverityWarning, fmt.Sprintf("the scenarios %s have an empty name or spaces around a ';'; a file a ContactWriter rewrites from this one writes them without", quote(v)))
	}
}
