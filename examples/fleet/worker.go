package fleet

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"testing/iotest"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/examples/internal/cli"
	"github.com/riverqueue/river"
)

// The Outcomes of a school whose job did not run.
const (
	OutcomeInvalidConfig = "invalid-config" // its settings are wrong (a bad URL, applies or rules file)
	OutcomeSourceError   = "source-error"   // the SchoolSource could not give it
	OutcomeNoSchool      = "no-school"      // the SchoolSource has no such school any more (ErrNoSchool); no person is needed
)

// names names a School's settings in the messages of cli.
var names = cli.Names{"password": "the school's credentials", "file": "export", "rules": "rules"}

// An Output is what a school's job recorded on its River job row
// (river.RecordOutput), for the status page.
type Output struct {
	Outcome       string    `json:"outcome"`                // the run's outcome, or OutcomeInvalidConfig
	Advice        string    `json:"advice"`                 // the run's Report.Advice
	Error         string    `json:"error,omitempty"`        // what went wrong, for a technician
	LastSuccess   time.Time `json:"last_success,omitzero"`  // the school's last ok run, from its journal
	FailuresSince int       `json:"failures_since"`         // the runs since that were not ok
	RowsSent      int       `json:"rows_sent"`              // rows posted
	Until         time.Time `json:"until,omitzero"`         // for wait, when the job runs again
	Took          float64   `json:"took_seconds,omitempty"` // how long the run took
}

// A Worker is the River worker of SchoolArgs: it runs one school's sync
// job and maps its Report.Advice to River (Verdict).
type Worker struct {
	river.WorkerDefaults[SchoolArgs]
	Source  SchoolSource    // where the schools come from
	Journal syncjob.Journal // every school's journal, such as a pgjournal
	// Transport is the one transport of every school's client
	// (client.NewTransport); its ResponseHeaderTimeout is the answer
	// limit, from which Timeout derives the job's.
	Transport *http.Transport
	// Options are more client options, after the SDK's, the shared
	// transport and the school's credentials (client.WithInsecurePlainHTTP).
	Options []client.Option
	Metrics *Metrics     // nil: none
	Log     *slog.Logger // nil: slog.Default()
	// MaxWaits is how many times a school's job of a night waits for an
	// answer (each wait posts again once the post before is surely over)
	// before it gives up until the next night: 0 is 6.
	MaxWaits int
}

// Timeout returns the job timeout of Timeouts for the transport's answer
// limit.
func (w *Worker) Timeout(*river.Job[SchoolArgs]) time.Duration {
	job, _ := Timeouts(w.Transport.ResponseHeaderTimeout)
	return job
}

// Work syncs the school of job for its night, records the Output and
// returns Verdict's answer to River.
func (w *Worker) Work(ctx context.Context, job *river.Job[SchoolArgs]) error {
	start := time.Now()
	rep, err := w.run(ctx, job.Args.School)
	out, verdict := Verdict(rep, err, w.Transport.ResponseHeaderTimeout, time.Now())
	out.Took = time.Since(start).Seconds()
	verdict = w.giveUp(&out, verdict, job.Metadata)
	if w.Metrics != nil {
		w.Metrics.verdict(out.Advice)
	}
	if rerr := river.RecordOutput(ctx, out); rerr != nil {
		return rerr
	}
	log := w.Log
	if log == nil {
		log = slog.Default()
	}
	log.Info("school", "school", job.Args.School, "night", job.Args.Night, "attempt", job.Attempt,
		"outcome", out.Outcome, "advice", out.Advice, "error", out.Error, "took", time.Since(start).Round(time.Millisecond))
	return verdict
}

