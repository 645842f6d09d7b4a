package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/examples/internal/cli"
)

// keepFailures reports whether a run that ended with o leaves the
// -failures file of the last run in place: it found no check errors and
// got no answer from Infiniti about the rows (a network, password, lock
// or journal error, a timeout, a refusal), so it has no list of failed
// rows to give staff.
func keepFailures(o syncjob.Outcome) bool {
	switch o {
	case syncjob.OutcomeTransportError, syncjob.OutcomeAuthError, syncjob.OutcomeLocked, cli.OutcomeNoAnswer,
		syncjob.OutcomeCancelled, syncjob.OutcomeJournalError, syncjob.OutcomeRefused:
		return true
	}
	return false
}

// checkFailuresPath refuses a -failures path that is a folder, a file
// the command reads (the export, the password file, ...), which the
// rename at the end would replace, or anything inside -state, the
// journal's own files. It returns the exit code of a usage error, or -1.
func (j *job) checkFailuresPath(f *flags) int {
	if f.state != "" {
		st, err1 := filepath.Abs(f.state)
		fp, err2 := filepath.Abs(f.failures)
		if rel, err := filepath.Rel(st, fp); err1 == nil && err2 == nil && err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return j.fail(cli.ExitUsage, "-failures %s is inside -state %s, the journal's folder; give the failed rows a file outside it, such as failures.csv", f.failures, f.state)
		}
	}
	fi, err := os.Stat(f.failures)
	if err != nil {
		return -1 // a new file
	}
	if fi.IsDir() {
		return j.fail(cli.ExitUsage, "-failures: %s is a folder; name a file, such as %s", f.failures, filepath.Join(f.failures, "failures.csv"))
	}
	for _, other := range []struct{ flag, path string }{{"-file", f.File}, {"-password-file", f.PasswordFile}, {"-library-groups", f.LibraryGroups}, {"-system-groups", f.SystemGroups}, {"-ca-file", f.CAFile}} {
		if other.path == "" || other.path == "-" {
			continue
		}
		if oi, err := os.Stat(other.path); err == nil && os.SameFile(fi, oi) {
			return j.fail(cli.ExitUsage, "-failures %s is the file %s names; give the failed rows a file of their own, such as failures.csv", f.failures, other.flag)
		}
	}
	return -1
}

// failuresFile is the -failures file, for library staff: on Unix mode
// 0640 with its folder's group (the README's "library" group), since its
// rows hold student usernames; on Windows it takes the folder's ACL. It is
// written to a temporary file
// in the same folder, which commit renames over the path: a link at the
// path is replaced, never followed, and a run that fails half-way leaves
// the last file whole. It keeps the first write error, which commit
// returns.
type failuresFile struct {
	fh   *os.File
	path string
	err  error
	done bool
}

func createFailures(path string) (*failuresFile, error) {
	fh, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	if err := cli.ShareWithFolder(fh, filepath.Dir(path)); err != nil {
		fh.Close()
		os.Remove(fh.Name())
		return nil, err
	}
	return &failuresFile{fh: fh, path: path}, nil
}

func (f *failuresFile) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.fh.Write(p)
	f.err = err
	return n, err
}

// commit closes the temporary file and renames it over the path. It
// returns the first error of writing, closing or renaming; the temporary
// file is then removed.
func (f *failuresFile) commit() error {
	if f.done {
		return f.err
	}
	f.done = true
	if err := f.fh.Close(); f.err == nil {
		f.err = err
	}
	if f.err == nil {
		f.err = os.Rename(f.fh.Name(), f.path)
	}
	if f.err != nil {
		os.Remove(f.fh.Name())
	}
	return f.err
}

// abort removes the temporary file, unless commit ran: the file at the
// path stays as it was.
func (f *failuresFile) abort() {
	if !f.done {
		f.done = true
		f.fh.Close()
		os.Remove(f.fh.Name())
	}
}
