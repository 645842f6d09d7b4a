package oneroster

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// MaxZipSize is the most bytes the files of a zipped package may hold
// uncompressed, as the zip declares them (archive/zip refuses an entry
// that inflates to more than it declares): a package of 100,000 users is
// some 50 MB.
const MaxZipSize = 1 << 30

// An archive is the files at the root of a package, by lower-case name.
type archive struct {
	names map[string]string // "users.csv": the entry's name
	open  func(name string) (io.ReadCloser, error)
	close func() error
}

// openArchive opens the folder or the zip file at name.
func openArchive(name string) (*archive, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		zr, err := zip.OpenReader(name)
		if err != nil {
			return nil, &Error{Code: CodeZip, Msg: err.Error()}
		}
		a, err := zipArchive(&zr.Reader)
		if err != nil {
			zr.Close()
			return nil, err
		}
		a.close = zr.Close
		return a, nil
	}
	ents, err := os.ReadDir(name)
	if err != nil {
		return nil, err
	}
	a := &archive{names: map[string]string{}, close: func() error { return nil }}
	for _, e := range ents {
		if !e.IsDir() {
			a.names[strings.ToLower(e.Name())] = e.Name()
		}
	}
	a.open = func(n string) (io.ReadCloser, error) { return os.Open(filepath.Join(name, n)) }
	return a, nil
}

// zipArchive returns the files of zr at its root or, when the root holds
// no file, in its one top folder. `\` separates folders as `/` does; an
// entry with ".." or an absolute path, or more than MaxZipSize bytes in
// all, is an error. Folders below the package's root and macOS's
// __MACOSX folder are not read.
func zipArchive(zr *zip.Reader) (*archive, error) {
	var total uint64
	files := map[string]*zip.File{}
	tops := map[string]bool{}
	root := false
	for _, f := range zr.File {
		n := strings.ReplaceAll(f.Name, `\`, "/")
		if strings.HasPrefix(n, "/") || (len(n) > 1 && n[1] == ':') || strings.Contains("/"+n+"/", "/../") {
			return nil, &Error{File: f.Name, Code: CodeUnsafePath, Msg: "the zip entry's path is absolute or has \"..\""}
		}
		if total += f.UncompressedSize64; total > MaxZipSize || f.UncompressedSize64 > MaxZipSize {
			return nil, &Error{Code: CodeTooLarge, Msg: fmt.Sprintf("the zip's files hold more than %d bytes", MaxZipSize)}
		}
		if strings.HasSuffix(n, "/") || strings.HasPrefix(n, "__MACOSX/") {
			continue
		}
		top, rest, nested := strings.Cut(n, "/")
		if !nested {
			root = true
		} else {
			tops[top] = true
		}
		if !strings.Contains(rest, "/") {
			files[n] = f
		}
	}
	a := &archive{names: map[string]string{}}
	for n := range files {
		dir, base := path.Split(n)
		if (root && dir == "") || (!root && len(tops) == 1 && dir != "") {
			a.names[strings.ToLower(base)] = n
		}
	}
	a.open = func(n string) (io.ReadCloser, error) {
		rc, err := files[n].Open() // archive/zip refuses more bytes than the entry declares
		if err != nil {
			return nil, &Error{File: n, Code: CodeZip, Msg: err.Error()}
		}
		return rc, nil
	}
	return a, nil
}
