// Package pgjournal is a syncjob.Journal on PostgreSQL, for many schools
// synced by workers on many machines that share one database (job engines
// such as River run on the same database).
//
// # Schema
//
// Migrate creates the tables, from the SQL files of the package's
// migrations folder (read them for the documented schema):
//
//	autosync_keys          one row per key; its id names the key's lock
//	autosync_state         which generation of chunks is each key's state
//	autosync_state_chunks  the state's bytes, in chunks of at most 256 KiB
//	autosync_runs          the run log, one JSON record per row
//	autosync_lock_holders  who holds a key's lock, for the LockedError only
//	autosync_migrations    the versions of the schema applied
//
// # Locking
//
// A key's lock is a session advisory lock in the two-int form,
// pg_try_advisory_lock(LockClass, key id), so that it cannot collide with
// the one-bigint locks of River or other programs. It is held by one
// connection of the pool for the whole Session, so:
//
//   - each running school holds one connection until its Session is
//     closed: size the pool (pgxpool's max_conns) above the number of
//     schools a process runs at once, plus a few for Runs and Health;
//     Lock waits for a free connection until its context is done;
//   - behind PgBouncer, use session pooling only: transaction pooling
//     hands a connection, and the lock with it, to other clients;
//   - when a worker dies or its connection drops, PostgreSQL releases the
//     lock as soon as it notices the connection is gone, and a Session
//     that lost its connection cannot commit or record: each write checks,
//     in the same statement or transaction, that its backend still holds
//     the lock (pg_locks).
//
// # State
//
// A commit streams the state into autosync_state_chunks with COPY, 256 KiB
// at a time, under a new generation, and State reads it back one chunk at
// a time: a 200,000-row school commits and reads without the journal
// holding more than a chunk in memory. The commit, its run record and the
// switch to the new generation are one transaction, so a failed or killed
// commit leaves the previous state and log as they were.
//
// # Retention
//
// A commit, once its new state is in place, deletes the key's oldest runs
// beyond the last Retention (1,000 by default, at least 3), in the same
// transaction: the record of the last commit is always kept.
//
// # Releases
//
// The package is its own Go module, so that the SDK stays standard library
// only. In this repository its go.mod replaces the SDK by the working copy
// (replace github.com/autosync-go/autosync => ../../..); a release tagged
// client/syncjob/pgjournal/vX.Y.Z requires a tagged version of the SDK
// instead.
package pgjournal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// LockClass is the first int of the two-int advisory locks the journal
// takes (the second is the key's id): "ASYC" in ASCII.
const LockClass int32 = 0x41535943

// A Journal is a syncjob.Journal, and a syncjob.HealthJournal, on the
// tables that Migrate creates. Journals on one database exclude each
// other's runs of a key, from any process or machine.
type Journal struct {
	pool *pgxpool.Pool
	// Retention is the fewest run records of each key the journal keeps:
	// 0 keeps 1,000, and a value below 3 keeps 3.
	Retention int
}

// New returns a Journal on the database of pool, whose schema Migrate has
// brought up to date.
func New(pool *pgxpool.Pool) *Journal { return &Journal{pool: pool} }

// normal returns key with its site normalised, as syncjob.KeyOf does.
func normal(key syncjob.Key) syncjob.Key {
	key.Site = syncjob.KeyOf(key.Site, "", nil).Site
	return key
}

const keySQL = `SELECT id FROM autosync_keys WHERE site = $1 AND tenant = $2 AND import = $3`

// keyID returns the id of key, adding the key if it has none.
func keyID(ctx context.Context, conn *pgxpool.Conn, key syncjob.Key) (int32, error) {
	var id int32
	err := conn.QueryRow(ctx, keySQL, key.Site, key.Tenant, key.Import).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		_, err = conn.Exec(ctx, `INSERT INTO autosync_keys (site, tenant, import) VALUES ($1, $2, $3)
			ON CONFLICT (site, tenant, import) DO NOTHING`, key.Site, key.Tenant, key.Import)
		if err == nil {
			err = conn.QueryRow(ctx, keySQL, key.Site, key.Tenant, key.Import).Scan(&id)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("pgjournal: reading the key %s: %w", key, err)
	}
	return id, nil
}

