package syncjob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// A DirJournal is the default Journal: a directory with one folder per key,
// named from the key (host, tenant and import, and a short hash of the whole
// key, with any character that is not safe in a file name on Windows, macOS
// or Linux replaced). Each folder holds
//
//	state.csv     the last accepted state, as the job wrote it (a CSV, for people to open)
//	runs.jsonl    the run log, one JSON object per line, newest last
//	runs.1.jsonl  the previous run log (see Retention)
//	key.json      the key the folder belongs to
//	lock          the lock file, on Windows and where a folder cannot be locked
//	lock.info     the process id, host and start time of the run holding the lock
//
// # Crash safety
//
// A new state is written to a temporary file, flushed to disk (fsync),
// renamed over state.csv and the folder is flushed, so that a process killed
// at any moment leaves either the previous state or the new one, whole
// (where the file system cannot flush a folder, that step is skipped). A
// run record is appended as one line and flushed; a torn last line, from a
// process killed while writing it, is skipped when the log is read. The
// record of a run that commits a state is appended before the rename, and
// taken out again if the rename fails: a process killed between the two
// leaves the new run in the log with the previous run's state, which the
// next run accepts (see Run.StateSHA256) and plans against. On
// Windows a folder cannot be flushed: that step is skipped there, which
// leaves a small window, after a power failure rather than a killed
// process, in which the rename may be lost (the previous state is then
// still whole). Windows also refuses to replace a file another program has
// open, such as state.csv open in Excel: the commit retries for a few
// seconds, then fails with an error saying to close the file.
//
// # Retention
//
// A commit, once its new state is in place, renames runs.jsonl over
// runs.1.jsonl if runs.jsonl holds Retention lines (1,000 by default) or
// more, so the journal keeps the last Retention to 2×Retention records,
// and all those recorded since the last commit. The record of the last commit is never pruned: after a kill
// at any moment, the state on disk is one that a kept record describes
// (Run.StateSHA256).
//
// # Locking
//
// The lock is held by the operating system for as long as the run's process
// lives: flock(2) of the key's folder itself on Linux, macOS and the BSDs
// (of the file lock, where the file system cannot lock a folder), and on
// Windows the file lock opened without sharing, which no one can delete
// while it is open. So deleting any file of the folder during a run
// does not let a second run in, and a killed run never leaves a lock
// behind. A second run for the same key fails at once with a *LockedError
// that names the first run's process id and start time, read from
// lock.info for the message only (written just after the lock is taken: a
// second run in that instant, or after lock.info was deleted, gets a
// *LockedError without them). A session whose folder is moved or deleted
// during its run fails from then on, since its lock no longer excludes a
// second run. Different keys run in parallel. On other systems locking is
// not supported and Lock fails.
//
// The folders and files are created readable by their owner only: they
// hold usernames.
type DirJournal struct {
	dir string
	// Retention is the fewest run records of each key the journal keeps
	// (see Retention above): 0 keeps 1,000, and a value below 3 keeps 3,
	// the fewest a job's recovery reads.
	Retention int
}

// OpenDir returns the directory journal in dir, creating dir if it does not
// exist. It returns an error if dir cannot be created or is not a
// directory.
func OpenDir(dir string) (*DirJournal, error) {
	if dir == "" {
		return nil, errors.New("syncjob: OpenDir: no directory given")
	}
	// MkdirAll also fails if dir is there and is not a directory.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("syncjob: creating the journal directory: %w", err)
	}
	return &DirJournal{dir: dir}, nil
}

// Dir returns the folder that holds key's state and run log: a folder of
// the journal's directory named from the key, as the type's doc says, such
// as "myschool.concordinfiniti.com_T1_user-groups_1a2b3c4d".
func (j *DirJournal) Dir(key Key) string { return filepath.Join(j.dir, folderName(key)) }

// normalKey returns key with its Site normalised, as Job.Key does.
func normalKey(key Key) Key {
	key.Site = normalSite(key.Site)
	return key
}

// File names in a key's folder.
const (
	stateFile   = "state.csv"
	stateTemp   = "state.csv.tmp"
	runsFile    = "runs.jsonl"
	oldRunsFile = "runs.1.jsonl"
	keyFile     = "key.json"
	lockInfo    = "lock.info"
)

