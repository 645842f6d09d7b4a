package client

import (
	"context"
	"fmt"
	"io"
	"iter"
	"strings"
	"unicode/utf8"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
)

// UserContactsPath is the path of the contacts import, below the base
// URL; the mode follows it as the last segment.
const UserContactsPath = "/api/import/userContacts/"

const userContactsFile = "user-contacts.csv" // see userGroupsFile

// ContactsMode is the mode of the contacts import: the last segment of its
// path, which says what Infiniti does with the contacts it already has.
type ContactsMode string

// ContactsReplaceDeclaredPatronsKeepCustomContacts replaces the contacts
// of the patrons the file names, and keeps the contacts that were added
// by hand in Infiniti. It is the one mode seen in the field (a school's
// script); other modes exist, but their names are not published.
const ContactsReplaceDeclaredPatronsKeepCustomContacts ContactsMode = "replaceDeclaredPatronsKeepCustomContacts"

// Validate returns nil if m can be sent: one path segment of 1 to 100
// ASCII letters, digits, - and _. Infiniti may still not know it (a 404,
// ErrNotFound). The error matches ErrInvalidPath.
func (m ContactsMode) Validate() error {
	const rule = "a mode is one path segment of"
	bad := func(msg string) error { return &pathError{msg: "client: the contacts mode " + msg} }
	at := strings.IndexFunc(string(m), func(r rune) bool { return !isSegmentRune(r) })
	switch {
	case m == "":
		return bad("is empty; the mode seen in the field is " + string(ContactsReplaceDeclaredPatronsKeepCustomContacts))
	case len(m) > 100:
		return bad(fmt.Sprintf("is %d bytes long; %s at most 100 letters, digits, - and _", len(m), rule))
	case at >= 0:
		r, _ := utf8.DecodeRuneInString(string(m[at:]))
		return bad(fmt.Sprintf("%q has %q at byte %d; %s letters, digits, - and _ only, such as %s", string(m), r, at+1, rule, ContactsReplaceDeclaredPatronsKeepCustomContacts))
	}
	return nil
}

// ImportUserContacts posts a contacts CSV (header username, type, role,
// primary, addressee, contact, sms, scenarios) to UserContactsPath+mode,
// as Import does. A mode that Validate refuses is an error, and nothing is
// sent. The answer, whose shape is not documented, is read as a
// user-groups result.
func (c *Client) ImportUserContacts(ctx context.Context, mode ContactsMode, csv io.Reader) (*result.Result, error) {
	if err := mode.Validate(); err != nil {
		return refused(ctx, err)
	}
	return c.do(ctx, UserContactsPath+string(mode), csv, userContactsFile)
}

// ImportUserContactRows encodes rows with csvspec.ContactWriter, in its
// canonical form, and posts them as ImportUserContacts does, held in
// memory as ImportUserGroupRows holds its rows.
func (c *Client) ImportUserContactRows(ctx context.Context, mode ContactsMode, rows iter.Seq[csvspec.Contact]) (*result.Result, error) {
	if err := mode.Validate(); err != nil {
		return refused(ctx, err)
	}
	return importRows(ctx, c, UserContactsPath+string(mode), userContactsFile, rows, func(w io.Writer) rowWriter[csvspec.Contact] { return csvspec.NewContactWriter(w) })
}
