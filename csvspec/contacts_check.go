package csvspec

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"io"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// validEmail reports whether s is one bare address as net/mail writes it.
func validEmail(s string) bool {
	s = strings.TrimSpace(s)
	if plainEmail(s) {
		return true // what net/mail would say, without its allocations
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && (a.Address == s || a.String() == "<"+s+">") && firstRune(s, isInvisible) < 0
}

// plainEmail reports whether s is local@domain of two ASCII dot-atoms.
func plainEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && dotAtom(local) && dotAtom(domain)
}

func dotAtom(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '%' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return s != "" && s[0] != '.' && s[len(s)-1] != '.' && !strings.Contains(s, "..")
}

// phoneDigits reports whether s has a digit 0 to 9 after a label such as "(H)".
func phoneDigits(s string) bool {
	if _, rest, ok := strings.Cut(s, ")"); ok && strings.HasPrefix(s, "(") {
		s = rest
	}
	return strings.ContainsAny(s, "0123456789")
}

// CheckContacts reads a contacts file and reports its problems, as Check
// does for user groups. It reads type, role and scenarios in any case, and
// booleans as true/false, yes/no, y/n or 1/0, warning about the spellings
// Infiniti may not read. Invisible characters are an error only in the
// username: names in Persian or Indic scripts hold them. Two primaries of
// a guardian are compared by addressee, in any case or spacing; a
// duplicate is a row that means the same as an earlier one.
func CheckContacts(r io.Reader, opts ...ReaderOption) (*Report, error) {
	seen := dupFinder{code: "duplicate-row", format: "the row repeats row %d (the same contact, perhaps spelt otherwise)"}
	patrons := dupFinder{column: "primary", code: "multiple-primary", format: "row %d is already the patron's primary contact of this type"}
	guardians := dupFinder{column: "primary", code: "multiple-primary", format: "row %d is already this guardian's primary contact of this type"}
	var key []byte // the canonical key of a row, reused
	return runCheck(newTable(r, contacts, opts), func(c *run, vals []string) {
		v := (*[numContactColumns]string)(vals)
		k := checkContact(&c.rowCheck, v)
		if k.primary == BoolTrue && k.typOK && k.roleOK {
			key = appendKey(key[:0], v[ccUsername], string(k.typ))
			primaries := &patrons
			if k.role == RoleGuardian {
				key, primaries = appendFolded(key, v[ccAddressee]), &guardians // last in the key: no length needed
			}
			primaries.add(maphash.Bytes(rowSeed, key), c.row, c.line)
		}
		// A duplicate means the same: the scenarios in any order, booleans in any spelling.
		key = appendKey(key[:0], v[ccUsername], strings.ToLower(string(k.typ)), strings.ToLower(string(k.role)),
			boolKey(k.primary, k.primaryOK, v[ccPrimary]), v[ccAddressee], v[ccContact], boolKey(k.sms, k.smsOK, v[ccSMS]))
		key = append(key, k.known)
		key = appendKey(key, k.unknown...)
		seen.add(maphash.Bytes(rowSeed, key), c.row, c.line)
	}, &patrons, &guardians, &seen)
}

// contactFields is what checkContact read from a contacts row.
type contactFields struct {
	typ              ContactType
	role             ContactRole
	typOK, roleOK    bool
	primary, sms     OptionalBool // BoolNotGiven when empty or not a boolean
	primaryOK, smsOK bool
	known            byte     // the known scenarios, as a bit set
	unknown          []string // the unknown scenarios, folded, sorted
}

// checkContact checks one contacts row but for repeats and primaries.
func checkContact(c *rowCheck, v *[numContactColumns]string) (k contactFields) {
	for ci := range v {
		c.checkValue(contactColumns[ci], v[ci], ci == ccUsername)
	}
	c.checkUsername(v[ccUsername])
	var ti, ri int
	k.typ, ti = parseKnown(v[ccType], ContactEmail, ContactPhone)
	k.role, ri = parseKnown(v[ccRole], RolePatron, RoleGuardian)
	k.typOK, k.roleOK = ti >= 0, ri >= 0
	if !k.typOK {
		c.addRow("type", CodeUnknownContactType, SeverityError, fmt.Sprintf("the type %s is neither email nor phone", quote(v[ccType])))
	}
	if !k.roleOK {
		c.addRow("role", CodeUnknownContactRole, SeverityError, fmt.Sprintf("the role %s is neither patron nor guardian", quote(v[ccRole])))
	}
	k.primary, k.primaryOK = c.checkBool("primary", v[ccPrimary])
	if k.smsOK = true; strings.TrimSpace(v[ccSMS]) != "" {
		k.sms, k.smsOK = c.checkBool("sms", v[ccSMS])
	}
	switch address := strings.TrimSpace(v[ccContact]); {
	case address == "":
		c.addRow("contact", CodeMissingContact, SeverityError, "the contact is empty")
	case k.typ == ContactEmail && !validEmail(address):
		msg := fmt.Sprintf("the email address %s is not a single bare address such as name@example.com", quote(v[ccContact]))
		if r := firstRune(address, isInvisible); r >= 0 {
			msg = fmt.Sprintf("the email address %s holds the invisible character %U", quote(v[ccContact]), r)
		}
		c.addRow("contact", CodeInvalidEmail, SeverityError, msg)
	case k.typ == ContactPhone && !phoneDigits(address):
		msg := fmt.Sprintf("the phone number %s has no digit", quote(v[ccContact]))
		if strings.ContainsFunc(address, unicode.IsDigit) {
			msg = fmt.Sprintf("the phone number %s has no digit 0 to 9 outside a label in parentheses such as (H)", quote(v[ccContact]))
		}
		c.addRow("contact", "phone-without-digits", SeverityError, msg)
	}
	if k.sms == BoolTrue && k.typ == ContactEmail {
		c.addRow("sms", "sms-on-email", SeverityWarning, "sms is true on an email contact")
	}
	k.known, k.unknown = c.checkScenarios(v[ccScenarios])
	if k.role == RoleGuardian && strings.TrimSpace(v[ccAddressee]) == "" {
		c.addRow("addressee", "guardian-without-addressee", SeverityWarning, "the guardian's contact has no addressee")
	}
	return k
}

