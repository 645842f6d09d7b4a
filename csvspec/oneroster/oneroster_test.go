package oneroster

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// del deletes a file of a package made by pkgDir.
const del = "\x00delete"

// pkgDir copies the package testdata/base to a folder and applies edits:
// a file's new content, or del.
func pkgDir(t testing.TB, base string, edits map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	ents, err := os.ReadDir(filepath.Join("testdata", base))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("testdata", base, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	for n, s := range edits {
		files[n] = s
	}
	for n, s := range files {
		if s != del {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// zipOf returns a zip of files, by entry name.
func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for n, s := range files {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(s))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// file returns the content of a testdata file with old replaced by new.
func file(t testing.TB, name, old, new string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", name, old)
	}
	return strings.Replace(string(b), old, new, 1)
}

// place returns the code and place of an *Error, or err's text.
func place(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		if err == nil {
			return "<nil>"
		}
		return "not an *Error: " + err.Error()
	}
	return strings.Join([]string{e.Code, e.File, strconv.Itoa(e.Line), e.Column}, " ")
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name  string
		base  string
		edits map[string]string
		opts  Options
		want  string // code, file, line, column
		frag  string // in the message
	}{
		{"delta", "v1p2", map[string]string{"manifest.csv": file(t, "v1p2/manifest.csv", "file.users,bulk", "file.users,delta")}, Options{},
			"delta manifest.csv 24 value", "deltas are not supported"},
		{"delta, in another case", "v1p2", map[string]string{"manifest.csv": file(t, "v1p2/manifest.csv", "file.users,bulk", "File.Users,delta")}, Options{},
			"delta manifest.csv 24 value", "deltas are not supported"},
		{"SDS with a delta manifest", "sds", map[string]string{"manifest.csv": "propertyName,value\nfile.orgs,bulk\nfile.users,delta\nfile.roles,bulk\n"}, Options{SDS: true},
			"delta manifest.csv 3 value", "deltas are not supported"},
		{"users absent", "v1p2", map[string]string{"users.csv": del, "manifest.csv": file(t, "v1p2/manifest.csv", "file.users,bulk", "file.users,absent")}, Options{},
			"users-absent manifest.csv 24 value", "absent"},
		{"listed file missing", "v1p2", map[string]string{"classes.csv": del}, Options{},
			"file-list manifest.csv 6 value", "classes.csv"},
		{"file not listed", "v1p2", map[string]string{"courses.csv": "sourcedId\nk1\n"}, Options{},
			"file-list courses.csv 0 ", "does not list"},
		{"unknown version", "v1p2", map[string]string{"manifest.csv": file(t, "v1p2/manifest.csv", "oneroster.version,1.2", "oneroster.version,2.0")}, Options{},
			"unknown-version manifest.csv 3 value", "2.0"},
		{"required header missing", "v1p2", map[string]string{"roles.csv": file(t, "v1p2/roles.csv", "userSourcedId", "userSourceId")}, Options{},
			"missing-column roles.csv 1 userSourcedId", `nearest is "userSourceId"`},
		{"bulk file the reader does not read, without rows", "v1p2", map[string]string{"academicSessions.csv": "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\n",
			"manifest.csv": file(t, "v1p2/manifest.csv", "file.academicSessions,absent", "file.academicSessions,bulk")}, Options{},
			"no-rows academicSessions.csv 2 ", "no data rows"},
		{"bulk file without rows", "v1p2", map[string]string{"orgs.csv": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"}, Options{},
			"no-rows orgs.csv 2 ", "no data rows"},
		{"role of an unknown org", "v1p2", map[string]string{"roles.csv": file(t, "v1p2/roles.csv", "u6,primary,student,,,o3", "u6,primary,student,,,o9")}, Options{},
			"unknown-reference roles.csv 9 orgSourcedId", `"o9"`},
		{"enrollment of an unknown class", "v1p1", map[string]string{"enrollments.csv": file(t, "v1p1/enrollments.csv", "e4,,,c3", "e4,,,c9")}, Options{},
			"unknown-reference enrollments.csv 5 classSourcedId", `"c9"`},
		{"homeroom of an unknown org", "v1p1", map[string]string{"classes.csv": file(t, "v1p1/classes.csv", "homeroom,,o2", "homeroom,,o7")}, Options{},
			"unknown-reference classes.csv 4 schoolSourcedId", `"o7"`},
		{"two primary roles", "v1p2", map[string]string{"roles.csv": file(t, "v1p2/roles.csv", "r5,,,u3,secondary", "r5,,,u3,primary")}, Options{},
			"two-primary-roles roles.csv 6 roleType", `"u3"`},
		{"two orgs of one sourcedId", "v1p2", map[string]string{"orgs.csv": file(t, "v1p2/orgs.csv", "o3,", "o1,")}, Options{},
			"duplicate-sourcedid orgs.csv 4 sourcedId", `org "o1" is in orgs.csv twice`},
		{"enrollment in an unknown school", "v1p2", map[string]string{"enrollments.csv": file(t, "v1p2/enrollments.csv", "e5,,,c2,o1", "e5,,,c2,o9")}, Options{},
			"unknown-reference enrollments.csv 6 schoolSourcedId", `"o9"`},
		{"scheduled class of an unknown school", "v1p2", map[string]string{"classes.csv": file(t, "v1p2/classes.csv", "scheduled,,o1", "scheduled,,o9")}, Options{},
			"unknown-reference classes.csv 3 schoolSourcedId", `"o9"`},
		{"a 1.2 package whose manifest has no version", "v1p2", map[string]string{"manifest.csv": file(t, "v1p2/manifest.csv", "oneroster.version,1.2\n", "")}, Options{},
			"missing-column users.csv 1 orgSourcedIds", "the manifest has no oneroster.version, so the package is read as 1.1"},
		{"malformed CSV", "v1p1", map[string]string{"orgs.csv": file(t, "v1p1/orgs.csv", "Hilltop", `Hill"top`)}, Options{},
			"malformed-csv orgs.csv 4 ", "bare"},
		{"wrong field count", "v1p1", map[string]string{"orgs.csv": file(t, "v1p1/orgs.csv", "MS-003,", "MS-003,,")}, Options{},
			"malformed-csv orgs.csv 4 ", "fields"},
		{"no users.csv", "v1p1", map[string]string{"manifest.csv": del, "users.csv": del}, Options{},
			"missing-file users.csv 0 ", "no users.csv"},
		{"bad roles option", "v1p2", nil, Options{Roles: "secondary"},
			"bad-option  0 ", "secondary"},
		{"bad disabled users option", "v1p2", nil, Options{DisabledUsers: "drop"},
			"bad-option  0 ", "drop"},
		{"a column the rules read is missing", "sds", nil, Options{SDS: true, Columns: []string{"username", "identifier"}},
			"missing-column users.csv 1 identifier", "no column"},
		{"a metadata column the rules read is missing", "v1p1", nil, Options{Columns: []string{"metadata.hous"}},
			"missing-column users.csv 1 metadata.hous", `nearest is "metadata.house"`},
		{"homeroom without classes", "sds", nil, Options{SDS: true, Columns: []string{"homeroom.title"}},
			"missing-file classes.csv 0 ", "homeroom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Open(pkgDir(t, tt.base, tt.edits), tt.opts)
			if err == nil {
				p.Close()
			}
			if diff := cmp.Diff(tt.want, place(err)); diff != "" {
				t.Errorf("(-want +got):\n%s\n%v", diff, err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.frag) {
				t.Errorf("%v, want %q in it", err, tt.frag)
			}
		})
	}
}

// TestSelect: the Packages Select makes of one package yield the rows of
// their orgs, at once.
func TestSelect(t *testing.T) {
	for name, mk := range map[string]func(*testing.T) string{"folder": dir("v1p2", nil), "zip": zipDir("v1p2", "")} {
		t.Run(name, func(t *testing.T) { testSelect(t, mk(t)) })
	}
}

func testSelect(t *testing.T, name string) {
	p, err := Open(name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Select("HS-001", "XX"); place(err) != "no-such-org orgs.csv 0 " || !strings.Contains(err.Error(), `0 orgs have the identifier or sourcedId "XX"`) {
		t.Errorf("Select of an unknown org: %v", err)
	}
	want := map[string][]string{"HS-001": {"u1", "u2", "u3", "g1"}, "PS-002": {"u3", "u4", "u5"}, "o3": {"u6"}}
	got := map[string][]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for org := range want {
		q, err := p.Select(org)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ids []string
			for row, err := range q.Rows() {
				if err != nil {
					t.Error(err)
					return
				}
				ids = append(ids, row.Fields[0])
			}
			mu.Lock()
			got[org] = ids
			mu.Unlock()
		}()
	}
	wg.Wait()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestSelectTwo: a value that names two orgs is refused, naming both.
func TestSelectTwo(t *testing.T) {
	tests := []struct{ name, old, new, want string }{
		{"the identifier of two", "MS-003", "HS-001", `2 orgs have the identifier or sourcedId "HS-001", org "o1" ("HS-001"), org "o3" ("HS-001")`},
		{"one's identifier, another's sourcedId", "MS-003", "o1", `2 orgs have the identifier or sourcedId "o1", org "o1" ("HS-001"), org "o3" ("o1")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Open(pkgDir(t, "v1p1", map[string]string{"orgs.csv": file(t, "v1p1/orgs.csv", tt.old, tt.new)}), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			_, err = p.Select(tt.new)
			if place(err) != "no-such-org orgs.csv 0 " || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}
