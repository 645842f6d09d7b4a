package syncjob

import (
	"context"
	"iter"
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
// each, read with csvspec.ReadRows and checked (and spelt canonically) with
// csvspec.CheckContactRow. The one mode seen in the field is
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
// import to the plan and to the journal.
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
		rowChecker: func(csvspec.Rules) func(*csvspec.SourceRow) { return csvspec.CheckContactRow },
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
