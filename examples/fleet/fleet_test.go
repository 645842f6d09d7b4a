package fleet_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/client/syncjob/pgjournal/pgtest"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/examples/fleet/internal/fakefleet"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// The fake fleet's process is this test binary run again (Start); init,
// not TestMain, makes it so, leaving TestMain to package fleet's tests.
func init() { fakefleet.ServeIfChild() }

// A rig is a fleet under test: a throwaway PostgreSQL, the fake schools
// in a process of their own, and the worker program built from cmd/worker.
type rig struct {
	t       *testing.T
	dir     string // the rig's files: the worker binary, exports, logs
	bin     string // the worker binary
	dsn     string // the fleet's database
	db      *pgx.Conn
	fake    *fakefleet.Process
	schools int
}

// newRig starts a rig of n schools whose fake holds each answer for
// hold, and migrates its database.
func newRig(t *testing.T, n int, hold time.Duration) *rig {
	if testing.Short() {
		t.Skip("starts PostgreSQL, the fake schools and worker processes")
	}
	c, err := pgtest.Start()
	pgtest.Need(t, err)
	t.Cleanup(c.Stop)
	r := &rig{t: t, dir: t.TempDir(), schools: n}
	r.bin = filepath.Join(r.dir, "worker")
	if out, err := exec.Command("go", "build", "-o", r.bin, "./cmd/worker").CombinedOutput(); err != nil {
		t.Fatalf("building the worker: %v\n%s", err, out)
	}
	if r.fake, err = fakefleet.Start(n, hold); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.fake.Stop)
	ctx := context.Background()
	if r.dsn, err = c.NewDatabase(ctx); err != nil {
		t.Fatal(err)
	}
	r.worker("-migrate")
	if r.db, err = pgx.Connect(ctx, r.dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close(ctx) })
	return r
}

