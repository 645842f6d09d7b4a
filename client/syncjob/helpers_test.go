package syncjob

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
)

var modes = []clienttest.ApplyMode{clienttest.ApplyAdd, clienttest.ApplyReplace}

// journalState returns the state j holds for key, read under its lock.
func journalState(t testing.TB, j Journal, key Key) string {
	t.Helper()
	ctx := context.Background()
	sess, err := j.Lock(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	rc, err := sess.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newFake starts a fake Infiniti and returns it with a client for it.
func newFake(t testing.TB, mode clienttest.ApplyMode, opts ...clienttest.Option) (*clienttest.Server, *client.Client) {
	t.Helper()
	srv := clienttest.NewServer(append([]clienttest.Option{clienttest.WithApplyMode(mode)}, opts...)...)
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword),
		client.WithTenant("T1"), client.WithRetry(client.RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

var (
	libraryGroups = []string{"House Red", "House Blue", "House Green", "House Gold"}
	systemGroups  = []string{"Year 7", "Year 8", "Year 9", "Year 10", "Year 11", "Year 12"}
)

// school returns the rows of n users: each in a house and a year, every
// third user in "Library Helpers" too, on a row of its own.
func school(n int) []csvspec.UserGroup {
	var rows []csvspec.UserGroup
	for i := range n {
		u := fmt.Sprintf("s%05d", i)
		rows = append(rows, csvspec.UserGroup{Username: u, LibraryGroup: libraryGroups[i%4], SystemGroup: systemGroups[i%6]})
		if i%3 == 0 {
			rows = append(rows, csvspec.UserGroup{Username: u, LibraryGroup: "Library Helpers"})
		}
	}
	return rows
}

// toCSV writes rows as a canonical file.
func toCSV(rows []csvspec.UserGroup) string {
	var b bytes.Buffer
	w := csvspec.NewWriter(&b)
	for _, r := range rows {
		_ = w.Write(r)
	}
	_ = w.Flush()
	return b.String()
}

// without returns rows minus the users for which drop is true.
func without(rows []csvspec.UserGroup, drop func(u string) bool) []csvspec.UserGroup {
	return slices.DeleteFunc(slices.Clone(rows), func(g csvspec.UserGroup) bool { return drop(g.Username) })
}

// edit returns rows with f applied to each.
func edit(rows []csvspec.UserGroup, f func(csvspec.UserGroup) csvspec.UserGroup) []csvspec.UserGroup {
	out := make([]csvspec.UserGroup, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}

// postedUsers returns the sorted distinct usernames of a posted CSV, and
// its number of rows.
func postedUsers(t testing.TB, body []byte) ([]string, int) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("posted CSV: %v\n%s", err, body)
	}
	if len(recs) == 0 {
		t.Fatalf("posted CSV has no header: %q", body)
	}
	if diff := cmp.Diff(csvspec.Header(), recs[0]); diff != "" {
		t.Fatalf("posted header (-want +got):\n%s", diff)
	}
	users := []string{}
	for _, r := range recs[1:] {
		users = append(users, r[0])
	}
	sort.Strings(users)
	return slices.Compact(users), len(recs) - 1
}

// groupsOf returns each user's library and system groups in rows.
func groupsOf(rows []csvspec.UserGroup) map[string]clienttest.Membership {
	lib := map[string]map[string]bool{}
	sys := map[string]map[string]bool{}
	for _, r := range rows {
		if lib[r.Username] == nil {
			lib[r.Username], sys[r.Username] = map[string]bool{}, map[string]bool{}
		}
		if r.LibraryGroup != "" {
			lib[r.Username][r.LibraryGroup] = true
		}
		if r.SystemGroup != "" {
			sys[r.Username][r.SystemGroup] = true
		}
	}
	out := map[string]clienttest.Membership{}
	for u := range lib {
		out[u] = clienttest.Membership{LibraryGroups: sortedKeys(lib[u]), SystemGroups: sortedKeys(sys[u])}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// assertConverged checks, for every user of the export but those in skip,
// that the fake holds the export's groups: exactly in replace mode, at
// least in add mode.
func assertConverged(t testing.TB, srv *clienttest.Server, mode clienttest.ApplyMode, export []csvspec.UserGroup, skip map[string]bool) {
	t.Helper()
	have := srv.Memberships()
	for u, want := range groupsOf(export) {
		if skip[u] {
			continue
		}
		got := have[u]
		if mode == clienttest.ApplyReplace {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("replace mode, user %s (-export +infiniti):\n%s", u, diff)
			}
			continue
		}
		for _, g := range want.LibraryGroups {
			if !slices.Contains(got.LibraryGroups, g) {
				t.Errorf("add mode, user %s: library group %q missing in Infiniti (has %v)", u, g, got.LibraryGroups)
			}
		}
		for _, g := range want.SystemGroups {
			if !slices.Contains(got.SystemGroups, g) {
				t.Errorf("add mode, user %s: system group %q missing in Infiniti (has %v)", u, g, got.SystemGroups)
			}
		}
	}
}

// run runs job on csv.
func run(t testing.TB, job *Job, export string) (*Report, error) {
	t.Helper()
	return job.Run(context.Background(), strings.NewReader(export))
}

// diffPlan plans an incremental sync from last to next (see diff).
func diffPlan(last, next *snapshot) *Plan { return diff(last, next, ModeIncremental) }

// diffFull plans a full resync from last to next (see diff).
func diffFull(last, next *snapshot) *Plan { return diff(last, next, ModeFull) }

// newSnapshot returns the snapshot of rows, as if they were the data rows of
// a canonical file: the first row on line 2, below the header. Rows whose
// fields are all empty are dropped. A row with an empty username and a
// group is an error naming its line.
func newSnapshot(rows iter.Seq[csvspec.UserGroup]) (*snapshot, error) {
	b := newBuilder(userGroups, true).dedupe()
	line := 1
	for g := range rows {
		line++
		if err := b.add(line, []string{g.Username, g.LibraryGroup, g.SystemGroup}, nil); err != nil {
			return nil, err
		}
	}
	return b.snapshot(), nil
}

// readSnapshot reads an export of the import into a snapshot, as the
// package's readSnapshot does for user groups: with the options of the
// import's csvspec reader, rows whose fields are all empty dropped, and an
// error naming the line for the first problem that keeps it from reading
// the rows, or for a failure to read r, or for an Import the package did
// not make. It does not check the export.
//
// The rows are kept in the import's canonical form: for contacts, the form
// a csvspec.ContactWriter writes (type and role in lower case, booleans as
// True and False), with the scenarios of a row each once and in a fixed
// order, so that rows that mean the same are the same row.
func (imp *Import) readSnapshot(r io.Reader, opts ...csvspec.ReaderOption) (*snapshot, error) {
	if err := imp.usable(); err != nil {
		return nil, err
	}
	return readSnapshot(imp, r, opts, true)
}

// heldOrNil returns the users the run held, and why; nil for a run that
// did not plan.
func (v *verdict) heldOrNil() map[string]string {
	if v == nil {
		return nil
	}
	return v.held
}

func readSnapshot(imp *Import, r io.Reader, opts []csvspec.ReaderOption, keepLines bool) (*snapshot, error) {
	b := newBuilder(imp, true).dedupe()
	for row, err := range csvspec.ReadRows(r, imp.header, nil, opts...) {
		if err != nil {
			return nil, err
		}
		if row.Fields == nil {
			continue // the header's warnings
		}
		if !imp.rules {
			csvspec.CheckContactRow(&row) // the canonical spelling
		}
		for _, p := range row.Problems {
			if p.Severity == csvspec.SeverityError {
				return nil, fmt.Errorf("syncjob: line %d: %s", p.Line, p.Message)
			}
		}
		if err := b.add(row.Line, row.Fields, nil); err != nil {
			return nil, err
		}
	}
	s := b.snapshot()
	if !keepLines {
		s.lines = nil
	}
	return s, nil
}

// Import returns the import the snapshot's rows belong to.
func (s *snapshot) Import() *Import { return s.imp }

// All returns the rows in canonical order: by username, then by their other
// fields.
func (s *snapshot) All() iter.Seq[Row] {
	return func(yield func(Row) bool) {
		for i := range s.Rows() {
			if !yield(s.rowAt(int32(i))) {
				return
			}
		}
	}
}

// WriteTo writes the snapshot as a canonical CSV file: the import's header,
// then every row in canonical order (sorted by username, then by the other
// fields), with RFC 4180 quoting and LF line endings: the state of the
// package's older versions. It returns the bytes written and the first
// error of w.
func (s *snapshot) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	out := csv.NewWriter(cw)
	if err := out.Write(s.imp.header); err != nil {
		return cw.n, err
	}
	for r := range s.Rows() {
		if err := out.Write(s.fields(int32(r))); err != nil {
			return cw.n, err
		}
	}
	out.Flush()
	return cw.n, out.Error()
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
