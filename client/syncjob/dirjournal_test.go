package syncjob

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/clienttest"
)

func TestFolderName(t *testing.T) {
	tests := []struct {
		key  Key
		want string // without the hash
	}{
		{Key{Site: "https://myschool.concordinfiniti.com", Tenant: "T1", Import: "user-groups"}, "myschool.concordinfiniti.com_T1_user-groups"},
		{Key{Site: "https://myschool.concordinfiniti.com", Import: "user-groups"}, "myschool.concordinfiniti.com_user-groups"},
		{Key{Site: "https://school.example:8443/infiniti", Tenant: "a b", Import: "user-groups"}, "school.example-8443-infiniti_a-b_user-groups"},
		{Key{Site: "https://school.example", Tenant: "../../etc/passwd", Import: "user-groups"}, "school.example_etc-passwd_user-groups"},
		{Key{Site: "https://school.example", Tenant: "..", Import: "user-groups"}, "school.example_x_user-groups"},
		{Key{Site: `https://school.example`, Tenant: `a\b:c*d?e"f<g>h|i`, Import: "user-groups"}, "school.example_a-b-c-d-e-f-g-h-i_user-groups"},
		{Key{Site: "https://con", Tenant: "T", Import: "user-groups"}, "_con_T_user-groups"},
		{Key{Site: "https://aux.example", Tenant: "T", Import: "user-groups"}, "_aux.example_T_user-groups"},
		{Key{Site: "https://lpt1", Tenant: "T", Import: "user-groups"}, "_lpt1_T_user-groups"},
		{Key{Site: "https://console.example", Tenant: "T", Import: "user-groups"}, "console.example_T_user-groups"},
		{Key{Site: "https://school.example", Tenant: "学校", Import: "user-groups"}, "school.example_x_user-groups"},
		{Key{Site: "https://school.example", Tenant: strings.Repeat("t", 100), Import: "user-groups"}, "school.example_" + strings.Repeat("t", 32) + "_user-groups"},
		{Key{Site: "not a url", Import: "user-groups"}, "not-a-url_user-groups"},
	}
	seen := map[string]Key{}
	for _, tt := range tests {
		got := FolderName(tt.key)
		base, hash, ok := cutLast(got, "_")
		if !ok || len(hash) != 8 || base != tt.want {
			t.Errorf("FolderName(%v) = %q, want %q and an 8-digit hash", tt.key, got, tt.want+"_")
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%v and %v share the folder %q", other, tt.key, got)
		}
		seen[got] = tt.key
		if got != FolderName(tt.key) {
			t.Errorf("FolderName(%v) is not stable", tt.key)
		}
		if strings.ContainsAny(got, `/\:*?"<>| `) || strings.HasPrefix(got, ".") {
			t.Errorf("FolderName(%v) = %q is not a safe file name", tt.key, got)
		}
	}
	// Keys alike once made safe still differ by the hash.
	a := FolderName(Key{Site: "https://s", Tenant: "a/b", Import: "user-groups"})
	b := FolderName(Key{Site: "https://s", Tenant: "a:b", Import: "user-groups"})
	if a == b {
		t.Errorf("two keys share the folder %q", a)
	}
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func TestDirJournalTornLine(t *testing.T) {
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := j.Lock(ctx, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 3 {
		if err := s.Record(ctx, Run{Key: testKey, Outcome: OutcomeOK, RowsSent: i}); err != nil {
			t.Fatal(err)
		}
	}
	// A process killed while appending leaves half a line.
	log := filepath.Join(j.Dir(testKey), runsFile)
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"start":"2025-01-01T00:00:00Z","outco`)
	f.Close()
	sent := func() (out []int) {
		runs, err := j.Runs(ctx, testKey, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			out = append(out, r.RowsSent)
		}
		return out
	}
	if diff := cmp.Diff([]int{0, 1, 2}, sent()); diff != "" {
		t.Errorf("runs with a torn last line (-want +got):\n%s", diff)
	}
	// The next record is whole, after the torn line.
	if err := s.Record(ctx, Run{Key: testKey, Outcome: OutcomeOK, RowsSent: 3}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{0, 1, 2, 3}, sent()); diff != "" {
		t.Errorf("runs after a torn line (-want +got):\n%s", diff)
	}
}

var testKey = Key{Site: "https://school.example", Tenant: "T1", Import: "user-groups"}

func TestDirJournalRotation(t *testing.T) {
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := j.Lock(ctx, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	defer func(n int) { rotateAt = n }(rotateAt)
	rotateAt = 20
	const total = 2*20 + 7
	for i := range total {
		if err := s.Record(ctx, Run{Key: testKey, Outcome: OutcomeOK, RowsSent: i}); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := j.Runs(ctx, testKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Rotated at 20 lines: the current log has 7, the previous 20.
	if len(runs) != 27 || runs[0].RowsSent != total-27 || runs[len(runs)-1].RowsSent != total-1 {
		t.Fatalf("%d runs kept, from %d to %d; want the last 27", len(runs), runs[0].RowsSent, runs[len(runs)-1].RowsSent)
	}
	last, err := j.Runs(ctx, testKey, 3)
	if err != nil || len(last) != 3 || last[2].RowsSent != total-1 {
		t.Fatalf("last 3: %+v, %v", last, err)
	}
}

func TestDirJournalLockedError(t *testing.T) {
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := j.Lock(ctx, testKey)
	if err != nil {
		t.Fatal(err)
	}
	_, err = j.Lock(ctx, testKey)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second lock: %v", err)
	}
	host, _ := os.Hostname()
	if le.PID != os.Getpid() || le.Host != host || le.Started.IsZero() {
		t.Errorf("LockedError %+v, want this process (%d on %s) and a start time", le, os.Getpid(), host)
	}
	for _, want := range []string{"process " + itoa(os.Getpid()), "started", "holds the lock of https://school.example tenant=T1 import=user-groups"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(j.Dir(testKey), lockInfo)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock.info left after Close: %v", err)
	}
}

func TestDirJournalKeyMismatch(t *testing.T) {
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(j.Dir(testKey), 0o700); err != nil {
		t.Fatal(err)
	}
	other := `{"site":"https://other.example","tenant":"T9","import":"user-groups"}`
	if err := os.WriteFile(filepath.Join(j.Dir(testKey), keyFile), []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = j.Lock(context.Background(), testKey)
	if err == nil || !strings.Contains(err.Error(), "belongs to another key") {
		t.Fatalf("Lock of a folder claimed by another key: %v", err)
	}
	// The lock was released: after moving the folder away, the key locks.
	if err := os.Remove(filepath.Join(j.Dir(testKey), keyFile)); err != nil {
		t.Fatal(err)
	}
	s, err := j.Lock(context.Background(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestOpenDirErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", file, filepath.Join(file, "sub")} {
		if _, err := OpenDir(dir); err == nil {
			t.Errorf("OpenDir(%q) succeeded", dir)
		}
	}
}

// TestJobDamagedState: a state file someone edited badly stops the run,
// says how to recover, sends nothing and is recorded.
func TestJobDamagedState(t *testing.T) {
	srv, c := newFake(t, clienttest.ApplyAdd)
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	job := &Job{Client: c, Journal: j}
	if _, err := run(t, job, toCSV(school(10))); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(j.Dir(job.Key()), stateFile)
	got, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "autosync-state,2,user-groups\nr,s00000,House Red,Year 7\nr,s00000,Library Helpers,\n") {
		t.Errorf("state file is not canonical and sorted:\n%s", got)
	}
	if err := os.WriteFile(state, []byte("username;library-group;system-group\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := len(srv.Requests())
	rep, err := run(t, job, toCSV(school(10)))
	if rep.Outcome != OutcomeJournalError || err == nil || !strings.Contains(err.Error(), state+" is damaged") || !strings.Contains(err.Error(), "run once with full and force") ||
		strings.Count(err.Error(), "damaged") != 1 {
		t.Fatalf("outcome %q, error %v", rep.Outcome, err)
	}
	if len(srv.Requests()) != before {
		t.Error("a run with a damaged state posted")
	}
	if rep.Run == nil || rep.Run.Outcome != OutcomeJournalError {
		t.Errorf("run record %+v", rep.Run)
	}
}
