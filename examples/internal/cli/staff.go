package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/autosync-go/autosync/client/syncjob"
)

// CheckStaffPath refuses a staff file's path (setting names it: -report,
// -failures) that is a folder, a file the run reads (the export, the
// password file, a group list, the certificates), which the rename at the
// end would replace, or anything inside state, the journal's folder.
func (s School) CheckStaffPath(n Names, setting, path, state string) error {
	if state != "" {
		st, err1 := filepath.Abs(state)
		fp, err2 := filepath.Abs(path)
		if rel, err := filepath.Rel(st, fp); err1 == nil && err2 == nil && err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("%s %s is inside the journal's folder %s; give it a file outside it", n.Name(setting), path, state)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil // a new file
	}
	if fi.IsDir() {
		return fmt.Errorf("%s: %s is a folder; name a file, such as %s", n.Name(setting), path, filepath.Join(path, setting+".csv"))
	}
	for _, other := range []struct{ setting, path string }{{"file", s.File}, {"password_file", s.PasswordFile}, {"library_groups", s.LibraryGroups}, {"system_groups", s.SystemGroups}, {"ca_file", s.CAFile}} {
		if other.path == "" || other.path == "-" {
			continue
		}
		if oi, err := os.Stat(other.path); err == nil && os.SameFile(fi, oi) {
			return fmt.Errorf("%s %s is the file %s names; give it a file of its own", n.Name(setting), path, n.Name(other.setting))
		}
	}
	return nil
}

// A StaffFile is a file for library staff (-report, -failures): on Unix
// mode 0640 with its folder's group (the README's "library" group), since
// its rows hold student usernames; on Windows it takes the folder's ACL.
// It is written to a temporary file in the same folder, which Commit
// renames over the path: a link at the path is replaced, never followed,
// and a run that fails half-way leaves the last file whole. It keeps the
// first write error, which Commit returns.
type StaffFile struct {
	fh   *os.File
	path string
	err  error
	done bool
}

// CreateStaff starts the staff file at path.
func CreateStaff(path string) (*StaffFile, error) {
	fh, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	if err := ShareWithFolder(fh, filepath.Dir(path)); err != nil {
		fh.Close()
		os.Remove(fh.Name())
		return nil, err
	}
	return &StaffFile{fh: fh, path: path}, nil
}

// Write writes p to the temporary file; after an error it writes nothing.
func (f *StaffFile) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.fh.Write(p)
	f.err = err
	return n, err
}

// Commit closes the temporary file and renames it over the path; when the
// path cannot be replaced (a spreadsheet holds it open on a share), over
// its dated sibling instead (report-2026-12-08.csv, by now). It returns
// the path written, and the first error of writing, closing or renaming;
// the temporary file is then removed.
func (f *StaffFile) Commit(now time.Time) (string, error) {
	if f.done {
		return "", f.err
	}
	f.done = true
	if err := f.fh.Close(); f.err == nil {
		f.err = err
	}
	path := f.path
	if f.err == nil {
		if f.err = os.Rename(f.fh.Name(), path); f.err != nil {
			ext := filepath.Ext(path)
			path = strings.TrimSuffix(path, ext) + now.Format("-2006-01-02") + ext
			if os.Rename(f.fh.Name(), path) == nil {
				return path, nil
			}
		}
	}
	if f.err != nil {
		os.Remove(f.fh.Name())
		return "", f.err
	}
	return path, nil
}

// Abort removes the temporary file, unless Commit ran: the file at the
// path stays as it was.
func (f *StaffFile) Abort() {
	if !f.done {
		f.done = true
		f.fh.Close()
		os.Remove(f.fh.Name())
	}
}

// Finish ends the failures file of a run that ended with o, and says on
// w, prefixed with what, anything but a file replaced: a run that found no
// check errors and got no answer from Infiniti about the rows (a network,
// password, lock or journal error, a timeout, a refusal) leaves the last
// run's file in place, since it has no list of rows to give staff; a file
// that could not be replaced is written beside it, dated; one that could
// not be written is said, never returned, since it does not change what
// reached Infiniti.
func (f *StaffFile) Finish(w io.Writer, what string, o syncjob.Outcome, now time.Time) {
	switch o {
	case syncjob.OutcomeTransportError, syncjob.OutcomeAuthError, syncjob.OutcomeLocked, syncjob.OutcomeNoAnswer,
		syncjob.OutcomeCancelled, syncjob.OutcomeJournalError, syncjob.OutcomeRefused:
		f.Abort()
		fmt.Fprintf(w, "%s: %s is left as the last run wrote it, since this run (%s) got no answer from Infiniti about its rows\n", what, f.path, o)
		return
	}
	_, _ = f.report(w, what, now)
}

// report commits the file and says on w where it went when not at its
// path, or why it was not written; it returns the path written, "" if
// none, and the error.
func (f *StaffFile) report(w io.Writer, what string, now time.Time) (string, error) {
	written, err := f.Commit(now)
	switch {
	case err != nil:
		fmt.Fprintf(w, "%s: %s was not written: %v\n", what, f.path, err)
	case written != f.path:
		fmt.Fprintf(w, "%s: %s could not be replaced (is it open in a spreadsheet?); this run's is %s\n", what, f.path, written)
	}
	return written, err
}

// StaffReport returns a syncjob.Job.StaffReport that writes the staff
// report at path, says on w what became of it when it is not path,
// prefixed with what (a program's name and a setting), and sets *written
// to the path written ("" if none). Its error goes into the run record; it
// does not change what reached Infiniti.
func StaffReport(w io.Writer, what, path string, written *string) func(func(io.Writer) error) error {
	return func(write func(io.Writer) error) (err error) {
		*written, err = writeStaff(w, what, path, time.Now(), write)
		return err
	}
}

func writeStaff(w io.Writer, what, path string, now time.Time, write func(io.Writer) error) (string, error) {
	f, err := CreateStaff(path)
	if err == nil {
		if err = write(f); err != nil {
			f.Abort()
		}
	}
	if err != nil {
		fmt.Fprintf(w, "%s: %s was not written: %v\n", what, path, err)
		return "", err
	}
	return f.report(w, what, now)
}

// ReadForStaff reads the for-staff rows of a report that WriteReport
// wrote (a -report file, its byte order mark and formula guards
// included), for Job.ClearForStaff. contacts says which import wrote it.
func ReadForStaff(r io.Reader, contacts bool) ([]syncjob.StaffRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the report's header: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	items := []string{"library-group", "system-group"}
	if contacts {
		items = []string{"type", "role", "contact"}
	}
	cols := append([]string{"username", "change", "status"}, items...)
	at := make(map[string]int)
	for _, c := range cols {
		if at[c] = slices.Index(header, c); at[c] < 0 {
			return nil, fmt.Errorf("the report has no %q column; give a report this program wrote with -report", c)
		}
	}
	var rows []syncjob.StaffRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		value := func(c string) string {
			v := ""
			if i := at[c]; i < len(rec) {
				v = rec[i]
			}
			if len(v) > 1 && v[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(v[1])) {
				v = v[1:] // the formula guard WriteReport adds
			}
			return v
		}
		if value("status") != syncjob.StatusForStaff {
			continue
		}
		row := syncjob.StaffRow{Username: value("username"), Change: value("change"), Status: syncjob.StatusForStaff}
		for _, c := range items {
			row.Item = append(row.Item, value(c))
		}
		rows = append(rows, row)
	}
}
