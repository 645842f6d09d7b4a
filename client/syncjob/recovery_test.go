package syncjob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
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

// TestInFlight: a run that finds the posting record of a run that has not
// ended does not post before the post can no longer be in flight; Plan
// still plans.
func TestInFlight(t *testing.T) {
	_, c := newFake(t, clienttest.ApplyReplace)
	j := NewMemJournal()
	job := &Job{Client: c, Journal: j}
	if _, err := run(t, job, toCSV(school(10))); err != nil {
		t.Fatal(err)
	}
	sess, err := j.Lock(context.Background(), job.Key())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	until := start.Add(time.Hour)
	if err := sess.Record(context.Background(), Run{Start: start, Key: job.Key(), Outcome: OutcomePosting, InFlightUntil: until}); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	rep, err := run(t, job, toCSV(school(11)))
	var fe *InFlightError
	if rep.Outcome != OutcomeLocked || !errors.As(err, &fe) || !rep.LockedUntil.Equal(until) {
		t.Fatalf("outcome %s, locked until %v, error %v; want locked until %v", rep.Outcome, rep.LockedUntil, err, until)
	}
	if rep, err := job.Plan(context.Background(), strings.NewReader(toCSV(school(11)))); err != nil || rep.Outcome != OutcomeOK {
		t.Errorf("plan: %s, %v", rep.Outcome, err)
	}
	runs, _, _ := job.History(context.Background(), 0)
	if last := runs[len(runs)-1]; last.Outcome != OutcomePosting || !strings.Contains(last.Error, "no answer") {
		t.Errorf("history's last run %+v, want the posting record, ended after its post", last)
	}
	job.now = func() time.Time { return until.Add(time.Second) }
	if rep, err := run(t, job, toCSV(school(11))); err != nil || rep.Outcome != OutcomeOK || rep.RowsSent == 0 {
		t.Errorf("after the post's time: %s, %d rows, %v", rep.Outcome, rep.RowsSent, err)
	}
}

// TestStateVersion: a state of a newer version is a journal error naming
// the version, and Force does not go past it.
func TestStateVersion(t *testing.T) {
	_, c := newFake(t, clienttest.ApplyReplace)
	j := NewMemJournal()
	job := &Job{Client: c, Journal: j, Force: true}
	sess, err := j.Lock(context.Background(), job.Key())
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Commit(context.Background(), strings.NewReader("autosync-state,3,user-groups\n"), Run{Outcome: OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	rep, err := run(t, job, toCSV(school(3)))
	if rep.Outcome != OutcomeJournalError || !strings.Contains(fmt.Sprint(err), "version 3") {
		t.Errorf("outcome %s, %v; want a journal error naming version 3", rep.Outcome, err)
	}
}

// The in-flight window is the upload allowance plus the client's answer
// limit, or the default limit when the client cannot know it (issue 14 §1).
func TestInFlightUntil(t *testing.T) {
	next, err := newSnapshot(slices.Values([]csvspec.UserGroup{{Username: "ann", LibraryGroup: "Gold"}}))
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := newSnapshot(slices.Values([]csvspec.UserGroup(nil)))
	plan := diffPlan(empty, next)
	start := time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC)
	deadline, cancel := context.WithDeadline(context.Background(), start.Add(5*time.Minute))
	defer cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		answer time.Duration
		want   time.Duration
	}{
		{"unknown answer limit", context.Background(), 0, time.Minute + client.DefaultResponseHeaderTimeout},
		{"the client's answer limit", context.Background(), 30 * time.Minute, 31 * time.Minute},
		{"the context's deadline", deadline, 30 * time.Minute, 35 * time.Minute},
	}
	for _, tt := range tests {
		if got := inFlightUntil(tt.ctx, start, plan, tt.answer).Sub(start); got != tt.want {
			t.Errorf("%s: in flight for %v, want %v", tt.name, got, tt.want)
		}
	}
}
