package syncjob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"
)

// A MemJournal is a Journal in memory, for tests. Its locks exclude runs
// within one process only. The zero MemJournal is an empty journal, ready
// to use, as is one from NewMemJournal.
type MemJournal struct {
	mu   sync.Mutex
	keys map[Key]*memKey
	// Retention is the fewest run records of each key the journal keeps,
	// as DirJournal's: 0 keeps 1,000, and a value below 3 keeps 3.
	Retention int
}

type memKey struct {
	locked  bool
	holder  *memSession // the session holding the lock
	started time.Time
	state   []byte   // nil: none
	runs    [][]byte // JSON, as DirJournal keeps them, so that a record is what survives its encoding
}

// NewMemJournal returns an empty MemJournal.
func NewMemJournal() *MemJournal { return &MemJournal{keys: make(map[Key]*memKey)} }

func (j *MemJournal) key(k Key) *memKey {
	if j.keys == nil {
		j.keys = make(map[Key]*memKey)
	}
	m := j.keys[k]
	if m == nil {
		m = &memKey{}
		j.keys[k] = m
	}
	return m
}

// Lock takes key's lock, or returns a *LockedError naming this process.
func (j *MemJournal) Lock(ctx context.Context, key Key) (Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	m := j.key(key)
	if m.locked {
		host, _ := os.Hostname()
		return nil, &LockedError{Key: key, PID: os.Getpid(), Host: host, Started: m.started}
	}
	m.locked, m.started = true, time.Now()
	m.holder = &memSession{j: j, m: m}
	return m.holder, nil
}

// Runs returns the last n runs of key, oldest first, all of them if n <=
// 0; a key never used has none, an empty slice. MemJournal keeps runs as
// DirJournal does (see Retention there): at least the last Retention, all
// those since the last commit, and encoded, so that a run comes back as it
// would from disk. Its only error is the context's, if ctx is done.
func (j *MemJournal) Runs(ctx context.Context, key Key, n int) ([]Run, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	runs := j.key(key).runs
	if n > 0 && len(runs) > n {
		runs = runs[len(runs)-n:]
	}
	out := make([]Run, len(runs))
	for i, b := range runs {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, fmt.Errorf("syncjob: decoding a run record: %w", err)
		}
	}
	return out, nil
}

// Health returns the health of key's runs, decoded from the newest back
// to the last success only. Its only error is the context's, if ctx is
// done.
func (j *MemJournal) Health(ctx context.Context, key Key) (Health, error) {
	if err := ctx.Err(); err != nil {
		return Health{}, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	var runs []Run // newest first
	for _, b := range slices.Backward(j.key(key).runs) {
		var r Run
		if err := json.Unmarshal(b, &r); err != nil {
			return Health{}, fmt.Errorf("syncjob: decoding a run record: %w", err)
		}
		if runs = append(runs, r); succeeded(r) {
			break
		}
	}
	slices.Reverse(runs)
	return healthOf(runs), nil
}

type memSession struct {
	j      *MemJournal
	m      *memKey
	closed bool
}

// errLost is the error of a session whose lock another session took.
var errLost = errors.New("syncjob: the journal session lost its lock")

// usable returns ErrClosed after Close, and errLost once the lock is
// another session's. The journal's mutex is held.
func (s *memSession) usable() error {
	switch {
	case s.closed:
		return ErrClosed
	case s.m.holder != s:
		return errLost
	}
	return nil
}

func (s *memSession) State(ctx context.Context) (io.ReadCloser, error) {
	s.j.mu.Lock()
	defer s.j.mu.Unlock()
	if err := s.usable(); err != nil {
		return nil, err
	}
	if s.m.state == nil {
		return nil, fmt.Errorf("syncjob: %w", ErrNoState)
	}
	return io.NopCloser(bytes.NewReader(s.m.state)), nil
}

func (s *memSession) Commit(ctx context.Context, state io.Reader, run Run) error {
	b, err := io.ReadAll(state)
	if err != nil {
		return fmt.Errorf("syncjob: reading the state to commit: %w", err)
	}
	s.j.mu.Lock()
	defer s.j.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if b == nil {
		b = []byte{}
	}
	if err := s.m.append(run); err != nil {
		return err
	}
	s.m.state = b
	// Pruned once the new state is in place, as DirJournal does: the
	// record of the last commit stays.
	if keep := retention(s.j.Retention); len(s.m.runs) >= 2*keep {
		s.m.runs = append(s.m.runs[:0:0], s.m.runs[len(s.m.runs)-keep:]...)
	}
	return nil
}

func (s *memSession) Record(ctx context.Context, run Run) error {
	s.j.mu.Lock()
	defer s.j.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	return s.m.append(run)
}

func (m *memKey) append(run Run) error {
	b, err := json.Marshal(run)
	if err != nil {
		return fmt.Errorf("syncjob: encoding the run record: %w", err)
	}
	m.runs = append(m.runs, b)
	return nil
}

func (s *memSession) Close() error {
	s.j.mu.Lock()
	defer s.j.mu.Unlock()
	if !s.closed && s.m.holder == s {
		s.m.locked, s.m.holder = false, nil
	}
	s.closed = true
	return nil
}