// appendFolded appends s to a key folded: "Mr  Smith " as "mr smith".
func appendFolded(key []byte, s string) []byte {
	space := false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space {
			key, space = append(key, ' '), false
		}
		key = utf8.AppendRune(key, unicode.ToLower(r))
	}
	return key
}

// boolKey returns a boolean's form in a row key: as a ContactWriter writes it, or raw.
func boolKey(b OptionalBool, ok bool, raw string) string {
	if ok {
		return b.String()
	}
	return raw
}

// checkBool checks a boolean value, and returns it and whether it is one.
func (c *rowCheck) checkBool(column, v string) (OptionalBool, bool) {
	b, ok, canonical := parseBool(v)
	switch {
	case !ok:
		msg := fmt.Sprintf("the %s value %s is not a boolean", column, quote(v))
		if strings.TrimSpace(v) == "" {
			msg = fmt.Sprintf("the %s column is empty", column)
		}
		c.addRow(column, "invalid-boolean", SeverityError, msg)
		return BoolNotGiven, false
	case !canonical:
		c.addRow(column, CodeBooleanSpelling, SeverityWarning, fmt.Sprintf("the %s value %s is read as %v, but whether Infiniti reads this spelling is not known",
			column, quote(v), b))
	}
	return OptionalBoolOf(b), true
}

// checkScenarios returns the known scenarios' bits (1<<i for knownScenarios[i])
// and the unknown ones' foldKeys, sorted.
func (c *rowCheck) checkScenarios(v string) (known byte, unknown []string) {
	v = strings.TrimSpace(v) // surrounding space is a warning of its own
	if v == "" {
		return 0, nil
	}
	var raw []string         // the unknown names as written
	var seen map[string]bool // their foldKeys: a value may hold 100,000 names
	alone, twice, untidy := Scenario(""), "", false
	for part := range strings.SplitSeq(v, ";") {
		name := strings.TrimSpace(part)
		if untidy = untidy || name != part || name == ""; name == "" {
			continue
		}
		sc, i := parseKnown(name, knownScenarios[:]...)
		key := ""
		if i < 0 {
			key = foldKey(name)
		}
		switch {
		case i >= 0 && known&(1<<i) != 0, i < 0 && seen[key]:
			twice = cmp.Or(twice, string(sc))
		case i >= 0:
			if known |= 1 << i; sc == ScenarioAny || sc == ScenarioNone {
				alone = sc
			}
		default:
			if seen == nil {
				seen = make(map[string]bool)
			}
			seen[key] = true
			unknown, raw = append(unknown, key), append(raw, name)
		}
	}
	if len(raw) > 0 {
		c.addRow("scenarios", CodeUnknownScenario, SeverityError, fmt.Sprintf("%s %s not a scenario Infiniti knows", quoteList(raw, 3), plural(len(raw), "is", "are")))
	}
	if alone != "" && (known != byte(1)<<slices.Index(knownScenarios[:], alone) || len(unknown) > 0) {
		c.addRow("scenarios", "scenario-combination", SeverityWarning, fmt.Sprintf("%s is combined with other scenarios in %s", alone, quote(v)))
	}
	var why []string
	if twice != "" {
		why = append(why, "name "+quote(twice)+" more than once")
	}
	if untidy {
		why = append(why, "have an empty name or spaces around a ';'")
	}
	if len(why) > 0 {
		c.addRow("scenarios", CodeScenarioFormat, SeverityWarning, fmt.Sprintf("the scenarios %s %s", quote(v), strings.Join(why, ", and ")))
	}
	slices.Sort(unknown)
	return known, unknown
}
