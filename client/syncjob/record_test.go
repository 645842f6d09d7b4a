package syncjob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/google/go-cmp/cmp"
)

// TestJobStaffReport: Job.StaffReport gets the report of a run that plans
// or refuses, before the run is recorded, and a report it could not
// write is in the run record without changing the outcome.
func TestJobStaffReport(t *testing.T) {
	errDisk := errors.New("disk full")
	tests := []struct {
		name      string
		writeErr  error
		export    string
		outcome   Outcome
		wantInLog string // the run record's StaffReportError
	}{
		{name: "written", export: toCSV(school(3)), outcome: OutcomeOK},
		{name: "not written", writeErr: errDisk, export: toCSV(school(3)), outcome: OutcomeOK, wantInLog: "the staff report was not written: disk full"},
		{name: "refused, not written", writeErr: errDisk, export: "username,library-group,system-group\n", outcome: OutcomeRefused, wantInLog: "the staff report was not written: disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newFake(t, clienttest.ApplyReplace)
			j := NewMemJournal()
			if _, err := run(t, &Job{Client: c, Journal: j}, toCSV(school(3))); err != nil {
				t.Fatal(err)
			}
			before, _ := j.Runs(context.Background(), (&Job{Client: c}).Key(), 0)
			var got bytes.Buffer
			recorded := -1 // runs in the log when the report was written
			job := &Job{Client: c, Journal: j, StaffReport: func(write func(io.Writer) error) error {
				runs, _ := j.Runs(context.Background(), (&Job{Client: c}).Key(), 0)
				recorded = len(runs)
				if err := write(&got); err != nil {
					return err
				}
				return tt.writeErr
			}}
			rep, _ := run(t, job, tt.export)
			if rep.Outcome != tt.outcome || rep.Run == nil {
				t.Fatalf("outcome %s, record %v", rep.Outcome, rep.Run)
			}
			if diff := cmp.Diff(tt.wantInLog, rep.Run.StaffReportError); diff != "" {
				t.Errorf("StaffReportError (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(got.String(), "\ufeffusername,") || recorded != len(before) {
				t.Errorf("report written with %d runs in the log, want %d (those of the first run): %q", recorded, len(before), got.String())
			}
		})
	}
}
