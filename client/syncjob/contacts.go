package syncjob

import (
	"context"
	"io"
	"iter"
	"slices"
	"strings"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
)

// contactsName is the start of the name of every contacts import.
const contactsName = "user-contacts"

// Contacts returns the contacts import in mode (POST
// /api/import/userContacts/<mode>): rows of username, type, role, primary,
// addressee, contact, sms and scenarios, one email address or phone number
// each, read with csvspec.NewContactReader and checked with
// csvspec.CheckContactsEach. The one mode seen in the field is
// client.ContactsReplaceDeclaredPatronsKeepCustomContacts.
//
// Its name in the journal key is "user-contacts/" and the mode, so that two
// modes of one school keep states of their own, apart from the user-groups
// import's. A user's contacts are one unit: every contact row of a new or
// changed user is sent, which is what a mode that replaces the contacts of
// the users in the file needs. See the package documentation for what is
// compared and what counts against the removal limit.
//
// Contacts does not check mode: a Job with a mode that client.ContactsMode's
// Validate refuses returns that error from Run and Plan, and sends nothing.
// Each call returns a new *Import; imports of the same mode are the same
// import to Diff and to the journal.
func Contacts(mode client.ContactsMode) *Import {
	return &Import{
		name:   contactsName + "/" + string(mode),
		header: csvspec.ContactHeader(),
		noun:   "contact",
		// A contact row is one item: any change to it is a row lost and
		// a row gained.
		items: [][]int{{1, 2, 3, 4, 5, 6, 7}},
		// type, role, primary, sms and scenarios repeat across users;
		// addressees and addresses mostly do not.
		intern:      []bool{false, true, true, true, false, false, true, true},
		failureCols: []int{0, 1, 2, 5},
		validate: func() error {
			return mode.Validate()
		},
		read: readContacts,
		check: func(r io.Reader, _ csvspec.Rules, opts []csvspec.ReaderOption, each func(csvspec.Problem) error) (*csvspec.Report, error) {
			return csvspec.CheckContactsEach(r, each, opts...)
		},
		post: func(ctx context.Context, c *client.Client, rows iter.Seq[Row]) (*result.Result, error) {
			return c.ImportUserContactRows(ctx, mode, func(yield func(csvspec.Contact) bool) {
				for r := range rows {
					if !yield(r.Contact()) {
						return
					}
				}
			})
		},
	}
}

// The columns of a contacts row in its canonical header's order.
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

func readContacts(r io.Reader, opts []csvspec.ReaderOption, row func(line int, fields []string, err error) error) error {
	rd := csvspec.NewContactReader(r, opts...)
	var fields [numContactColumns]string
	var sc scenarioCanon
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if fatalReadError(err) {
				return err
			}
			if err := row(rec.Line, nil, err); err != nil {
				return err
			}
			continue
		}
		if rec.Empty {
			fields = [numContactColumns]string{} // dropped with the other all-empty rows
		} else {
			fields = canonicalContact(&rec.Contact, &sc)
		}
		if err := row(rec.Line, fields[:], nil); err != nil {
			return err
		}
	}
}

// canonicalContact returns the fields of c in the canonical form of a
// contacts state: type and role in lower case, booleans as True and False
// (an sms not given as ""), the scenarios in upper case, each once, in the
// order of csvspec's constants (ANY, NONE, OVERDUE, then the escalations one
// to three; unknown ones after them, sorted), joined with ';'. Rows whose
// fields are all empty are not given to it: the ContactReader marks them
// with ContactRecord.Empty. A row whose only value is a false primary is
// not empty: its primary is "False", and its empty username is an error.
func canonicalContact(c *csvspec.Contact, sc *scenarioCanon) [numContactColumns]string {
	return [numContactColumns]string{
		ccUsername:  c.Username,
		ccType:      lowerASCII(string(c.Type)),
		ccRole:      lowerASCII(string(c.Role)),
		ccPrimary:   csvspec.OptionalBoolOf(c.Primary).String(),
		ccAddressee: c.Addressee,
		ccContact:   c.Address,
		ccSMS:       c.SMS.String(),
		ccScenarios: sc.of(c.Scenarios),
	}
}

// knownScenarios are the scenarios in their canonical order.
var knownScenarios = [...]csvspec.Scenario{
	csvspec.ScenarioAny, csvspec.ScenarioNone, csvspec.ScenarioOverdue,
	csvspec.ScenarioOverdueEscalationOne, csvspec.ScenarioOverdueEscalationTwo, csvspec.ScenarioOverdueEscalationThree,
}

// scenarioCanon makes the canonical text of scenario lists. The lists of
// known scenarios, by far the most common, are made once each: a row costs
// no allocation for them.
type scenarioCanon struct {
	known [1 << len(knownScenarios)]string
	made  [1 << len(knownScenarios)]bool
}

func (sc *scenarioCanon) of(list []csvspec.Scenario) string {
	mask := 0
	var other []string
	for _, s := range list {
		if i := slices.Index(knownScenarios[:], s); i >= 0 {
			mask |= 1 << i
			continue
		}
		other = append(other, strings.ToUpper(string(s)))
	}
	if other == nil {
		if !sc.made[mask] {
			sc.known[mask], sc.made[mask] = joinScenarios(mask, nil), true
		}
		return sc.known[mask]
	}
	slices.Sort(other)
	return joinScenarios(mask, slices.Compact(other))
}

func joinScenarios(mask int, other []string) string {
	var parts []string
	for i, s := range knownScenarios {
		if mask&(1<<i) != 0 {
			parts = append(parts, string(s))
		}
	}
	return strings.Join(append(parts, other...), ";")
}

// lowerASCII returns s in lower case, s itself when it is already.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

// Contact returns the row as a csvspec.Contact. It is meant for rows of a
// Contacts import, whose fields are in the canonical form (booleans True or
// False, scenarios separated by ';'); for a row with fewer fields the
// missing ones are empty.
func (r Row) Contact() csvspec.Contact {
	var f [numContactColumns]string
	copy(f[:], r.Fields)
	c := csvspec.Contact{
		Username:  f[ccUsername],
		Type:      csvspec.ContactType(f[ccType]),
		Role:      csvspec.ContactRole(f[ccRole]),
		Primary:   f[ccPrimary] == "True",
		Addressee: f[ccAddressee],
		Address:   f[ccContact],
	}
	switch f[ccSMS] {
	case "True":
		c.SMS = csvspec.BoolTrue
	case "False":
		c.SMS = csvspec.BoolFalse
	}
	if f[ccScenarios] != "" {
		for s := range strings.SplitSeq(f[ccScenarios], ";") {
			c.Scenarios = append(c.Scenarios, csvspec.Scenario(s))
		}
	}
	return c
}
