package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/syncjob"
)

func TestParseLeavers(t *testing.T) {
	tests := []struct {
		in      string
		want    Leavers
		wantErr string
	}{
		{"", Leavers{}, ""},
		{"keep", Leavers{}, ""},
		{"library-group=,system-group=Former Students", Leavers{Move: true, SystemGroup: "Former Students"}, ""},
		{"library-group=Alumni", Leavers{Move: true, LibraryGroup: "Alumni"}, ""},
		{"move", Leavers{}, `"move" is not library-group=GROUP or system-group=GROUP`},
		{"house=Blue", Leavers{}, `"house=Blue" is not library-group=GROUP`},
	}
	for _, tt := range tests {
		got, err := ParseLeavers(tt.in)
		if diff := cmp.Diff(tt.want, got); diff != "" || (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseLeavers(%q) = %v (-want +got):\n%s", tt.in, err, diff)
		}
	}
}

// TestLeaversJSON: multitenant's "leavers" reads and writes "keep" or a
// template object.
func TestLeaversJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    Leavers
		wantErr string
	}{
		{`"keep"`, Leavers{}, ""},
		{`{"library-group": "", "system-group": "Former Students"}`, Leavers{Move: true, SystemGroup: "Former Students"}, ""},
		{`"move"`, Leavers{}, `"leavers" is "keep" or an object`},
		{`{"house": "Blue"}`, Leavers{Move: true}, `"leavers" has no field "house"`},
		{`3`, Leavers{}, `"leavers" is "keep" or an object`},
	}
	for _, tt := range tests {
		var got Leavers
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: error %v, want %q", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.in, diff)
		}
		b, _ := json.Marshal(got)
		var back Leavers
		if err := json.Unmarshal(b, &back); err != nil || back != got {
			t.Errorf("%s: written as %s, read back as %+v, %v", tt.in, b, back, err)
		}
	}
}

// TestStaffFile: the file is renamed over its path; when the path cannot
// be replaced, over its dated sibling; Abort leaves the path as it was.
func TestStaffFile(t *testing.T) {
	now := time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		blocked  bool // a folder is in the way of the path
		abort    bool
		wantPath string // the file written, relative to the folder; "" for none
	}{
		{name: "replaced", wantPath: "report.csv"},
		{name: "in the way: a dated sibling", blocked: true, wantPath: "report-2026-12-08.csv"},
		{name: "aborted", abort: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "report.csv")
			if tt.blocked {
				if err := os.MkdirAll(filepath.Join(path, "x"), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			f, err := CreateStaff(path)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("username\n"))
			written := ""
			if tt.abort {
				f.Abort()
			} else if written, err = f.Commit(now); err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, tt.wantPath); tt.wantPath != "" && written != want {
				t.Errorf("written to %s, want %s", written, want)
			}
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				if !e.IsDir() {
					names = append(names, e.Name())
				}
			}
			var want []string
			if tt.wantPath != "" {
				want = []string{tt.wantPath}
			}
			if diff := cmp.Diff(want, names); diff != "" {
				t.Errorf("the folder's files (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadForStaff: the for-staff rows of a report WriteReport wrote come
// back as they were, the formula guard taken off; other rows are left out.
func TestReadForStaff(t *testing.T) {
	report := "\ufeffusername,Given Name,library-group,system-group,change,status,reason,line\n" +
		"ann,Ann,Blue,,remove,for-staff,gone from the export,\n" +
		"bob,Bob,,Year 7,add,sent,Infiniti confirmed it,3\n" +
		"cat,Cat,'=Gold,,remove,for-staff,gone from the export,\n"
	got, err := ReadForStaff(strings.NewReader(report), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []syncjob.StaffRow{
		{Username: "ann", Item: []string{"Blue", ""}, Change: "remove", Status: syncjob.StatusForStaff},
		{Username: "cat", Item: []string{"=Gold", ""}, Change: "remove", Status: syncjob.StatusForStaff},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := ReadForStaff(strings.NewReader("username,change,status\n"), false); err == nil || !strings.Contains(err.Error(), `the report has no "library-group" column`) {
		t.Errorf("a report without the group columns: %v", err)
	}
}
