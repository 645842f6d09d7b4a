package clienttest

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/autosync-go/autosync/result"
)

// userGroupsColumns is the user-groups header, whose names Infiniti
// requires exactly.
var userGroupsColumns = []string{"username", "library-group", "system-group"}

// row is one data row of an upload: its values in the order of the
// columns asked for, or why it could not be read.
type row struct {
	n        int      // 1-based data row, header excluded
	values   []string // by column; nil if failure is set
	failure  string   // "" if the row could be read
	username string   // the username, also of a row with the wrong number of fields when its column is there
}

// errHeader is an upload whose header is wrong: nothing can be imported.
type errHeader struct{ msg string }

func (e *errHeader) Error() string { return e.msg }

// readUpload reads a CSV upload with encoding/csv, independently of the
// SDK's csvspec: a UTF-8 byte order mark is stripped, blank lines are
// skipped and not counted, the header must name each of columns exactly
// once (other columns are ignored), and each data row, numbered from 1, is
// given to each in order with its values in the order of columns. A row
// that cannot be read (quoting, or a number of fields other than the
// header's) is given with failure set, and reading goes on. The error is
// an *errHeader for a wrong header, or the upload's read error.
func readUpload(upload io.Reader, columns []string, each func(row)) error {
	cr := csv.NewReader(stripBOM(upload))
	cr.FieldsPerRecord = -1 // the fake checks the count itself, to go on after a bad row
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil // an empty file: no rows
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &errHeader{"The CSV header cannot be read: it " + malformed(pe)}
	}
	if err != nil {
		return err
	}
	index := make([]int, len(columns))
	for i, col := range columns {
		index[i] = -1
		for j, name := range header {
			if name != col {
				continue
			}
			if index[i] >= 0 {
				return &errHeader{fmt.Sprintf("The CSV header is invalid: column %q appears twice.", col)}
			}
			index[i] = j
		}
		if index[i] < 0 {
			return &errHeader{fmt.Sprintf("The CSV header is invalid: column %q is missing; the header must name the columns %s, spelled exactly.", col, strings.Join(columns, ", "))}
		}
	}
	nfields := len(header)
	for n := 1; ; n++ {
		before := cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		r := row{n: n}
		switch {
		case errors.As(err, &pe):
			if cr.InputOffset() == before {
				return err // no progress: cannot go on
			}
			r.failure = "is malformed: it " + malformed(pe)
		case err != nil:
			return err
		case len(rec) != nfields:
			line, _ := cr.FieldPos(0)
			r.failure = fmt.Sprintf("is malformed: line %d has %d fields but the header has %d.", line, len(rec), nfields)
			if index[0] < len(rec) {
				r.username = rec[index[0]]
			}
		default:
			r.values = make([]string, len(columns))
			for i, j := range index {
				r.values[i] = rec[j]
			}
			r.username = r.values[0]
		}
		each(r)
	}
}

// malformed says, in the fake's own words, what is wrong with a record
// encoding/csv cannot read, ending with a full stop.
func malformed(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf(`has a quote (") inside a value that is not quoted, on line %d, column %d.`, pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf(`starts on line %d and has a stray quote or a quoted value that is never closed (seen on line %d, column %d).`, pe.StartLine, pe.Line, pe.Column)
	}
	return fmt.Sprintf("cannot be read from line %d: %v.", pe.StartLine, pe.Err)
}

// stripBOM returns a reader of r without a leading UTF-8 byte order mark.
func stripBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); string(b) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
	}
	return br
}

// failed words a failure as Infiniti does: the field, the reason, and the
// same again after "User failed to import:", with a trailing space.
func failed(field, reason string) string {
	m := fmt.Sprintf("Field (%s) %s", field, reason)
	return m + " User failed to import: " + m + " "
}

// readFailure answers a failed upload read: the header (nothing can be
// imported; what Infiniti answers is not documented) or the body itself.
func readFailure(err error) (int, *result.Result) {
	var he *errHeader
	if errors.As(err, &he) {
		return http.StatusBadRequest, &result.Result{Success: false, Summary: he.msg}
	}
	return http.StatusBadRequest, &result.Result{Success: false, Summary: "Reading the upload failed."}
}

// userGroupRow is a user-groups row and what the import does with it.
type userGroupRow struct {
	n                                int
	username, libraryGroup, sysGroup string
	failure                          string // "" if the row is imported
}

