package client

import (
	"context"
	"fmt"
	"io"
	"iter"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
)

// UserContactsPath is the path of the contacts import, below the base
// URL; the mode follows it as the last segment.
const UserContactsPath = "/api/import/userContacts/"

// userContactsFile is the file name of the multipart part for contacts.
const userContactsFile = "user-contacts.csv"

// ContactsMode is the mode of the contacts import: the last segment of its
// path, which says what Infiniti does with the contacts it already has.
type ContactsMode string

// ContactsReplaceDeclaredPatronsKeepCustomContacts replaces the contacts
// of the patrons the file names, and keeps the contacts that were added
// by hand in Infiniti. It is the one mode seen in the field (a school's
// script); other modes exist, but their names are not published.
const ContactsReplaceDeclaredPatronsKeepCustomContacts ContactsMode = "replaceDeclaredPatronsKeepCustomContacts"

// maxModeLen bounds a mode's length.
const maxModeLen = 100

// Validate returns nil if m can be sent: one path segment of 1 to 100
// ASCII letters, digits, - and _. It does not say that Infiniti knows the
// mode: only ContactsReplaceDeclaredPatronsKeepCustomContacts has been
// seen; other names are sent as they are, unverified, and an unknown one
// is likely to meet a 404 (ErrNotFound). The error, which matches
// ErrInvalidPath, names the first character that is not allowed.
func (m ContactsMode) Validate() error {
	switch {
	case m == "":
		return &pathError{msg: fmt.Sprintf("client: the contacts mode is empty; the mode seen in the field is %s", ContactsReplaceDeclaredPatronsKeepCustomContacts)}
	case len(m) > maxModeLen:
		return &pathError{msg: fmt.Sprintf("client: the contacts mode is %d bytes long; a mode is one path segment of at most %d letters, digits, - and _", len(m), maxModeLen)}
	}
	for i, r := range string(m) {
		if !isSegmentRune(r) {
			return &pathError{msg: fmt.Sprintf("client: the contacts mode %q has %q at byte %d; a mode is one path segment of letters, digits, - and _ only, such as %s", string(m), r, i+1, ContactsReplaceDeclaredPatronsKeepCustomContacts)}
		}
	}
	return nil
}

// ImportUserContacts posts a contacts CSV (header username, type, role,
// primary, addressee, contact, sms, scenarios) to the contacts import in
// mode, that is to UserContactsPath+mode, as a part named
// user-contacts.csv, and returns Infiniti's answer read as a result. A
// mode that Validate refuses is an error, and nothing is sent.
//
// The shape of the contacts import's answer is not documented; it is read
// as a user-groups result, and read fail-closed: a row whose outcome is
// not a known success counts as failed. See Import for the body, the
// errors and the retries.
func (c *Client) ImportUserContacts(ctx context.Context, mode ContactsMode, csv io.Reader) (*result.Result, error) {
	if err := mode.Validate(); err != nil {
		return refused(ctx, err)
	}
	return c.importFile(ctx, UserContactsPath+string(mode), csv, userContactsFile)
}

// ImportUserContactRows encodes rows with csvspec.ContactWriter while
// posting them to the contacts import in mode, as ImportUserContacts does
// with a file. The Writer writes the canonical form (booleans as
// True/False, lower-case type and role, upper-case scenarios), so rows
// read from an SMS export in another spelling are posted as Infiniti's
// own scripts write them. Like ImportUserGroupRows, the rows are encoded
// into memory first, and a failed attempt can always be re-sent.
func (c *Client) ImportUserContactRows(ctx context.Context, mode ContactsMode, rows iter.Seq[csvspec.Contact]) (*result.Result, error) {
	if err := mode.Validate(); err != nil {
		return refused(ctx, err)
	}
	return importRows(ctx, c, UserContactsPath+string(mode), userContactsFile, rows, func(w io.Writer) rowWriter[csvspec.Contact] { return csvspec.NewContactWriter(w) })
}
