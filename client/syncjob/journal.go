package syncjob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/autosync-go/autosync/internal/textsafe"
)

// A Key names what a journal remembers: one import of one school. KeyOf,
// Job.Key and DirJournal normalise its Site (see KeyOf), so that spellings
// of one URL name one school.
type Key struct {
	Site   string `json:"site"`   // the Infiniti base URL, without credentials (client.Client.BaseURL), normalised
	Tenant string `json:"tenant"` // the tenant, "" if the site has none (client.Client.Tenant)
	Import string `json:"import"` // the import's name, such as "user-groups"
}

// String returns "site tenant=T import=I", the tenant left out if empty.
func (k Key) String() string {
	s := k.Site
	if k.Tenant != "" {
		s += " tenant=" + k.Tenant
	}
	return s + " import=" + k.Import
}

// KeyOf returns the journal key of an import (nil: UserGroups()) of the
// school at the Infiniti base URL site and tenant: the key of a Job whose
// Client has that base URL and tenant, without building a client (a job
// engine's list of schools, say). The site is normalised, so that
// spellings of one site name one school: the scheme and host in lower
// case, without credentials, the scheme's default port (443 for https, 80
// for http), a trailing dot of the host or trailing slashes of the path.
func KeyOf(site, tenant string, imp *Import) Key {
	if imp == nil {
		imp = userGroups
	}
	return Key{Site: normalSite(site), Tenant: tenant, Import: imp.name}
}

// A Journal remembers, for each key, the last state Infiniti accepted and
// a log of runs. DirJournal is the default; MemJournal keeps everything in
// memory; an SMS vendor may implement it on their own database. The
// journaltest package checks an implementation against this contract.
type Journal interface {
	// Lock takes the lock of key for one run and returns the Session that
	// holds it. When another run holds the lock, Lock fails at once with
	// a *LockedError. The lock of a run whose process died must not block
	// the next one. Different keys lock independently.
	Lock(ctx context.Context, key Key) (Session, error)
	// Runs returns the last n run records of key, oldest first (all of
	// them if n <= 0), without taking the lock. A key never used has none.
	Runs(ctx context.Context, key Key, n int) ([]Run, error)
}

// A HealthJournal is a Journal that gives a key's health without reading
// its whole run log, which a job otherwise reads at the end of each run (a
// journal of many runs per key, on a database, say). DirJournal and
// MemJournal are HealthJournals.
type HealthJournal interface {
	Journal
	// Health returns the health of key's runs, as the job computes it
	// from all of them (see Health); a key never used is healthy, with no
	// success.
	Health(ctx context.Context, key Key) (Health, error)
}

// healthOfKey returns the health of key's runs in jn.
func healthOfKey(ctx context.Context, jn Journal, key Key) (Health, error) {
	if hj, ok := jn.(HealthJournal); ok {
		return hj.Health(ctx, key)
	}
	runs, err := jn.Runs(ctx, key, 0)
	if err != nil {
		return Health{}, err
	}
	return healthOf(runs), nil
}

// succeeded reports whether r is a run whose success resets the health.
func succeeded(r Run) bool { return r.Outcome == OutcomeOK && r.Source != clearSource }

// A Session is a locked key of a Journal, for one run.
type Session interface {
	// State returns the last accepted state, as the bytes it was
	// committed as, or an error matching ErrNoState if none was ever
	// committed. The caller closes it.
	State(ctx context.Context) (io.ReadCloser, error)
	// Commit replaces the state with all of state and appends run to the
	// log. If Commit fails, the previous state stays whole and readable,
	// and the run may be missing from the log. If the process dies during
	// it, either the previous state or the new one is whole; a journal
	// that cannot do both at once should append the run first, since a
	// job accepts a state that any retained run describes
	// (Run.StateSHA256), and takes any other as damaged. A journal prunes
	// its log only after a new state is in place, and keeps at least the
	// last 3 runs and the run that describes the state it holds.
	Commit(ctx context.Context, state io.Reader, run Run) error
	// Record appends run to the log, leaving the state as it is.
	Record(ctx context.Context, run Run) error
	// Close releases the lock. Other methods fail after it; a second
	// Close does nothing.
	Close() error
}

// ErrNoState is matched (errors.Is) by the error of Session.State when no
// state was ever committed for the key.
var ErrNoState = errors.New("no state committed yet")

// ErrClosed is matched by the errors of a Session's methods after Close.
var ErrClosed = errors.New("the journal session is closed")

// A LockedError says that another run holds a key's lock.
type LockedError struct {
	Key     Key       // the key whose lock is held
	PID     int       // the process id of the run holding the lock, 0 if unknown
	Host    string    // the host it runs on, "" if unknown
	Started time.Time // when it took the lock, zero if unknown
}

