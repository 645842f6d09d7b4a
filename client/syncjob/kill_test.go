package syncjob

import (
	"bufio"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
)

// The tests below re-run the test binary as a child process that runs a job
// (or takes a lock), kill it at a chosen moment with os.Process.Kill (kill -9
// on Unix, TerminateProcess on Windows), and check that the next run is
// correct. TestMain sends the child to helperMain.

func TestMain(m *testing.M) {
	if h := os.Getenv("SYNCJOB_HELPER"); h != "" {
		os.Exit(helperMain(h))
	}
	os.Exit(m.Run())
}

// helperMain is the child process. It prints a line when it reaches the
// moment to be killed at, then waits to be killed.
func helperMain(kind string) int {
	say := func(s string) {
		os.Stdout.WriteString(s + "\n")
		os.Stdout.Sync()
	}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	j, err := OpenDir(os.Getenv("SYNCJOB_DIR"))
	if err != nil {
		return fail(err)
	}
	if kind == "lock" {
		key := Key{Site: os.Getenv("SYNCJOB_URL"), Tenant: "T1", Import: UserGroups().Name()}
		if _, err := j.Lock(context.Background(), key); err != nil {
			return fail(err)
		}
		say("locked")
		select {}
	}
	pemBytes, err := os.ReadFile(os.Getenv("SYNCJOB_CA"))
	if err != nil {
		return fail(err)
	}
	var once sync.Once
	c, err := client.New(os.Getenv("SYNCJOB_URL"), client.WithRootCAs(pemBytes),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword), client.WithTenant("T1"),
		client.WithRetry(client.RetryPolicy{}),
		client.WithProgress(func(int64) {
			if kind == "upload" {
				once.Do(func() { say("uploading") })
			}
		}))
	if err != nil {
		return fail(err)
	}
	if spec, ok := strings.CutPrefix(kind, "commit-"); ok {
		// commit-<n>-<step>: the n-th commit of the run (1 is the one
		// written ahead of the post), at step.
		n, step, _ := strings.Cut(spec, "-")
		commits := 0
		commitHook = func(s string) {
			if s == "written" {
				commits++
			}
			if s == step && fmt.Sprint(commits) == n {
				say("committing")
				select {}
			}
		}
	}
	f, err := os.Open(os.Getenv("SYNCJOB_EXPORT"))
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	_, err = (&Job{Client: c, Journal: j}).Run(context.Background(), f)
	return fail(fmt.Errorf("the run ended (%v) before it could be killed", err))
}

// child runs the helper of kind, waits until it prints want, and returns
// a function that kills it.
func child(t *testing.T, kind, want string, env ...string) (pid int, kill func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a safety net, not a timing assertion
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, "SYNCJOB_HELPER="+kind)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	kill = func() {
		if killed {
			return
		}
		killed = true
		if err := cmd.Process.Kill(); err != nil {
			t.Errorf("kill: %v", err)
		}
		_ = cmd.Wait()
		cancel()
	}
	t.Cleanup(kill)
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != want {
		kill()
		t.Fatalf("child %s printed %q (%v), want %q; stderr:\n%s", kind, line, err, want, stderr.String())
	}
	go io.Copy(io.Discard, out)
	return cmd.Process.Pid, kill
}

// killSetup is a fake Infiniti and a directory journal that a child
// process can reach, after a first run of base by this process.
type killSetup struct {
	srv  *clienttest.Server
	c    *client.Client
	j    *DirJournal
	env  []string
	base string // the state after the first run
}