// worker runs the worker program with args to its end, as -migrate and
// -enqueue do.
func (r *rig) worker(args ...string) {
	r.t.Helper()
	if out, err := exec.Command(r.bin, append([]string{"-db", r.dsn}, args...)...).CombinedOutput(); err != nil {
		r.t.Fatalf("worker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// start starts a worker process, running at most workers schools at
// once with the given answer limit; it is stopped (SIGTERM, then
// SIGKILL) at the end of the test, and its output is logged on failure.
func (r *rig) start(name string, workers int, answerLimit time.Duration) *exec.Cmd {
	r.t.Helper()
	log, err := os.Create(filepath.Join(r.dir, name+".log"))
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(r.bin, "-db", r.dsn, "-status-addr", "off", "-plain-http",
		"-workers", strconv.Itoa(workers), "-answer-limit", answerLimit.String())
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		timer := time.AfterFunc(15*time.Second, func() { _ = cmd.Process.Kill() })
		_ = cmd.Wait()
		timer.Stop()
		log.Close()
		if r.t.Failed() {
			out, _ := os.ReadFile(log.Name())
			r.t.Logf("%s's output, last 4 kB:\n%s", name, out[max(0, len(out)-4096):])
		}
	})
	return cmd
}

// user returns the name of user j of school i: unique in the fleet, so
// that a file posted to the wrong school shows.
func user(i, j int) string { return fmt.Sprintf("s%04d-u%03d", i, j) }

// writeExports writes every school's export for a night, rows(i) rows
// for school i: on each night after the first, a tenth of the users
// move to another year group. It records the schools in the schools
// table on night 0, and returns each school's memberships as its export
// sets them.
func (r *rig) writeExports(night int, rows func(i int) int) map[string]map[string]clienttest.Membership {
	r.t.Helper()
	want := map[string]map[string]clienttest.Membership{}
	for i := 1; i <= r.schools; i++ {
		id := fakefleet.SchoolID(i)
		path := filepath.Join(r.dir, "exports", id+".csv")
		members := map[string]clienttest.Membership{}
		records := [][]string{csvspec.Header()}
		for j := 1; j <= rows(i); j++ {
			m := clienttest.Membership{LibraryGroups: []string{fmt.Sprintf("House %d", j%4)}, SystemGroups: []string{fmt.Sprintf("Year %d", 7+j%6)}}
			if j%10 == 0 {
				m.SystemGroups[0] = fmt.Sprintf("Year %d", 7+(j+night)%6)
			}
			members[user(i, j)] = m
			records = append(records, []string{user(i, j), m.LibraryGroups[0], m.SystemGroups[0]})
		}
		want[id] = members
		if err := writeCSV(path, records); err != nil {
			r.t.Fatal(err)
		}
		if night > 0 {
			continue
		}
		if _, err := r.db.Exec(context.Background(), `INSERT INTO schools (id, url, tenant, username, password, export_path, applies)
			VALUES ($1, $2, $1, $3, $4, $5, 'replace')`, id, r.fake.URL, clienttest.DefaultUsername, clienttest.DefaultPassword, path); err != nil {
			r.t.Fatal(err)
		}
	}
	return want
}

func writeCSV(path string, records [][]string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.WriteAll(records)
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// enqueue enqueues a night's job for every school, and returns the
// database's time just before, from which waitFinal counts the night's
// jobs.
func (r *rig) enqueue(night string) time.Time {
	r.t.Helper()
	var since time.Time
	if err := r.db.QueryRow(context.Background(), `SELECT now()`).Scan(&since); err != nil {
		r.t.Fatal(err)
	}
	r.worker("-enqueue", "-night", night)
	return since
}

// waitFinal polls river_job, for up to timeout, until every school's job
// created since is final (completed, cancelled or discarded), and
// returns the count of the jobs in each state.
func (r *rig) waitFinal(since time.Time, timeout time.Duration) map[string]int {
	r.t.Helper()
	var states map[string]int
	for deadline := time.Now().Add(timeout); ; time.Sleep(250 * time.Millisecond) {
		states = map[string]int{}
		var final int
		rows, _ := r.db.Query(context.Background(), `SELECT state::text, count(*) FROM river_job
			WHERE kind = 'autosync_school' AND created_at >= $1 GROUP BY state`, since)
		for rows.Next() {
			var s string
			var n int
			if err := rows.Scan(&s, &n); err != nil {
				r.t.Fatal(err)
			}
			states[s] = n
			if s == "completed" || s == "cancelled" || s == "discarded" {
				final += n
			}
		}
		if err := rows.Err(); err != nil {
			r.t.Fatal(err)
		}
		if final == r.schools {
			return states
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("after %v, the jobs of %d schools are in the states %v; want all %d final", timeout, r.schools, states, r.schools)
		}
	}
}

// check compares every school's memberships on the fake with want, and
// fails a school that had two posts in flight at once or none at all.
// It returns the fake's report.
func (r *rig) check(want map[string]map[string]clienttest.Membership) fakefleet.Report {
	r.t.Helper()
	rep, err := r.fake.Report(context.Background(), true)
	if err != nil {
		r.t.Fatal(err)
	}
	for id, w := range want {
		got := rep.Tenants[id]
		if diff := cmp.Diff(w, got.Memberships); diff != "" {
			r.t.Errorf("%s's memberships on the fake (-export +fake):\n%s", id, diff)
		}
		if got.MaxInFlight > 1 || got.Posts == 0 {
			r.t.Errorf("%s: %d posts, at most %d in flight at once; want at least 1 post, never 2 at once", id, got.Posts, got.MaxInFlight)
		}
	}
	return rep
}

// checkReposts checks, from the journal's run log, that each school
// whose post the fake saw cut (rep) has a posting record its run never
// followed (the kill), and that the school's next post came only after
// that record's InFlightUntil, while Infiniti may still have been
// importing the cut one.
func (r *rig) checkReposts(rep fakefleet.Report) {
	r.t.Helper()
	rows, err := r.db.Query(context.Background(), `SELECT k.tenant, convert_from(r.record, 'UTF8')
		FROM autosync_runs r JOIN autosync_keys k ON k.id = r.key_id ORDER BY r.id`)
	if err != nil {
		r.t.Fatal(err)
	}
	logs := map[string][]syncjob.Run{}
	for rows.Next() {
		var tenant, record string
		var run syncjob.Run
		if err := rows.Scan(&tenant, &record); err != nil {
			r.t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(record), &run); err != nil {
			r.t.Fatal(err)
		}
		logs[tenant] = append(logs[tenant], run)
	}
	if err := rows.Err(); err != nil {
		r.t.Fatal(err)
	}
	for id, tn := range rep.Tenants {
		if tn.Cut == 0 {
			continue
		}
		cut := 0
		runs := logs[id]
		for i, p := range runs {
			if p.Outcome != syncjob.OutcomePosting || slices.ContainsFunc(runs[i+1:], func(l syncjob.Run) bool { return l.Start.Equal(p.Start) }) {
				continue
			}
			cut++
			if j := slices.IndexFunc(runs[i+1:], func(l syncjob.Run) bool { return l.Outcome == syncjob.OutcomePosting }); j >= 0 && runs[i+1+j].End.Before(p.InFlightUntil) {
				r.t.Errorf("%s posted again at %v, before the cut post's in-flight time ended at %v", id, runs[i+1+j].End, p.InFlightUntil)
			}
		}
		if cut == 0 {
			r.t.Errorf("%s: the fake saw %d posts cut, but every posting record in its run log was followed by its run's end", id, tn.Cut)
		}
	}
}

// owner returns which of pids has a TCP socket of the local port, 0 for
// none, from /proc/net/tcp and /proc/PID/fd.
func owner(port int, pids ...int) int {
	inode := ""
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 9 && strings.HasSuffix(fields[1], fmt.Sprintf(":%04X", port)) {
				inode = fields[9]
			}
		}
		f.Close()
	}
	if inode == "" {
		return 0
	}
	for _, pid := range pids {
		fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
		for _, fd := range fds {
			if link, _ := os.Readlink(fd); link == "socket:["+inode+"]" {
				return pid
			}
		}
	}
	return 0
}

