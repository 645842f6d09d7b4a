package pgjournal

import "github.com/autosync-go/autosync/client/syncjob"

// BackendPID returns the PostgreSQL backend process id of the connection
// that holds s's lock.
func BackendPID(s syncjob.Session) uint32 { return s.(*session).conn.Conn().PgConn().PID() }