// importUserGroups applies a user-groups upload: the rules to every row,
// then the memberships of the rows that pass, as ApplyMode says.
func (s *Server) importUserGroups(upload io.Reader) (int, *result.Result) {
	var rows []userGroupRow
	err := readUpload(upload, userGroupsColumns, func(r row) {
		o := userGroupRow{n: r.n, username: r.username}
		if r.failure != "" {
			o.failure = failed("row", r.failure)
		} else {
			o.username, o.libraryGroup, o.sysGroup = r.values[0], r.values[1], r.values[2]
			o.failure = s.checkRow(o)
		}
		rows = append(rows, o)
	})
	if err != nil {
		_, _ = io.Copy(io.Discard, upload)
		return readFailure(err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	tally := s.newTally()
	replaced := make(map[string]bool) // users whose groups this file has reset, in ApplyReplace
	for _, o := range rows {
		if o.failure != "" {
			tally.fail(o.n, o.username, o.failure)
			continue
		}
		u := o.username
		m, ok := s.members[u]
		if ok {
			tally.update(o.n, u)
			if s.mode == ApplyReplace && !replaced[u] {
				clear(m.library)
				clear(m.system)
			}
		} else {
			m = &members{library: map[string]bool{}, system: map[string]bool{}}
			s.members[u] = m
			tally.create(o.n, u)
		}
		replaced[u] = true
		if g := o.libraryGroup; g != "" {
			m.library[g] = true
		}
		if g := o.sysGroup; g != "" {
			m.system[g] = true
		}
	}
	return http.StatusOK, tally.result()
}

// contactsColumns is the contacts header, which the fake requires exactly
// (in any order), as Infiniti surely does.
var contactsColumns = []string{"username", "type", "role", "primary", "addressee", "contact", "sms", "scenarios"}

// importContacts applies a contacts upload in the one known mode, as
// ImportContactsPath describes: the rows of each user in the file that
// pass form that user's new set of contacts. The answer is worded as for
// user groups, so that the result package reads it.
func (s *Server) importContacts(upload io.Reader) (int, *result.Result) {
	type contactRow struct {
		n        int
		username string
		contact  Contact
		failure  string
	}
	var rows []contactRow
	err := readUpload(upload, contactsColumns, func(r row) {
		o := contactRow{n: r.n, username: r.username}
		switch {
		case r.failure != "":
			o.failure = failed("row", r.failure)
		case r.values[0] == "":
			o.failure = failed("username", "is required.")
		case s.users != nil && !s.users[r.values[0]]:
			o.failure = failed("username", fmt.Sprintf("User (%s) does not exist.", r.values[0]))
		default:
			v := r.values
			o.username = v[0]
			o.contact = Contact{Type: v[1], Role: v[2], Primary: v[3], Addressee: v[4], Contact: v[5], SMS: v[6], Scenarios: v[7]}
		}
		rows = append(rows, o)
	})
	if err != nil {
		_, _ = io.Copy(io.Discard, upload)
		return readFailure(err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	tally := s.newTally()
	fresh := make(map[string][]Contact) // the new sets, per user in the file
	for _, o := range rows {
		if o.failure != "" {
			tally.fail(o.n, o.username, o.failure)
			continue
		}
		fresh[o.username] = append(fresh[o.username], o.contact)
		tally.update(o.n, o.username)
	}
	for u, cs := range fresh {
		s.contacts[u] = cs
	}
	return http.StatusOK, tally.result()
}

// tally counts the outcomes of an import's rows and makes its result.
type tally struct {
	created, updated, failed int
	details                  []result.RowOutcome
	byUser                   map[string]result.Status // with WithUserCounts: each user's outcome
}

func (s *Server) newTally() *tally {
	if s.countUsers {
		return &tally{byUser: make(map[string]result.Status)}
	}
	return &tally{}
}

func (t *tally) create(row int, user string) {
	t.add(row, user, result.StatusCreated, "User Created")
}

func (t *tally) update(row int, user string) {
	t.add(row, user, result.StatusUpdated, "User Updated")
}

func (t *tally) fail(row int, user, text string) {
	t.add(row, user, result.StatusFailed, text)
}

// add counts a row, and with byUser its user's outcome: failed if any of
// its rows failed, else created if this file created it, else updated.
func (t *tally) add(row int, user string, st result.Status, text string) {
	t.details = append(t.details, result.RowOutcome{Row: row, Status: st, Message: text})
	if user == "" {
		user = fmt.Sprintf("\x00row %d", row) // rows without a username are users of their own
	}
	switch {
	case t.byUser == nil:
	case t.byUser[user] == result.StatusUnknown, st == result.StatusFailed:
		t.byUser[user] = st
	}
	switch st {
	case result.StatusCreated:
		t.created++
	case result.StatusUpdated:
		t.updated++
	default:
		t.failed++
	}
}

// result words the result as Infiniti does: the summary, singular or
// plural, and the details of every row only when some row failed.
func (t *tally) result() *result.Result {
	created, updated, failed := t.created, t.updated, t.failed
	if t.byUser != nil {
		created, updated, failed = 0, 0, 0
		for _, st := range t.byUser {
			switch st {
			case result.StatusCreated:
				created++
			case result.StatusUpdated:
				updated++
			default:
				failed++
			}
		}
	}
	processed := created + updated + failed
	res := &result.Result{
		Success: t.failed == 0,
		Summary: fmt.Sprintf("%s processed. %s created. %s updated. %s failed.", users(processed), users(created), users(updated), users(failed)),
	}
	if t.failed > 0 {
		res.Details = t.details
	}
	return res
}

func users(n int) string {
	if n == 1 {
		return "1 user"
	}
	return fmt.Sprintf("%d users", n)
}

func (s *Server) checkRow(g userGroupRow) string {
	switch {
	case g.username == "":
		return failed("username", "is required.")
	case s.users != nil && !s.users[g.username]:
		return failed("username", fmt.Sprintf("User (%s) does not exist.", g.username))
	case g.libraryGroup != "" && s.libraryGroups != nil && !s.libraryGroups[g.libraryGroup]:
		return failed("library-group", fmt.Sprintf("Library group (%s) does not exist.", g.libraryGroup))
	case g.sysGroup != "" && s.systemGroups != nil && !s.systemGroups[g.sysGroup]:
		return failed("system-group", fmt.Sprintf("System group (%s) does not exist.", g.sysGroup))
	}
	return ""
}
