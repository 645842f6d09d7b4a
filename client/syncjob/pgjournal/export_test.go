package pgjournal

import (
	"context"

	"github.com/autosync-go/autosync/client/syncjob"
)

// BackendPID returns the PostgreSQL backend process id of the connection
// that holds s's lock.
func BackendPID(s syncjob.Session) uint32 { return s.(*session).conn.Conn().PgConn().PID() }

// Unlock releases s's lock behind its back, on its own connection, which
// stays open.
func Unlock(s syncjob.Session) error {
	ss := s.(*session)
	_, err := ss.conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1, $2)`, LockClass, ss.id)
	return err
}
