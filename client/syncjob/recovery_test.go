package syncjob

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/clienttest"
)

// TestStateBeyondRecentRuns: a run reads the last records first, and
// checks a state that none of them describes against every record kept.
func TestStateBeyondRecentRuns(t *testing.T) {
	tests := []struct {
		name      string
		restore   bool // put back the first run's state, as a stopped commit leaves it
		outcome   Outcome
		recovered bool
	}{
		{name: "described by an older record", restore: true, outcome: OutcomeOK, recovered: true},
		{name: "described by the last commit", outcome: OutcomeOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newFake(t, clienttest.ApplyReplace)
			j := NewMemJournal()
			job := &Job{Client: c, Journal: j}
			if _, err := run(t, job, toCSV(school(5))); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			sess, err := j.Lock(ctx, job.Key())
			if err != nil {
				t.Fatal(err)
			}
			rc, _ := sess.State(ctx)
			first, _ := io.ReadAll(rc)
			sess.Close()
			if _, err := run(t, job, toCSV(school(6))); err != nil {
				t.Fatal(err)
			}
			sess, _ = j.Lock(ctx, job.Key())
			if tt.restore {
				if err := sess.Commit(ctx, strings.NewReader(string(first)), Run{Outcome: OutcomeCancelled}); err != nil {
					t.Fatal(err)
				}
			}
			for range recentRuns + 5 {
				if err := sess.Record(ctx, Run{Start: time.Now(), Outcome: OutcomeInvalidFile}); err != nil {
					t.Fatal(err)
				}
			}
			sess.Close()
			rep, err := run(t, job, toCSV(school(6)))
			if rep.Outcome != tt.outcome || (rep.Recovered != "") != tt.recovered {
				t.Errorf("outcome %s, recovered %q, error %v", rep.Outcome, rep.Recovered, err)
			}
		})
	}
}
