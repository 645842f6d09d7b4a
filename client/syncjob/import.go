package syncjob

import (
	"context"
	"errors"
	"iter"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
)

// An Import describes one autoSync import to a sync job: its name (part of
// the journal key), its canonical header, how an export is read and checked,
// and how rows are posted. The package defines the imports it supports:
// UserGroups(), and Contacts for each mode of the contacts import.
//
// Every import's rows are keyed by username, its first column. A user's rows
// are one unit: when any of them changed, all of them are sent again.
type Import struct {
	name   string
	header []string
	// noun names an item in messages: "membership", "contact".
	noun string
	// rules says whether the import's check reads csvspec.Rules.
	rules bool
	// validate, if not nil, says whether the import can be posted at all
	// (the contacts import's mode).
	validate func() error
	// items lists the column groups whose values are what a user holds in
	// Infiniti: a row gives one item per group whose values are not all
	// empty. For user groups, [[1] [2]]: a library group and a system group
	// are memberships of their own, whichever row carries them.
	items [][]int
	// intern marks the columns whose values repeat across users (group
	// names) and are kept once in a snapshot.
	intern []bool
	// failureCols are the columns the failures file shows for a row.
	failureCols []int
	// rowChecker returns the import's row checks, ready for many rows.
	rowChecker func(rules csvspec.Rules) func(row *csvspec.SourceRow)
	// post sends rows to the import.
	post func(ctx context.Context, c *client.Client, rows iter.Seq[Row]) (*result.Result, error)
}

// Name returns the import's name as it appears in the journal key, such as
// "user-groups".
func (imp *Import) Name() string { return imp.name }

// Header returns the import's canonical header. The slice is new on every
// call.
func (imp *Import) Header() []string { return append([]string(nil), imp.header...) }

// UserGroups returns the user-groups import (POST /api/import/userGroups):
// rows of username, library-group and system-group. A user holds the
// library groups and the system groups its rows name; which row names
// which does not matter. It is the Job's import when Job.Import is nil.
func UserGroups() *Import { return userGroups }

// userGroups is the one user-groups import.
var userGroups = newUserGroups()

func newUserGroups() *Import {
	return &Import{
		name:        "user-groups",
		header:      csvspec.Header(),
		noun:        "membership",
		rules:       true,
		items:       [][]int{{1}, {2}},
		intern:      []bool{false, true, true},
		failureCols: []int{0, 1, 2},
		rowChecker:  csvspec.Rules.RowChecker,
		post: func(ctx context.Context, c *client.Client, rows iter.Seq[Row]) (*result.Result, error) {
			return c.ImportUserGroupRows(ctx, func(yield func(csvspec.UserGroup) bool) {
				for r := range rows {
					if !yield(r.UserGroup()) {
						return
					}
				}
			})
		},
	}
}

// usable returns an error for an Import that the package did not make: the
// zero Import, or a copy of one that was changed.
func (imp *Import) usable() error {
	if imp == nil || imp.name == "" || len(imp.header) == 0 || len(imp.intern) != len(imp.header) ||
		imp.rowChecker == nil || imp.post == nil {
		return errors.New("syncjob: the Import is not one the package made (the zero Import, say); use syncjob.UserGroups() or syncjob.Contacts(mode), or leave Job.Import nil for user groups")
	}
	return nil
}

// A Row is one row of an export in the import's canonical form, with the
// line of the export it came from.
type Row struct {
	// Line is the physical line of the export the row starts on (the header
	// is line 1); 0 for a row that did not come from an export.
	Line int
	// Fields are the row's values in the order of the import's Header;
	// Fields[0] is the username. Each Row has a slice of its own.
	Fields []string
}

// Username returns the row's username, Fields[0].
func (r Row) Username() string {
	if len(r.Fields) == 0 {
		return ""
	}
	return r.Fields[0]
}

// UserGroup returns the row as a csvspec.UserGroup. It is meant for rows of
// the UserGroups import; for a row with fewer fields the missing ones are
// empty.
func (r Row) UserGroup() csvspec.UserGroup {
	var f [3]string
	copy(f[:], r.Fields)
	return csvspec.UserGroup{Username: f[0], LibraryGroup: f[1], SystemGroup: f[2]}
}