// Lock takes key's lock, creating its folder if needed. When another run
// holds the lock it returns a *LockedError at once. Keys whose sites are
// spellings of one URL (see KeyOf) are one key.
func (j *DirJournal) Lock(ctx context.Context, key Key) (Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	folder := j.Dir(key)
	if err := os.MkdirAll(folder, 0o700); err != nil {
		return nil, fmt.Errorf("syncjob: creating the journal folder: %w", err)
	}
	release, err := lockFolder(folder)
	if errors.Is(err, errLocked) {
		le := &LockedError{Key: key}
		if b, rerr := os.ReadFile(filepath.Join(folder, lockInfo)); rerr == nil {
			var info lockInfoJSON
			if json.Unmarshal(b, &info) == nil {
				le.PID, le.Host, le.Started = info.PID, info.Host, info.Started
			}
		}
		return nil, le
	}
	if err != nil {
		return nil, fmt.Errorf("syncjob: taking the lock of %s: %w", key, err)
	}
	locked, err := os.Stat(folder)
	if err != nil {
		_ = release()
		return nil, fmt.Errorf("syncjob: taking the lock of %s: %w", key, err)
	}
	s := &dirSession{folder: folder, locked: locked, key: normalKey(key), release: release, keep: retention(j.Retention)}
	if err := s.claim(); err != nil {
		_ = release()
		return nil, err
	}
	host, _ := os.Hostname()
	info, _ := json.Marshal(lockInfoJSON{PID: os.Getpid(), Host: host, Started: time.Now()})
	// Best effort: the info only helps the message of a second run.
	_ = os.WriteFile(filepath.Join(folder, lockInfo), info, 0o600)
	return s, nil
}

type lockInfoJSON struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}

// errLocked is returned by lockFolder when another process holds the lock.
var errLocked = errors.New("locked")

// maxRunLine is the longest line of a run log that Runs reads. A record
// the package writes is a few KiB at most.
const maxRunLine = 1 << 20

// Runs returns the last n runs of key, oldest first (all of them if
// n <= 0). It skips the lines that are not run records: a torn last line
// (from a run killed while writing it), a line that does not decode or has
// no outcome ("{}", "null"), and a line longer than 1 MiB, which no record
// of this package is and which it does not read into memory. So a damaged
// line costs that line, never the log. A key never used has none: an
// empty slice. It returns the context's error if ctx is done, and an
// error naming the file if a log cannot be opened or read.
func (j *DirJournal) Runs(ctx context.Context, key Key, n int) ([]Run, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Newest first, from the end of each log, so that the last n cost n
	// records, not the whole log.
	return j.lastRuns(key, func(runs []Run) bool { return n > 0 && len(runs) >= n })
}

// Health returns the health of key's runs, read from the end of the log
// back to the last success only.
func (j *DirJournal) Health(ctx context.Context, key Key) (Health, error) {
	if err := ctx.Err(); err != nil {
		return Health{}, err
	}
	runs, err := j.lastRuns(key, func(runs []Run) bool { return len(runs) > 0 && succeeded(runs[len(runs)-1]) })
	if err != nil {
		return Health{}, err
	}
	return healthOf(runs), nil
}

// lastRuns returns key's runs, oldest first: those read from the end of
// its logs until enough says so (enough is given them newest first).
func (j *DirJournal) lastRuns(key Key, enough func([]Run) bool) ([]Run, error) {
	runs := []Run{}
	for _, name := range []string{runsFile, oldRunsFile} {
		var err error
		if runs, err = lastRuns(filepath.Join(j.Dir(key), name), enough, runs); err != nil {
			return nil, err
		}
	}
	slices.Reverse(runs)
	return runs, nil
}

// lastRuns appends to runs the run records of the log at path, newest
// first, read from its end, until enough(runs). A missing log has none.
func lastRuns(path string, enough func([]Run) bool, runs []Run) ([]Run, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return runs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("syncjob: reading the run log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("syncjob: reading the run log %s: %w", path, err)
	}
	full := func() bool { return enough(runs) }
	add := func(line []byte) {
		var r Run
		if line = bytes.TrimRight(line, "\r"); !full() && len(line) > 0 && json.Unmarshal(line, &r) == nil && r.Outcome != "" {
			runs = append(runs, r)
		}
	}
	// pending is the end of a line whose start is further back; long says
	// the line is over maxRunLine, and is being skipped.
	var pending, buf []byte
	long := false
	const chunk = 64 << 10
	for off := fi.Size(); off > 0 && !full(); {
		size := min(off, chunk)
		off -= size
		buf = slices.Grow(buf[:0], int(size)+len(pending))[:size]
		if _, err := f.ReadAt(buf, off); err != nil {
			return nil, fmt.Errorf("syncjob: reading the run log %s: %w", path, err)
		}
		buf = append(buf, pending...)
		for i := bytes.LastIndexByte(buf, '\n'); i >= 0 && !full(); i = bytes.LastIndexByte(buf, '\n') {
			if !long {
				add(buf[i+1:])
			}
			buf, long = buf[:i], false
		}
		if long || len(buf) > maxRunLine {
			pending, long = pending[:0], true
		} else {
			pending = append(pending[:0], buf...)
		}
		if off == 0 && !long {
			add(pending)
		}
	}
	return runs, nil
}