// Error names the run that holds the lock. It does not say how the lock
// is released, which is the journal's business.
func (e *LockedError) Error() string {
	who := "another run"
	if e.PID != 0 {
		who = fmt.Sprintf("another run (process %d", e.PID)
		if e.Host != "" {
			who += " on " + e.Host
		}
		if !e.Started.IsZero() {
			who += ", started " + e.Started.Local().Format(time.RFC3339)
		}
		who += ")"
	}
	return fmt.Sprintf("syncjob: %s holds the lock of %s", who, e.Key)
}

// Outcome is how a run ended. The same strings appear in run records and in
// the example programs' JSON reports.
type Outcome string

// The outcomes of a run.
const (
	OutcomeOK             Outcome = "ok"              // every row posted was confirmed, nothing held
	OutcomeRowsFailed     Outcome = "rows-failed"     // Infiniti failed rows, or users were held for row problems
	OutcomeHeld           Outcome = "held"            // the guard held losses; what took nothing away was sent
	OutcomeRefused        Outcome = "refused"         // nothing sent: an empty or wrong-file export, or a lost state
	OutcomeInvalidFile    Outcome = "invalid-file"    // the export cannot be read or has problems; nothing was sent
	OutcomeNoAnswer       Outcome = "no-answer"       // the file was handed over and no clear answer came; its users are unconfirmed
	OutcomeTransportError Outcome = "transport-error" // nothing reached Infiniti
	OutcomeAuthError      Outcome = "auth-error"      // Infiniti refused the credentials or the account's rights
	OutcomeLocked         Outcome = "locked"          // another run holds the school's lock, or an earlier post may still be importing; nothing was done
	OutcomeCancelled      Outcome = "cancelled"       // the context was cancelled or timed out; after the handover its users are unconfirmed
	OutcomeJournalError   Outcome = "journal-error"   // the journal could not be read or written
	// OutcomePosting is the outcome of the record a run writes, with its
	// state, just before it posts (see Run.InFlightUntil); it is a record,
	// not how a run ends.
	OutcomePosting Outcome = "posting"
)

// maxFailedUsernames caps Run.FailedUsernames: usernames are student ids,
// and the log is kept for years.
const maxFailedUsernames = 20

// A Run is the record of one run in a journal's log. It holds no student
// data but FailedUsernames: errors are told by codes and counts, and its
// texts (Overridden, Source, Error) are cut to 4 KiB, so
// that a record stays one short line.
type Run struct {
	Start         time.Time  `json:"start"`                // when the run started
	End           time.Time  `json:"end"`                  // when it ended
	Key           Key        `json:"key"`                  // the journal key of the run
	Mode          Mode       `json:"mode"`                 // incremental, or full
	Forced        bool       `json:"forced"`               // the run was told to go past a refusal
	Overridden    string     `json:"overridden,omitempty"` // the refusal it went past, if any
	Source        string     `json:"source"`               // the export's name, such as its path
	SHA256        string     `json:"sha256"`               // of the export's bytes, hex
	RowsRead      int        `json:"rows_read"`            // data rows of the export, all-empty and malformed ones included
	EmptyRows     int        `json:"empty_rows"`           // all-empty rows dropped
	CheckErrors   int        `json:"check_errors"`         // errors the pre-flight check found
	CheckWarnings int        `json:"check_warnings"`       // warnings the pre-flight check found
	Plan          *PlanStats `json:"plan,omitempty"`       // nil if the run stopped before planning
	RowsSent      int        `json:"rows_sent"`            // rows posted
	BytesSent     int64      `json:"bytes_sent"`           // CSV bytes of the last attempt
	HTTPStatus    int        `json:"http_status"`          // of the last attempt, 0 if none answered
	Attempts      int        `json:"attempts"`             // attempts of the post, retries included
	Result        *RunResult `json:"result,omitempty"`     // nil if Infiniti gave no result
	FailedRows    int        `json:"failed_rows"`          // rows Infiniti failed
	FailedUsers   int        `json:"failed_users"`         // users with a failed row, who keep their previous state
	// FailedUsernames are the usernames of the first failed rows, at most
	// 20 of them; the counts hold the rest.
	FailedUsernames []string `json:"failed_usernames,omitempty"`
	Outcome         Outcome  `json:"outcome"`         // how the run ended
	Error           string   `json:"error,omitempty"` // what went wrong, without credentials or student data
	SDKVersion      string   `json:"sdk_version"`     // client.Version of the SDK that ran it
	// StateSHA256 and StateUsers describe the state a run committed
	// (outcome ok or rows-failed): the SHA-256 of its canonical CSV, hex,
	// and its number of users. The next run reads the state and compares
	// it with the last committed run's record, so that a state cut short
	// (even at a line boundary) or replaced is taken as damaged rather
	// than guarded against. Runs that committed nothing, and records of
	// older versions of the package, leave them empty; a record without
	// StateSHA256 is not compared.
	StateSHA256 string `json:"state_sha256,omitempty"`
	StateUsers  int    `json:"state_users,omitempty"`
	// InFlightUntil, on a posting record, is when Infiniti has surely
	// finished with the post: the run's start, plus an upload allowance,
	// plus the answer limit. Until then, while no later record of the same
	// run (same Start) follows, other runs do not post.
	InFlightUntil    time.Time `json:"in_flight_until,omitzero"`
	HeldUsers        int       `json:"held_users,omitempty"`        // users held by the limit or for row problems
	UnconfirmedUsers int       `json:"unconfirmed_users,omitempty"` // users posted that Infiniti did not confirm
	// Counted says what Infiniti's processed count matched: "rows" or
	// "users" posted, "both" when those are the same number; empty when
	// it matched neither or there was no count. The vendor does not say
	// which it counts.
	Counted string `json:"counted,omitempty"`
	// Recovered says what the run recovered from an earlier run that was
	// stopped, in one line; empty if nothing.
	Recovered string `json:"recovered,omitempty"`
	// StaffReportError says why the staff report (Job.StaffReport) was
	// not written; empty if it was, or if there was none to write.
	StaffReportError string `json:"staff_report_error,omitempty"`
}