// Lock takes key's lock on a connection of the pool, which the Session
// holds until Close. When another run holds the lock it returns a
// *syncjob.LockedError at once, naming that run's process, host and start
// when it could read them.
func (j *Journal) Lock(ctx context.Context, key syncjob.Key) (syncjob.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key = normal(key)
	conn, err := j.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgjournal: taking the lock of %s: %w", key, err)
	}
	id, err := keyID(ctx, conn, key)
	if err != nil {
		conn.Release()
		return nil, err
	}
	s := &session{conn: conn, key: key, id: id, keep: retention(j.Retention)}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, LockClass, id).Scan(&ok); err != nil {
		_ = s.Close() // the lock may be held, and must not go back to the pool
		return nil, fmt.Errorf("pgjournal: taking the lock of %s: %w", key, err)
	}
	if !ok {
		conn.Release()
		return nil, j.locked(ctx, key, id)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO autosync_lock_holders (key_id, backend_pid, pid, host, started)
		VALUES ($1, pg_backend_pid(), $2, $3, now())
		ON CONFLICT (key_id) DO UPDATE SET backend_pid = EXCLUDED.backend_pid, pid = EXCLUDED.pid,
			host = EXCLUDED.host, started = EXCLUDED.started`, id, pid, host); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("pgjournal: taking the lock of %s: %w", key, err)
	}
	return s, nil
}

// locked returns the *syncjob.LockedError of key, with its holder's
// process, host and start if they can be read.
func (j *Journal) locked(ctx context.Context, key syncjob.Key, id int32) error {
	le := &syncjob.LockedError{Key: key}
	_ = j.pool.QueryRow(ctx, `SELECT pid, host, started FROM autosync_lock_holders WHERE key_id = $1`, id).
		Scan(&le.PID, &le.Host, &le.Started)
	return le
}

// Runs returns the last n runs of key, oldest first (all of them if
// n <= 0); a key never used has none, an empty slice. It needs no lock.
func (j *Journal) Runs(ctx context.Context, key syncjob.Key, n int) ([]syncjob.Run, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key = normal(key)
	var limit *int
	if n > 0 {
		limit = &n
	}
	rows, _ := j.pool.Query(ctx, `SELECT r.id, r.record FROM autosync_runs r JOIN autosync_keys k ON k.id = r.key_id
		WHERE k.site = $1 AND k.tenant = $2 AND k.import = $3 ORDER BY r.id DESC LIMIT $4`,
		key.Site, key.Tenant, key.Import, limit)
	runs := []syncjob.Run{}
	var (
		id     int64
		record []byte
	)
	_, err := pgx.ForEachRow(rows, []any{&id, &record}, func() error {
		var r syncjob.Run
		if err := json.Unmarshal(record, &r); err != nil {
			return fmt.Errorf("pgjournal: decoding run record %d: %w", id, err)
		}
		runs = append(runs, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgjournal: reading the runs of %s: %w", key, err)
	}
	slices.Reverse(runs)
	return runs, nil
}

// Health returns the health of key's runs, reading the log from its end
// back to the last success only (in windows of 16, 64, … runs).
func (j *Journal) Health(ctx context.Context, key syncjob.Key) (syncjob.Health, error) {
	for n := 16; ; n *= 4 {
		runs, err := j.Runs(ctx, key, n)
		if err != nil {
			return syncjob.Health{}, err
		}
		// A window that holds a success has the health of the whole log,
		// which counts only from the last success on.
		h, err := healthOf(ctx, key, runs)
		if err != nil || !h.LastSuccess.IsZero() || len(runs) < n {
			return h, err
		}
	}
}

// healthOf returns the health of runs, as syncjob computes it: through a
// MemJournal, which says the rule.
func healthOf(ctx context.Context, key syncjob.Key, runs []syncjob.Run) (syncjob.Health, error) {
	var mj syncjob.MemJournal
	s, err := mj.Lock(ctx, key)
	for i := 0; err == nil && i < len(runs); i++ {
		err = s.Record(ctx, runs[i])
	}
	if err != nil {
		return syncjob.Health{}, err
	}
	return mj.Health(ctx, key)
}

// retention returns the fewest run records a journal set to keep n keeps:
// 1,000 for 0, and never fewer than 3.
func retention(n int) int {
	if n == 0 {
		return 1000
	}
	return max(n, 3)
}