type dirSession struct {
	folder  string
	locked  os.FileInfo // the folder whose lock the session holds
	key     Key
	mu      sync.Mutex
	release func() error // nil once closed
	keep    int          // the journal's retention
}

// claim writes key.json, or checks that the folder is the key's.
func (s *dirSession) claim() error {
	want, _ := json.Marshal(s.key)
	path := filepath.Join(s.folder, keyFile)
	have, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return writeFileAtomic(path, bytes.NewReader(append(want, '\n')), nil, nil)
	case err != nil:
		return fmt.Errorf("syncjob: reading %s: %w", path, err)
	}
	var k Key
	if json.Unmarshal(have, &k) != nil || k != s.key {
		return fmt.Errorf("syncjob: the journal folder %s belongs to another key (%s), not to %s", s.folder, strings.TrimSpace(string(have)), s.key)
	}
	return nil
}

// open returns ErrClosed after Close, and an error if the folder was
// moved or deleted since the lock was taken: the session then holds the
// lock of a folder that is no longer the key's, and must not write to the
// folder another run may have made and locked since.
func (s *dirSession) open() error {
	if s.release == nil {
		return ErrClosed
	}
	if s.lost() {
		return fmt.Errorf("syncjob: the journal folder %s was moved or deleted during the run; the lock is lost", s.folder)
	}
	return nil
}

// lost reports whether the folder was moved or deleted since the lock was
// taken.
func (s *dirSession) lost() bool {
	fi, err := os.Stat(s.folder)
	return err != nil || !os.SameFile(fi, s.locked)
}

func (s *dirSession) State(ctx context.Context) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.open(); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(s.folder, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("syncjob: %s: %w", s.key, ErrNoState)
	}
	if err != nil {
		return nil, fmt.Errorf("syncjob: reading the last accepted state: %w", err)
	}
	return f, nil
}

// retention returns the fewest run records a journal set to keep n keeps:
// 1,000 for 0, and never fewer than 3.
func retention(n int) int {
	if n == 0 {
		return 1000
	}
	return max(n, 3)
}

// commitHook, when set by a test, is called between the steps of a commit.
var commitHook func(step string)

func (s *dirSession) Commit(ctx context.Context, state io.Reader, run Run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.open(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The run goes into the log before the new state replaces the old
	// one, so that a process killed in between leaves a state the log
	// names (the previous run's); a failed rename takes the run out of
	// the log again.
	err := writeFileAtomic(filepath.Join(s.folder, stateFile), state, commitHook, func() (func(), error) {
		off, err := s.appendAt(run)
		if err != nil {
			return nil, err
		}
		if commitHook != nil {
			commitHook("logged")
		}
		return func() { _ = truncateFile(filepath.Join(s.folder, runsFile), off) }, nil
	})
	if err != nil {
		return err
	}
	s.rotate()
	return nil
}

// rotate renames runs.jsonl over runs.1.jsonl once it holds the
// journal's retention of lines. Commit calls it once the new state is in place, so that the log
// always keeps the record of the last commit. A failed rotation only lets
// the log grow until the next commit.
func (s *dirSession) rotate() {
	path := filepath.Join(s.folder, runsFile)
	if lines, err := countLines(path); err == nil && lines >= s.keep &&
		renameReplace(path, filepath.Join(s.folder, oldRunsFile)) == nil {
		_ = syncDir(s.folder)
	}
}

func (s *dirSession) Record(ctx context.Context, run Run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.open(); err != nil {
		return err
	}
	_, err := s.appendAt(run)
	return err
}

// appendAt adds one line to the run log and returns the size the log had
// before it.
func (s *dirSession) appendAt(run Run) (int64, error) {
	line, err := json.Marshal(run)
	if err != nil {
		return 0, fmt.Errorf("syncjob: encoding the run record: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(s.folder, runsFile), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return 0, fmt.Errorf("syncjob: opening the run log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("syncjob: reading the run log: %w", err)
	}
	last := []byte{'\n'}
	if fi.Size() > 0 {
		if _, err := f.ReadAt(last, fi.Size()-1); err != nil {
			return 0, fmt.Errorf("syncjob: reading the run log: %w", err)
		}
	}
	if last[0] != '\n' {
		line = append([]byte{'\n'}, line...) // end a torn line, so that this record stays whole
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return 0, fmt.Errorf("syncjob: writing the run log: %w", err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("syncjob: flushing the run log: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("syncjob: closing the run log: %w", err)
	}
	return fi.Size(), nil
}

func (s *dirSession) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.release == nil {
		return nil
	}
	// The info goes first: once the lock is released, the next run writes
	// its own. A lost lock's folder holds another run's.
	if !s.lost() {
		_ = os.Remove(filepath.Join(s.folder, lockInfo))
	}
	err := s.release()
	s.release = nil
	if err != nil {
		return fmt.Errorf("syncjob: releasing the lock: %w", err)
	}
	return nil
}