// run runs the school's sync job. A nil Report with an error is a school
// that could not be set up: a config error (Verdict cancels),
// ErrNoSchool (Verdict completes) or the source's error (Verdict retries).
func (w *Worker) run(ctx context.Context, id string) (*syncjob.Report, error) {
	s, err := w.Source.School(ctx, id)
	if err != nil {
		return nil, sourceError{err}
	}
	if s.Rows != nil && s.Rules != "" {
		return nil, errors.New("a school's Rows come without Rules: the rules read an export file")
	}
	cs := cli.School{Name: s.ID, URL: s.URL, Tenant: s.Tenant, File: s.Export, Rules: cli.Rules{Path: s.Rules}, Applies: s.Applies}
	if err := cs.Check(names); err != nil {
		return nil, err
	}
	opts := []client.Option{client.WithTransport(w.Transport), client.WithUserAgent("autosync-fleet")}
	if s.Credentials != nil {
		opts = append(opts, client.WithCredentials(s.Credentials))
	}
	job, err := cli.NewJob(cs, names, func(string) string { return "" }, append(opts, w.Options...)...)
	if err != nil {
		return nil, err
	}
	rules, err := cs.LoadRules(names)
	if err != nil {
		return nil, err
	}
	job.Journal = w.Journal
	if w.Metrics != nil {
		job.Observer = w.Metrics.Observe
	}
	if s.Rows != nil {
		return job.RunRows(ctx, s.Rows)
	}
	f, err := os.Open(s.Export)
	if err != nil {
		// The job still runs, so that the journal records the night's
		// invalid file.
		return job.Run(ctx, iotest.ErrReader(err))
	}
	defer f.Close()
	sniff, _ := cli.ReadExport(f, s.Export, cs, names) // a decoding error fails the sniffer's reads: invalid-file
	if rules != nil {
		return job.RunRows(ctx, cs.MappedRows(rules, sniff))
	}
	return job.Run(ctx, sniff)
}

// giveUp returns verdict, or river.JobCancel once the job of metadata
// (a River job's) has waited MaxWaits times and would wait again.
func (w *Worker) giveUp(out *Output, verdict error, metadata []byte) error {
	waits := jsonInt(metadata, "snoozes")
	if out.Advice != string(syncjob.AdviceWait) || waits < cmp.Or(w.MaxWaits, 6) {
		return verdict
	}
	out.Until = time.Time{}
	return river.JobCancel(fmt.Errorf("%s %d times; the next night tries again", out.Outcome, waits+1))
}

// jsonInt returns the integer field name of the JSON object b, 0 if none.
func jsonInt(b []byte, name string) int {
	var m map[string]json.RawMessage
	var n int
	if json.Unmarshal(b, &m) == nil {
		_ = json.Unmarshal(m[name], &n)
	}
	return n
}

// sourceError is an error of the SchoolSource.
type sourceError struct{ err error }

func (e sourceError) Error() string { return "school source: " + e.err.Error() }
func (e sourceError) Unwrap() error { return e.err }

// Verdict returns the Output of a run (rep nil: a school that could not be
// set up, err says why) and what River does next, from Report.Advice:
//
//   - done: nil, the job completes;
//   - retry: an error, River retries with its backoff;
//   - wait: river.JobSnooze until rep.LockedUntil, and at least answer (the
//     answer limit), since Infiniti may still be importing a post;
//   - fix-export, fix-config: river.JobCancel; a person acts, and the next
//     night's job runs again.
//
// A journal error is retried, not fix-config: it is most often a passing
// fault of the database, which River's backoff rides out. A school the
// source cannot give is retried, unless its error wraps ErrNoSchool (it
// was disabled after its night was enqueued): that job completes with
// OutcomeNoSchool. One that cannot be set up is cancelled.
func Verdict(rep *syncjob.Report, err error, answer time.Duration, now time.Time) (Output, error) {
	if rep == nil {
		if err == nil {
			err = errors.New("the job returned no report")
		}
		var se sourceError
		if errors.Is(err, ErrNoSchool) {
			return Output{Outcome: OutcomeNoSchool, Advice: string(syncjob.AdviceDone), Error: err.Error()}, nil
		}
		if errors.As(err, &se) {
			return Output{Outcome: OutcomeSourceError, Advice: string(syncjob.AdviceRetry), Error: err.Error()}, err
		}
		return Output{Outcome: OutcomeInvalidConfig, Advice: string(syncjob.AdviceFixConfig), Error: names.Message(err)}, river.JobCancel(err)
	}
	advice := rep.Advice()
	if rep.Outcome == syncjob.OutcomeJournalError {
		advice = syncjob.AdviceRetry
	}
	out := Output{Outcome: string(rep.Outcome), Advice: string(advice), LastSuccess: rep.Health.LastSuccess,
		FailuresSince: rep.Health.FailuresSince, RowsSent: rep.RowsSent}
	if err != nil {
		out.Error = names.Message(err)
	}
	switch advice {
	case syncjob.AdviceDone:
		return out, nil
	case syncjob.AdviceWait:
		d := max(rep.LockedUntil.Sub(now), answer)
		out.Until = now.Add(d)
		return out, river.JobSnooze(d)
	case syncjob.AdviceRetry:
		if err == nil {
			err = errors.New("nothing reached Infiniti")
		}
		return out, fmt.Errorf("%s: %w", rep.Outcome, err)
	}
	if err == nil {
		err = fmt.Errorf("%s: a person acts before the next night", rep.Outcome)
	}
	return out, river.JobCancel(err)
}
