package pgjournal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The process id and host a lock holder names.
var (
	pid     = os.Getpid()
	host, _ = os.Hostname()
)

// chunkSize is the most bytes of a state one row of autosync_state_chunks
// holds.
const chunkSize = 256 << 10

// A session holds its key's advisory lock on conn.
type session struct {
	mu   sync.Mutex
	conn *pgxpool.Conn // nil once closed
	key  syncjob.Key
	id   int32
	keep int
}

// errLost is the error of a write by a session whose connection no longer
// holds its lock.
var errLost = errors.New("pgjournal: the session no longer holds the lock")

// heldSQL is true while the statement's connection holds the lock of the
// key whose id is $1.
var heldSQL = fmt.Sprintf(`EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = %d
	AND objid::bigint = $1::integer AND objsubid = 2 AND pid = pg_backend_pid() AND granted)`, LockClass)

// usable returns ErrClosed after Close. s.mu is held.
func (s *session) usable() error {
	if s.conn == nil {
		return syncjob.ErrClosed
	}
	return nil
}

func (s *session) State(ctx context.Context) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return nil, err
	}
	r := &stateReader{s: s, ctx: ctx}
	err := s.conn.QueryRow(ctx, `SELECT generation, chunks FROM autosync_state WHERE key_id = $1`, s.id).Scan(&r.gen, &r.chunks)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("pgjournal: %s: %w", s.key, syncjob.ErrNoState)
	}
	if err != nil {
		return nil, fmt.Errorf("pgjournal: reading the state of %s: %w", s.key, err)
	}
	return r, nil
}

// A stateReader reads a state one chunk at a time, on its session's
// connection.
type stateReader struct {
	s      *session
	ctx    context.Context
	gen    int64
	chunks int32
	next   int32  // the next chunk to read
	buf    []byte // what is left of the last chunk read
}

func (r *stateReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.next == r.chunks {
			return 0, io.EOF
		}
		if err := r.fetch(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *stateReader) fetch() error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if err := r.s.usable(); err != nil {
		return err
	}
	err := r.s.conn.QueryRow(r.ctx, `SELECT data FROM autosync_state_chunks WHERE key_id = $1 AND generation = $2 AND seq = $3`,
		r.s.id, r.gen, r.next).Scan(&r.buf)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("pgjournal: chunk %d of the state of %s is missing: a commit replaced the state while it was read", r.next, r.s.key)
	}
	if err != nil {
		return fmt.Errorf("pgjournal: reading the state of %s: %w", r.s.key, err)
	}
	r.next++
	return nil
}

func (r *stateReader) Close() error { return nil }

func (s *session) Commit(ctx context.Context, state io.Reader, run syncjob.Run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.conn, func(tx pgx.Tx) error {
		if err := s.record(ctx, tx, run); err != nil {
			return err
		}
		var gen int64
		if err := tx.QueryRow(ctx, `SELECT nextval('autosync_state_generation')`).Scan(&gen); err != nil {
			return err
		}
		var (
			seq   int32
			size  int64
			chunk = make([]byte, chunkSize)
		)
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"autosync_state_chunks"}, []string{"key_id", "generation", "seq", "data"},
			pgx.CopyFromFunc(func() ([]any, error) {
				n, err := io.ReadFull(state, chunk)
				switch {
				case n == 0 && errors.Is(err, io.EOF):
					return nil, nil
				case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
					return nil, fmt.Errorf("reading the state to commit: %w", err)
				}
				seq, size = seq+1, size+int64(n)
				return []any{s.id, gen, seq - 1, chunk[:n]}, nil
			}))
		if err != nil {
			return err
		}
		// The new state in place, the old one and the runs beyond the
		// retention go.
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO autosync_state (key_id, generation, chunks, bytes) VALUES ($1, $2, $3, $4)
			ON CONFLICT (key_id) DO UPDATE SET generation = EXCLUDED.generation, chunks = EXCLUDED.chunks,
				bytes = EXCLUDED.bytes, committed_at = now()`, s.id, gen, seq, size)
		b.Queue(`DELETE FROM autosync_state_chunks WHERE key_id = $1 AND generation <> $2`, s.id, gen)
		b.Queue(`DELETE FROM autosync_runs WHERE key_id = $1 AND id < (SELECT id FROM autosync_runs
			WHERE key_id = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)`, s.id, s.keep-1)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("pgjournal: committing the state of %s: %w", s.key, err)
	}
	return nil
}

func (s *session) Record(ctx context.Context, run syncjob.Run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if err := s.record(ctx, s.conn, run); err != nil {
		return fmt.Errorf("pgjournal: recording a run of %s: %w", s.key, err)
	}
	return nil
}

// record appends run to the log if the connection of db holds the lock.
func (s *session) record(ctx context.Context, db interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, run syncjob.Run) error {
	b, err := json.Marshal(run)
	if err != nil {
		return fmt.Errorf("encoding the run record: %w", err)
	}
	tag, err := db.Exec(ctx, `INSERT INTO autosync_runs (key_id, outcome, record) SELECT $1, $2, $3 WHERE `+heldSQL,
		s.id, string(run.Outcome), b)
	if err == nil && tag.RowsAffected() != 1 {
		err = errLost
	}
	return err
}

// Close releases the lock and gives the connection back to the pool; a
// connection that may still hold the lock is closed instead.
func (s *session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	conn := s.conn
	s.conn = nil
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var unlocked bool
	err := conn.QueryRow(ctx, `WITH gone AS (DELETE FROM autosync_lock_holders WHERE key_id = $1 AND backend_pid = pg_backend_pid())
		SELECT pg_advisory_unlock($2, $1)`, s.id, LockClass).Scan(&unlocked)
	if err != nil || !unlocked {
		return conn.Hijack().Close(ctx)
	}
	conn.Release()
	return nil
}
