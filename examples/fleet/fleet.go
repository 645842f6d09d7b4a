// Package fleet syncs many schools to Infiniti with River, a job queue on
// PostgreSQL, and the SDK's pgjournal on the same database: the part of a
// fleet that a vendor does not write. The vendor writes a SchoolSource
// (where schools, exports and credentials come from) and a main that calls
// Main; cmd/worker is such a program.
//
// # Jobs
//
// Each school gets one River job per night (SchoolArgs, kind
// "autosync_school"), unique per school and night in every state, so that a
// night enqueued twice runs no school twice. A periodic job (NightArgs)
// enqueues the night; Main's -enqueue does the same at once.
//
// A run's Report.Advice decides what River does next (Verdict): done
// completes the job; retry returns an error, so that River retries with
// its backoff (MaxAttempts), as does a journal error; wait (no answer, or an earlier post still in flight) snoozes
// the job until the post's in-flight time is over, and at least the answer
// limit; a person needed (fix-export, fix-config) cancels it. The job
// records its Output on the River job row, which the status page reads.
//
// # The invariants that keep one school from two posts at once
//
// River runs a job at most once at a time unless it believes the job is
// stuck: a job still running RescueStuckJobsAfter after it started is
// retried elsewhere. So Timeouts sets, from the answer limit:
//
//	job timeout  = answer limit + upload bound (half the answer limit) + 1 s
//	rescue after = twice the job timeout (above the job timeout)
//
// The upload bound is an allowance, not a limit the client enforces: a
// school whose file takes longer than half the answer limit to upload is
// cut off at the job timeout on every attempt. Give the workers of such
// schools a larger -answer-limit.
//
// A job's context ends at its timeout, before any rescue; the post is
// given up, and the journal's posting record keeps the school's next run
// from posting until the post's in-flight time is over (the converge
// rule). That rule, and pgjournal's per-school lock, guard what River
// cannot: a worker that is killed, or a clock that jumps.
package fleet

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// A School is what a worker needs to sync one school's user groups.
type School struct {
	ID     string // the SchoolSource's ID
	URL    string // the Infiniti base URL
	Tenant string // the tenant, "" if the site has none
	// Credentials returns the user and password at the start of each
	// post (client.WithCredentials). An error wrapping
	// client.ErrNoCredentials says the school has none: a person acts.
	Credentials func(ctx context.Context) (user, password string, err error)
	// Export is the path of the school's export, a CSV file; or Rows
	// gives the rows, when the export is not a file.
	Export string
	Rows   iter.Seq2[csvspec.SourceRow, error]
	// Rules is the path of the school's group rules (csvspec/mapping),
	// which read Export; "" for an export in the import's own columns.
	// Rows come without Rules.
	Rules string
	// Applies says how the school's Infiniti applies a file: "add",
	// "replace" or "" (unknown); see syncjob.Applies.
	Applies string
}

// A SchoolSource says which schools to sync and how: a vendor's table,
// a config file, an API. Its methods, and a School's Rows, must return
// when their context is done: the job's timeout ends a run only through
// that context, before River may rescue the job elsewhere.
type SchoolSource interface {
	// Tonight returns the IDs of the schools to sync in a night.
	Tonight(ctx context.Context) ([]string, error)
	// School returns one school's settings. An error wrapping
	// ErrNoSchool completes the school's job with OutcomeNoSchool (no
	// person is needed); any other is retried.
	School(ctx context.Context, id string) (School, error)
}

// ErrNoSchool says that a SchoolSource has no such school, or that it is
// no longer enabled.
var ErrNoSchool = errors.New("no such school")

// Kinds of the River jobs, and the queue of the school jobs.
const (
	KindSchool = "autosync_school"
	KindNight  = "autosync_night"
	Queue      = "autosync"
)

// SchoolArgs is the River job of one school for one night.
type SchoolArgs struct {
	School string `json:"school" river:"unique"`
	Night  string `json:"night" river:"unique"`
}

// Kind returns KindSchool.
func (SchoolArgs) Kind() string { return KindSchool }

// MaxAttempts is how many times River runs a school's job of a night
// (waits not counted): with River's backoff (the nth retry after n⁴
// seconds) its retries span about 4 hours, then River discards it.
const MaxAttempts = 10

// InsertOpts puts the job on Queue, with MaxAttempts, unique per school
// and night in every state: a night enqueued again runs no school twice,
// whether the first job is waiting, done or cancelled.
func (SchoolArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: MaxAttempts,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: rivertype.JobStates()}}
}

// NightArgs is the River job that enqueues a night's schools.
type NightArgs struct {
	Night string `json:"night" river:"unique"`
}

// Kind returns KindNight.
func (NightArgs) Kind() string { return KindNight }

// InsertOpts makes the night's job unique per night.
func (NightArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: rivertype.JobStates()}}
}

// Timeouts returns River's job timeout and rescue delay for a client's
// answer limit (client.WithResponseHeaderTimeout), as the package
// documentation says: the job timeout is above the answer limit plus the
// upload bound, and the rescue delay is above the job timeout.
func Timeouts(answer time.Duration) (job, rescue time.Duration) {
	job = answer + answer/2 + time.Second
	return job, 2 * job
}

// NightOf returns the ID of the night that starts at t: its local date,
// 2006-01-02, or with the time of day too (2006-01-02T15:04) when nights
// come more often than daily (every below 24h).
func NightOf(t time.Time, every time.Duration) string {
	if every > 0 && every < 24*time.Hour {
		return t.Format("2006-01-02T15:04")
	}
	return t.Format(time.DateOnly)
}
