package syncjob

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/csvspec"
)

func rowsOf(s *snapshot) []Row {
	var out []Row
	for r := range s.All() {
		out = append(out, Row{Line: r.Line, Fields: slices.Clone(r.Fields)})
	}
	return out
}

func TestReadSnapshot(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		opts      []csvspec.ReaderOption
		want      []Row
		users     int
		emptyRows int
		wantErr   string
	}{
		{name: "zero bytes", in: "", users: 0},
		{name: "header only", in: "username,library-group,system-group\n", users: 0},
		{name: "sorted by user then groups, duplicates kept once with the first line",
			in: "username,library-group,system-group\n" +
				"zoe,Gold,Year 7\n" + // line 2
				"adam,Red,\n" + // 3
				"zoe,Blue,\n" + // 4
				"zoe,Gold,Year 7\n" + // 5, a duplicate of line 2
				"adam,,Year 8\n", // 6
			want: []Row{
				{Line: 6, Fields: []string{"adam", "", "Year 8"}},
				{Line: 3, Fields: []string{"adam", "Red", ""}},
				{Line: 4, Fields: []string{"zoe", "Blue", ""}},
				{Line: 2, Fields: []string{"zoe", "Gold", "Year 7"}},
			}, users: 2},
		{name: "all-empty rows are dropped and counted",
			in:   "username,library-group,system-group\nann,Red,\n,,\n\n,,\n",
			want: []Row{{Line: 2, Fields: []string{"ann", "Red", ""}}}, users: 1, emptyRows: 2},
		{name: "header map and column order",
			in:   "Year,Student Code,House\r\nYear 7,s1,Red\r\n",
			opts: []csvspec.ReaderOption{csvspec.WithHeaderMap(map[string]string{"username": "Student Code", "library-group": "House", "system-group": "Year"})},
			want: []Row{{Line: 2, Fields: []string{"s1", "Red", "Year 7"}}}, users: 1},
		{name: "values kept as they are", in: "username,library-group,system-group\n\" s1\",\"A, \"\"B\"\"\",\n",
			want: []Row{{Line: 2, Fields: []string{" s1", `A, "B"`, ""}}}, users: 1},
		{name: "empty username", in: "username,library-group,system-group\nann,Red,\n,Red,\n", wantErr: "line 3: the username is empty"},
		{name: "field count", in: "username,library-group,system-group\nann,Red\n", wantErr: "line 2:"},
		{name: "header", in: "user,library-group,system-group\nann,Red,\n", wantErr: "line 1 (header)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := userGroups.readSnapshot(strings.NewReader(tt.in), tt.opts...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rowsOf(s)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if s.Users() != tt.users || s.Rows() != len(tt.want) || s.EmptyRows() != tt.emptyRows {
				t.Errorf("Users %d, Rows %d, EmptyRows %d; want %d, %d, %d", s.Users(), s.Rows(), s.EmptyRows(), tt.users, len(tt.want), tt.emptyRows)
			}
		})
	}
}

func TestNewSnapshot(t *testing.T) {
	s, err := newSnapshot(slices.Values([]csvspec.UserGroup{
		{Username: "b", LibraryGroup: "Red"},
		{},
		{Username: "a", SystemGroup: "Year 7"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{{Line: 4, Fields: []string{"a", "", "Year 7"}}, {Line: 2, Fields: []string{"b", "Red", ""}}}
	if diff := cmp.Diff(want, rowsOf(s)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	_, err = newSnapshot(slices.Values([]csvspec.UserGroup{{Username: "a"}, {LibraryGroup: "Red"}}))
	if !errors.Is(err, errEmptyUsername) || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("empty username: %v", err)
	}
}

// TestSnapshotInterns checks that a group name is kept once.
func TestSnapshotInterns(t *testing.T) {
	s, err := userGroups.readSnapshot(strings.NewReader(toCSV(school(50))))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]*byte{}
	for r := range s.All() {
		for _, v := range r.Fields[1:] {
			if v == "" {
				continue
			}
			p := unsafe.StringData(v)
			if q, ok := seen[v]; ok && q != p {
				t.Fatalf("group %q is kept twice", v)
			}
			seen[v] = p
		}
	}
	if len(seen) != len(libraryGroups)+len(systemGroups)+1 {
		t.Errorf("%d distinct groups, want %d", len(seen), len(libraryGroups)+len(systemGroups)+1)
	}
}

func TestSnapshotWriteTo(t *testing.T) {
	in := "username,library-group,system-group\nzoe,\"Gold, Inc\",Year 7\n,,\nadam,Red,\nzoe,Blue,\n"
	s, err := userGroups.readSnapshot(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	n, err := s.WriteTo(&b)
	if err != nil || n != int64(b.Len()) {
		t.Fatalf("WriteTo: %d, %v (wrote %d)", n, err, b.Len())
	}
	want := "username,library-group,system-group\nadam,Red,\nzoe,Blue,\nzoe,\"Gold, Inc\",Year 7\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	// It reads back as the same rows.
	back, err := userGroups.readSnapshot(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	fields := func(s *snapshot) (out [][]string) {
		for r := range s.All() {
			out = append(out, r.Fields)
		}
		return out
	}
	if diff := cmp.Diff(fields(s), fields(back)); diff != "" {
		t.Errorf("round trip (-first +second):\n%s", diff)
	}
}

// TestContactsReadSnapshotFalsePrimaryRow: Import.readSnapshot, which does
// not check, drops Excel's all-empty rows but refuses a row whose only
// value is a false primary, rather than dropping it silently.
func TestContactsReadSnapshotFalsePrimaryRow(t *testing.T) {
	const hdr = "username,type,role,primary,addressee,contact,sms,scenarios\n"
	tests := []struct {
		name      string
		export    string
		wantErr   bool
		wantEmpty int
	}{
		{name: "all-empty rows are dropped", export: hdr + "a,email,patron,True,A,a@example.com,,ANY\n,,,,,,,\n,,\n", wantEmpty: 2},
		{name: "a false primary alone is an error", export: hdr + "a,email,patron,True,A,a@example.com,,ANY\n,,,False,,,,\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := contactsImport.readSnapshot(strings.NewReader(tt.export))
			if (err != nil) != tt.wantErr {
				t.Fatalf("readSnapshot error %v, want error: %v", err, tt.wantErr)
			}
			if err == nil && snap.EmptyRows() != tt.wantEmpty {
				t.Errorf("EmptyRows() = %d, want %d", snap.EmptyRows(), tt.wantEmpty)
			}
		})
	}
}
