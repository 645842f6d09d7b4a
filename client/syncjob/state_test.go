package syncjob

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/clienttest"
)

// TestStateV1: a state written before the format had a version (the
// canonical three-column CSV of main at 63ff2ff) reads as every user
// confirmed, and the next commit writes the current format.
func TestStateV1(t *testing.T) {
	v1, err := os.ReadFile("testdata/state-v1.csv")
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseState(userGroups, v1)
	if err != nil || st.active.Users() != 2 || st.active.Rows() != 3 || len(st.meta) != 0 || st.marked.Users() != 0 {
		t.Fatalf("parseState: %v, %+v", err, st)
	}
	srv, c := newFake(t, clienttest.ApplyReplace)
	j := NewMemJournal()
	job := &Job{Client: c, Journal: j, Applies: AppliesReplace}
	sess, err := j.Lock(context.Background(), job.Key())
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Commit(context.Background(), bytes.NewReader(v1), Run{Outcome: OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	rep, err := run(t, job, strings.Replace(string(v1), "Year 8", "Year 9", 1))
	if err != nil || rep.Plan.Stats().Unchanged != 1 || rep.Plan.Stats().Changed != 1 {
		t.Fatalf("run: %s, %+v, %v", rep.Outcome, rep.Plan.Stats(), err)
	}
	sent, _ := postedUsers(t, srv.Requests()[0].CSV)
	if diff := cmp.Diff([]string{"bob"}, sent); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
	sess, _ = j.Lock(context.Background(), job.Key())
	rc, _ := sess.State(context.Background())
	var b bytes.Buffer
	_, _ = b.ReadFrom(rc)
	sess.Close()
	want := "autosync-state,2,user-groups\nr,ann,House Red,Year 7\nr,ann,Library Helpers,\nr,bob,\"Gold, Inc\",Year 9\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("state written (-want +got):\n%s", diff)
	}
}

// TestStateRoundTrip: every part of a user's state reads back as written,
// whether a user is copied from the state read or encoded again.
func TestStateRoundTrip(t *testing.T) {
	in := "autosync-state,2,user-groups\n" +
		"u,ann,1,,Ann,Lee\nr,ann,Gold,\ni,ann,,Year 7\n" +
		"u,bob,0,left,Bob,\nr,bob,Silver,Year 8\ni,bob,Silver,\n" +
		"u,cat,1,,,\n" +
		"r,dan,\" Gold\",\"Year \"\"9\"\"\"\n"
	for _, tc := range []struct {
		name   string
		encode bool // forget the bytes read, so that every user is encoded
		cut    bool // the file's last line has no line end
	}{{"copied", false, false}, {"encoded", true, false}, {"without a last line end", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(in)
			if tc.cut {
				data = data[:len(data)-1]
			}
			st, err := parseState(userGroups, data)
			if err != nil {
				t.Fatal(err)
			}
			if st.active.Users() != 2 || st.marked.Users() != 1 || !st.meta["cat"].unconfirmed || st.meta["bob"].mark != markLeft || st.active.value(1, 1) != " Gold" {
				t.Fatalf("parsed %+v", st)
			}
			if tc.encode {
				st.raw, st.activeRaw, st.markedRaw = nil, nil, nil
			}
			out, users := (&verdict{}).writeState(userGroups, st, st.active, true)
			if diff := cmp.Diff(in, string(out)); diff != "" || users != 4 {
				t.Errorf("written back, %d users (-want +got):\n%s", users, diff)
			}
		})
	}
}

// FuzzStateRoundTrip: a state that parses is written back, copied or
// encoded, as bytes that parse to the same state, with the same users.
func FuzzStateRoundTrip(f *testing.F) {
	f.Add([]byte("autosync-state,2,user-groups\nu,ann,1,,Ann,Lee\nr,ann,Gold,\ni,ann,,Year 7\nu,bob,0,left,Bob,\nr,bob,Silver,Year 8\nu,cat,1,,,\nr,dan,\" Gold\",\"Y\"\"9\"\n"))
	f.Add([]byte("autosync-state,2,user-groups\r\nr,ann,Gold,\r\nr,ann,Gold,\r\nu,bob,0,,\r\nr,bob,A,B"))
	f.Add([]byte("username,library-group,system-group\nann,Gold,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseState(userGroups, data)
		if err != nil {
			return
		}
		encode := func(st *state) ([]byte, int) {
			st.raw, st.activeRaw, st.markedRaw = nil, nil, nil
			return (&verdict{}).writeState(userGroups, st, st.active, true)
		}
		copied, n := (&verdict{}).writeState(userGroups, st, st.active, true)
		want, wantN := encode(st)
		back, err := parseState(userGroups, copied)
		if err != nil {
			t.Fatalf("the state written back does not parse: %v\n%q", err, copied)
		}
		got, _ := encode(back)
		if diff := cmp.Diff(string(want), string(got)); diff != "" || n != wantN {
			t.Errorf("copied %d users, encoded %d; the states differ (-encoded +copied):\n%s", n, wantN, diff)
		}
	})
}
