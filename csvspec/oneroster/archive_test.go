package oneroster

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// v1p1Files returns the files of testdata/v1p1, by name.
func v1p1Files(t testing.TB, prefix string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, n := range []string{"manifest.csv", "orgs.csv", "users.csv", "classes.csv", "enrollments.csv"} {
		files[prefix+n] = file(t, "v1p1/"+n, "", "")
	}
	return files
}

// writeZip writes data to a zip file and returns its name.
func writeZip(t *testing.T, data []byte) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "pkg.zip")
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestZip(t *testing.T) {
	with := func(prefix string, extra map[string]string) []byte {
		files := v1p1Files(t, prefix)
		for n, s := range extra {
			files[n] = s
		}
		return zipOf(t, files)
	}
	tests := []struct {
		name string
		zip  []byte
		want string // the code and file of the error; "" when the package opens
		frag string // in the error
	}{
		{"files at the root", with("", nil), "", ""},
		{"files in one top folder", with("export/", nil), "", ""},
		{"backslashes", with(`export\`, nil), "", ""},
		{"macOS's __MACOSX folder", with("export/", map[string]string{"__MACOSX/export/._users.csv": "x"}), "", ""},
		{"a deeper folder is not read", with("export/", map[string]string{"export/docs/users.csv": "x"}), "", ""},
		{"files at the root and a folder", with("", map[string]string{"docs/users.csv": "x"}), "zip-layout ",
			"the zip has files at its root (classes.csv, enrollments.csv, manifest.csv) and a folder docs/"},
		{"a README at the root and a folder", with("export/", map[string]string{"README.txt": "x"}), "zip-layout ",
			"the zip has files at its root (README.txt) and a folder export/"},
		{"two entries of one name", with("", map[string]string{"./users.csv": "x"}), "zip-name ",
			`the zip has two entries "./users.csv" and "users.csv" of one name`},
		{"two entries of one name but for case", with("", map[string]string{"USERS.csv": "x"}), "zip-name ",
			`the zip has two entries "USERS.csv" and "users.csv" of one name but for case`},
		{"zip slip", with("", map[string]string{"../users.csv": "x"}), "unsafe-path ../users.csv", ""},
		{"zip slip with backslashes", with("", map[string]string{`export\..\..\users.csv`: "x"}), `unsafe-path export\..\..\users.csv`, ""},
		{"absolute path", with("", map[string]string{"/etc/users.csv": "x"}), "unsafe-path /etc/users.csv", ""},
		{"drive letter", with("", map[string]string{`C:\users.csv`: "x"}), `unsafe-path C:\users.csv`, ""},
		{"files in a folder below the top one", with("a/b/", nil), "zip-layout ", "the zip's files are in folders below its top folder a/ (a/b/classes.csv, a/b/enrollments.csv, a/b/manifest.csv)"},
		{"two top folders", with("a/", v1p1Files(t, "b/")), "zip-layout ", "the zip has a folder a/ and a folder b/"},
		{"not a zip", []byte("users.csv"), "bad-zip ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Open(writeZip(t, tt.zip), Options{})
			got := ""
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("%v: not an *Error", err)
				}
				got = e.Code + " " + e.File
				if !strings.Contains(err.Error(), tt.frag) {
					t.Errorf("%v, want %q in it", err, tt.frag)
				}
			} else {
				p.Close()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s\n%v", diff, err)
			}
		})
	}
}

// TestZipBomb: a zip whose files declare more than MaxZipSize bytes is
// refused before any is read.
func TestZipBomb(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for n, s := range v1p1Files(t, "") {
		w, _ := zw.Create(n)
		_, _ = w.Write([]byte(s))
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "results.csv", Method: zip.Store, UncompressedSize64: MaxZipSize})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("x"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(writeZip(t, b.Bytes()), Options{})
	if diff := cmp.Diff("too-large  0 ", place(err)); diff != "" {
		t.Errorf("(-want +got):\n%s\n%v", diff, err)
	}
}

// FuzzZip reads any bytes as a zipped package: it never panics, and
// every error of the package is an *Error.
func FuzzZip(f *testing.F) {
	f.Add(zipOf(f, v1p1Files(f, "")))
	f.Add(zipOf(f, v1p1Files(f, `a\`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		readAll(t, zr)
	})
}

// FuzzPackage reads a zipped 1.2 package whose users.csv and roles.csv
// are any text: it never panics, and every error is an *Error.
func FuzzPackage(f *testing.F) {
	f.Add(file(f, "v1p2/users.csv", "", ""), file(f, "v1p2/roles.csv", "", ""))
	f.Add("\ufeffsourcedId,status\nu1,tobedeleted\n", "userSourcedId,orgSourcedId,role,roleType\nu1,o1,student,primary\nu1,o1,teacher,primary\n")
	f.Add("sourcedId\n\"u1\n", "userSourcedId,orgSourcedId,role,roleType\nu2,o2,x,\n")
	f.Add(file(f, "v1p2/users.csv", "", ""), "userSourcedId,orgSourcedId,role,roleType,beginDate,endDate\nu1,o1,student,primary,2026-01-28,20261301\nu1,o1,aide,primary,,2025-12-31\n")
	f.Fuzz(func(t *testing.T, users, roles string) {
		files := map[string]string{"users.csv": users, "roles.csv": roles}
		for _, n := range []string{"manifest.csv", "orgs.csv", "classes.csv", "enrollments.csv"} {
			files[n] = file(t, "v1p2/"+n, "", "")
		}
		data := zipOf(t, files)
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, zr)
	})
}

// readAll opens the package of zr and reads its rows; it fails t on an
// error that is not an *Error.
func readAll(t *testing.T, zr *zip.Reader) {
	check := func(err error) {
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("%v (%T): not an *Error", err, err)
		}
	}
	arc, err := zipArchive(zr)
	if check(err); err != nil {
		return
	}
	arc.close = func() error { return nil }
	p, err := open(arc, Options{Roles: "all", Columns: []string{"userIds.SIS"}})
	if check(err); err != nil {
		return
	}
	for row, err := range p.Rows() {
		if check(err); err == nil && len(row.Fields) != len(p.Header()) {
			t.Fatalf("a row of %d fields, a header of %d", len(row.Fields), len(p.Header()))
		}
	}
}