// RunResult is what a run record keeps of Infiniti's result.
type RunResult struct {
	Success   bool   `json:"success"`   // Infiniti's success flag
	Summary   string `json:"summary"`   // empty: Infiniti's summary may name users, so a run records its counts only (records of older versions may hold it)
	Processed int    `json:"processed"` // rows processed, from the summary; 0 when it has no counts
	Created   int    `json:"created"`   // users created, from the summary; 0 when it has no counts
	Updated   int    `json:"updated"`   // users updated, from the summary; 0 when it has no counts
	Failed    int    `json:"failed"`    // rows failed, from the summary; 0 when it has no counts
}

// Health is what a school's run log says about its sync.
type Health struct {
	// LastSuccess is the end of the last run whose outcome was ok; zero if
	// there is none in the log.
	LastSuccess time.Time
	// FailuresSince counts the runs after it (all runs, if none succeeded)
	// whose outcome was not ok: failed rows, refusals, invalid files,
	// transport and auth errors, cancellations.
	FailuresSince int
}

// healthOf returns the health of a run log, oldest run first. Records
// without an Outcome (such as a line "{}" or "null" in a damaged log) are
// not runs, and are not counted; nor is a posting record that a later
// record of its run follows, nor a run of Job.ClearForStaff, which syncs
// nothing.
func healthOf(runs []Run) Health {
	var h Health
	for i, r := range runs {
		if r.Outcome == "" || (r.Outcome == OutcomePosting && finished(runs[i+1:], r)) || r.Source == clearSource {
			continue
		}
		if succeeded(r) {
			h = Health{LastSuccess: r.End}
			continue
		}
		h.FailuresSince++
	}
	return h
}

// finished reports whether a record of run's run is among later.
func finished(later []Run, run Run) bool {
	for _, l := range later {
		if l.Start.Equal(run.Start) {
			return true
		}
	}
	return false
}

// MarshalJSON encodes the health as {"last_success": time or null,
// "failures_since": n}.
func (h Health) MarshalJSON() ([]byte, error) {
	var last *time.Time
	if !h.LastSuccess.IsZero() {
		last = &h.LastSuccess
	}
	return json.Marshal(struct {
		LastSuccess   *time.Time `json:"last_success"`
		FailuresSince int        `json:"failures_since"`
	}{last, h.FailuresSince})
}

// The longest texts a run record keeps, in bytes: a record stays one short
// line however long Infiniti's summary or an error is.
const (
	maxRecordText     = 4 << 10
	maxRecordUsername = 256
)

// cutText returns s cut to at most n bytes, on a rune boundary, with "…"
// at the end when it was cut.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return textsafe.Clip(s, n-len("…"))
}

// normalSite returns the base URL site in the form a Key keeps: the
// scheme and host in lower case, without credentials (client.New takes
// them out of its base URL), the scheme's default port, a trailing dot of
// the host or trailing slashes of the path. A site that does not parse
// as a URL with a host is returned as it is, but for anything up to its
// last '@' after "://" (credentials with a stray % or #).
func normalSite(site string) string {
	u, err := url.Parse(site)
	if err != nil || u.Host == "" || u.Opaque != "" {
		if scheme, rest, ok := strings.Cut(site, "://"); ok {
			if i := strings.LastIndexByte(rest, '@'); i >= 0 {
				return scheme + "://" + rest[i+1:]
			}
		}
		return site
	}
	u.Scheme, u.User = strings.ToLower(u.Scheme), nil
	host, port := strings.TrimSuffix(strings.ToLower(u.Hostname()), "."), u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	switch {
	case port != "":
		host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"):
		host = "[" + host + "]" // IPv6
	}
	u.Host = host
	u.Path, u.RawPath = strings.TrimRight(u.Path, "/"), strings.TrimRight(u.RawPath, "/")
	return u.String()
}