func newKillSetup(t *testing.T, mode clienttest.ApplyMode, export string) *killSetup {
	t.Helper()
	srv, c := newFake(t, mode)
	dir := t.TempDir()
	j, err := OpenDir(filepath.Join(dir, "journal"))
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	exp := filepath.Join(dir, "export.csv")
	if err := os.WriteFile(exp, []byte(export), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &killSetup{srv: srv, c: c, j: j,
		env: []string{"SYNCJOB_DIR=" + filepath.Join(dir, "journal"), "SYNCJOB_URL=" + srv.URL, "SYNCJOB_CA=" + ca, "SYNCJOB_EXPORT=" + exp}}
	if rep, err := run(t, s.job(), toCSV(school(100))); err != nil {
		t.Fatalf("first run: %q, %v", rep.Outcome, err)
	}
	s.base = s.state(t)
	return s
}

func (s *killSetup) job() *Job { return &Job{Client: s.c, Journal: s.j} }

func (s *killSetup) state(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.j.Dir(s.job().Key()), stateFile))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (s *killSetup) runs(t *testing.T) int {
	t.Helper()
	runs, err := s.j.Runs(context.Background(), s.job().Key(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(runs)
}

// TestKill kills a run at every write of its two commits (the one written
// ahead of the post, and the last) and during its upload, and checks that
// the next run, once the post may no longer be in flight, succeeds without
// force and converges.
func TestKill(t *testing.T) {
	base := school(100)
	changed := edit(base, func(g csvspec.UserGroup) csvspec.UserGroup {
		if g.Username == "s00007" || g.Username == "s00042" {
			g.SystemGroup = ""
		}
		return g
	})
	changedUsers := []string{"s00007", "s00042"}
	tests := []struct {
		name      string
		kind      string // the helper
		want      string // what it prints when it is ready to be killed
		fault     bool   // the upload hangs
		stateBase bool   // whether the state is still the first run's
		runs      int    // records after the kill (the first run wrote 2)
		inFlight  bool   // the next run is locked until the post can no longer be in flight
		wantSent  []string
		uploadHit bool // whether the killed run's upload reached Infiniti
	}{
		{name: "ahead, written", kind: "commit-1-written", want: "committing", stateBase: true, runs: 2, wantSent: changedUsers},
		{name: "ahead, logged", kind: "commit-1-logged", want: "committing", stateBase: true, runs: 3, inFlight: true, wantSent: changedUsers},
		{name: "ahead, renamed", kind: "commit-1-renamed", want: "committing", runs: 3, inFlight: true, wantSent: changedUsers},
		{name: "during the upload", kind: "upload", want: "uploading", fault: true, runs: 3, inFlight: true, wantSent: changedUsers},
		{name: "last, written", kind: "commit-2-written", want: "committing", runs: 3, inFlight: true, wantSent: changedUsers, uploadHit: true},
		{name: "last, logged", kind: "commit-2-logged", want: "committing", runs: 4, wantSent: changedUsers, uploadHit: true},
		{name: "last, renamed", kind: "commit-2-renamed", want: "committing", runs: 4, wantSent: []string{}, uploadHit: true},
	}
	for _, tt := range tests {
		for _, mode := range modes {
			t.Run(tt.name+"/"+mode.String(), func(t *testing.T) {
				s := newKillSetup(t, mode, toCSV(changed))
				if tt.fault {
					// Long enough to kill the child mid-upload; bounded, because
					// a child killed before its request reached the handler
					// leaves the fault queued for the next run, which then
					// only waits it out.
					s.srv.Fail(1, clienttest.Fault{Delay: 20 * time.Second})
				}
				_, kill := child(t, tt.kind, tt.want, s.env...)
				kill()

				if got := s.state(t); (got == s.base) != tt.stateBase {
					t.Errorf("after the kill, the state is the first run's: %v, want %v", got == s.base, tt.stateBase)
				}
				if n := s.runs(t); n != tt.runs {
					t.Errorf("%d records after the kill, want %d", n, tt.runs)
				}
				if tt.uploadHit {
					assertConverged(t, s.srv, mode, changed, nil)
				}
				before := len(s.srv.Requests())
				if tt.inFlight {
					rep, err := run(t, s.job(), toCSV(changed))
					var fe *InFlightError
					if rep.Outcome != OutcomeLocked || !errors.As(err, &fe) || rep.LockedUntil.IsZero() {
						t.Fatalf("next run while the post may be in flight: %q, %v", rep.Outcome, err)
					}
				}

				// The next run, once the post is surely over, works and sends
				// what was not confirmed.
				job := s.job()
				job.now = func() time.Time { return time.Now().Add(time.Hour) }
				rep, err := run(t, job, toCSV(changed))
				if err != nil || rep.Outcome != OutcomeOK {
					t.Fatalf("next run: %q, %v", rep.Outcome, err)
				}
				if want := tt.inFlight || tt.name == "last, logged"; (rep.Recovered != "") != want {
					t.Errorf("next run recovered %q; want a line: %v", rep.Recovered, want)
				}
				// The killed child's request may be recorded late, when the
				// server notices it is gone; it got no answer.
				var reqs []clienttest.Request
				for _, r := range s.srv.Requests()[before:] {
					if r.Status != 0 {
						reqs = append(reqs, r)
					}
				}
				if len(reqs) != 1 {
					t.Fatalf("next run made %d requests", len(reqs))
				}
				sent, _ := postedUsers(t, reqs[0].CSV)
				if diff := cmp.Diff(tt.wantSent, sent); diff != "" {
					t.Errorf("next run sent (-want +got):\n%s", diff)
				}
				assertConverged(t, s.srv, mode, changed, nil)
				// And the one after it has nothing to send.
				rep, err = run(t, s.job(), toCSV(changed))
				if err != nil || rep.RowsSent != 0 {
					t.Fatalf("run after: %q, %d rows sent, %v", rep.Outcome, rep.RowsSent, err)
				}
			})
		}
	}
}

// TestKilledLockDoesNotBlock: a run killed while it holds the lock leaves
// nothing that blocks the next run.
func TestKilledLockDoesNotBlock(t *testing.T) {
	s := newKillSetup(t, clienttest.ApplyAdd, toCSV(school(100)))
	pid, kill := child(t, "lock", "locked", s.env...)
	// While the child lives, its lock holds, and names it.
	_, err := run(t, s.job(), toCSV(school(100)))
	var le *LockedError
	if !errors.As(err, &le) || le.PID != pid {
		t.Fatalf("while the child holds the lock: %v; want a *LockedError naming process %d", err, pid)
	}
	kill()
	if _, err := os.Stat(filepath.Join(s.j.Dir(s.job().Key()), lockInfo)); err != nil {
		t.Fatalf("the killed child's lock.info should be left behind: %v", err)
	}
	rep, err := run(t, s.job(), toCSV(school(100)))
	if err != nil || rep.Outcome != OutcomeOK {
		t.Fatalf("after the child was killed: %q, %v", rep.Outcome, err)
	}
}
