package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/examples/internal/cli"
)

// clear records that staff did the for-staff items by hand: all of them,
// or those of a -report file (-clear-for-staff FILE).
func (j *job) clear(ctx context.Context, sj *syncjob.Job, f *flags) int {
	j.rep.File = ""
	var done []syncjob.StaffRow
	if f.clearForStaff != "all" {
		fh, err := os.Open(f.clearForStaff)
		if err != nil {
			return j.fail(cli.ExitUsage, "-clear-for-staff: %v", err)
		}
		done, err = cli.ReadForStaff(fh, f.Import == cli.ImportContacts)
		fh.Close()
		if err != nil {
			return j.fail(cli.ExitUsage, "-clear-for-staff %s: %v", f.clearForStaff, err)
		}
		if done == nil {
			done = []syncjob.StaffRow{} // not nil, which would clear them all
		}
	}
	n, err := sj.ClearForStaff(ctx, done)
	if err != nil {
		var le *syncjob.LockedError
		if errors.As(err, &le) {
			j.rep.Outcome = syncjob.OutcomeLocked
		}
		return j.fail(cli.ExitTransport, "%s", cli.Flags.Message(err))
	}
	j.rep.Outcome = syncjob.OutcomeOK
	j.say("Cleared %s done by hand; the journal records the run.", plural(n, "for-staff item"))
	return cli.ExitOK
}

// history prints the last runs of the school from the journal.
func (j *job) history(ctx context.Context, sj *syncjob.Job) int {
	runs, health, err := sj.History(ctx, historyRuns)
	if err != nil {
		return j.fail(cli.ExitTransport, "%s", cli.Flags.Message(err))
	}
	j.rep.Journal = &health
	j.rep.File = ""
	w := j.stdout
	if j.jsonOut {
		w = j.stderr
	}
	if len(runs) == 0 {
		fmt.Fprintf(w, "No runs recorded for %s in the journal.\n", sj.Key())
		return cli.ExitOK
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tMODE\tOUTCOME\tROWS\tSENT\tCREATED/UPDATED/FAILED\tNOTE")
	for _, r := range runs {
		counts := "-"
		if r.Result != nil {
			counts = fmt.Sprintf("%d/%d/%d", r.Result.Created, r.Result.Updated, r.Result.Failed)
		}
		note := strings.ReplaceAll(r.Error, "syncjob: ", "")
		if r.Forced {
			note = strings.TrimSpace("forced past " + strings.ReplaceAll(r.Overridden, "syncjob: ", "") + " " + note)
		}
		if r.StaffReportError != "" {
			note = strings.TrimPrefix(note+"; "+r.StaffReportError, "; ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", r.Start.Local().Format("2006-01-02 15:04"), r.Mode, r.Outcome, r.RowsRead, r.RowsSent, counts, oneLine(cli.Quote(note), 100))
	}
	tw.Flush()
	last := "never"
	if !health.LastSuccess.IsZero() {
		last = health.LastSuccess.Local().Format("2006-01-02 15:04")
	}
	fmt.Fprintf(w, "Last success: %s; %s failed or refused since.\n", last, plural(health.FailuresSince, "run"))
	return cli.ExitOK
}
