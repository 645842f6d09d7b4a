package syncjob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
)

// TestJobConcurrentRuns: while a run holds a school's lock (it is stuck in
// its upload), a second run of the same school fails at once naming the
// first, another school runs, and once the first is over the school runs
// normally.
func TestJobConcurrentRuns(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			srv, c := newFake(t, mode)
			uploading := make(chan struct{})
			var once sync.Once
			slow, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
				client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword), client.WithTenant("T1"),
				client.WithRetry(client.RetryPolicy{}),
				client.WithProgress(func(int64) { once.Do(func() { close(uploading) }) }))
			if err != nil {
				t.Fatal(err)
			}
			j, err := OpenDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			export := toCSV(school(20))
			srv.Fail(1, clienttest.Fault{Delay: time.Hour}) // the first upload hangs until it is cancelled
			ctxA, cancelA := context.WithCancel(context.Background())
			defer cancelA()
			type result struct {
				rep *Report
				err error
			}
			done := make(chan result, 1)
			go func() {
				rep, err := (&Job{Client: slow, Journal: j}).Run(ctxA, strings.NewReader(export))
				done <- result{rep, err}
			}()
			select {
			case <-uploading:
			case r := <-done:
				t.Fatalf("the first run ended before uploading: %q, %v", r.rep.Outcome, r.err)
			}

			// The first run is stuck in its upload: it holds the lock.
			repB, errB := run(t, &Job{Client: c, Journal: j}, export)
			var le *LockedError
			if !errors.As(errB, &le) || repB.Outcome != OutcomeLocked {
				t.Fatalf("second run: outcome %q, error %v; want locked", repB.Outcome, errB)
			}
			if le.PID != os.Getpid() || le.Started.IsZero() {
				t.Errorf("LockedError %+v does not name the first run", le)
			}
			if repB.Run != nil || repB.Plan != nil {
				t.Errorf("a locked run planned or recorded: %+v", repB)
			}

			// Another school (another tenant) is not held up.
			other, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
				client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword), client.WithTenant("T2"))
			if err != nil {
				t.Fatal(err)
			}
			if rep, err := run(t, &Job{Client: other, Journal: j}, export); err != nil || rep.Outcome != OutcomeOK {
				t.Fatalf("another school: %q, %v", rep.Outcome, err)
			}

			cancelA()
			a := <-done
			if a.rep.Outcome != OutcomeCancelled || !errors.Is(a.err, context.Canceled) {
				t.Fatalf("first run: outcome %q, error %v; want cancelled", a.rep.Outcome, a.err)
			}
			if a.rep.Run == nil || a.rep.Run.Outcome != OutcomeCancelled {
				t.Errorf("the cancelled run's record: %+v", a.rep.Run)
			}
			// The cancelled run committed nothing: the school's next run is a
			// first run, and it goes through.
			rep, err := run(t, &Job{Client: c, Journal: j}, export)
			if err != nil || rep.Outcome != OutcomeOK || !rep.Plan.Stats().FirstRun {
				t.Fatalf("after the first run: %q, first run %v, %v", rep.Outcome, rep.Plan.Stats().FirstRun, err)
			}
			assertConverged(t, srv, mode, school(20), nil)
		})
	}
}

// gateReader is an export that says when it is first read, then waits
// for release before it gives its content.
type gateReader struct {
	r        io.Reader
	started  chan struct{}
	release  chan struct{}
	waitOnce bool
}

func (g *gateReader) Read(p []byte) (int, error) {
	if !g.waitOnce {
		g.waitOnce = true
		close(g.started)
		<-g.release
	}
	return g.r.Read(p)
}

// TestPlanReleasesLockBeforeExport: a plan holds the school's lock only
// while it reads the state, so that a run started while the plan reads
// the export is not locked out.
func TestPlanReleasesLockBeforeExport(t *testing.T) {
	_, c := newFake(t, clienttest.ApplyAdd)
	j := NewMemJournal()
	job := &Job{Client: c, Journal: j}
	if _, err := run(t, job, toCSV(school(10))); err != nil {
		t.Fatal(err)
	}
	g := &gateReader{r: strings.NewReader(toCSV(school(10))), started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		rep, err := job.Plan(context.Background(), g)
		if err == nil && rep.Outcome != OutcomeOK {
			err = fmt.Errorf("outcome %s", rep.Outcome)
		}
		done <- err
	}()
	<-g.started
	s, err := j.Lock(context.Background(), job.Key())
	if err == nil {
		s.Close()
	}
	close(g.release)
	if perr := <-done; perr != nil {
		t.Errorf("Plan: %v", perr)
	}
	if err != nil {
		t.Errorf("Lock while a plan reads the export: %v; want the lock free", err)
	}
}