// TestFleet (issue 18 §4): 200 schools on two worker processes; one is
// killed by SIGKILL while it has a post in flight, and is not restarted,
// so that the other must finish the night alone: River rescues the dead
// worker's jobs, and the journal's lock and in-flight record keep each
// school to one post at a time. Every school must end with the
// memberships of its export, no school may ever have had two posts in
// flight, a school whose post the kill cut may post again only after
// that post's in-flight time (checkReposts), and every job must complete.
func TestFleet(t *testing.T) {
	const (
		schools     = 200
		hold        = time.Second     // each answer, so that the kill lands during a post
		answerLimit = 5 * time.Second // above hold; River's timeouts follow from it
	)
	r := newRig(t, schools, hold)
	want := r.writeExports(0, func(i int) int { return 24 + i%25 })
	since := r.enqueue("2026-12-01")
	a := r.start("worker-a", 10, answerLimit)
	b := r.start("worker-b", 10, answerLimit)

	victim := 0
	for deadline := time.Now().Add(60 * time.Second); victim == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("in 60 s, no worker had a post in flight to kill it during")
		}
		rep, err := r.fake.Report(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		for _, port := range rep.InFlightPorts {
			if victim = owner(port, a.Process.Pid, b.Process.Pid); victim != 0 {
				break
			}
		}
	}
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	states := r.waitFinal(since, 150*time.Second)
	if diff := cmp.Diff(map[string]int{"completed": schools}, states); diff != "" {
		t.Errorf("the night's jobs by state (-want +got):\n%s", diff)
	}
	rep := r.check(want)
	r.checkReposts(rep)
	posts, cut := 0, 0
	for _, tn := range rep.Tenants {
		posts, cut = posts+tn.Posts, cut+tn.Cut
	}
	t.Logf("killed worker %d with a post in flight; every job final %v later; %d posts, %d cut off by the kill",
		victim, time.Since(killed).Round(time.Second), posts, cut)
	if cut == 0 {
		t.Error("the fake saw no post cut off by the kill")
	}
}
