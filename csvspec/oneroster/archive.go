package oneroster

import (
	"archive/zip"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
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
	size  func(name string) int64 // the entry's size, or 0
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
	a.size = func(n string) int64 {
		fi, err := os.Stat(filepath.Join(name, n))
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	return a, nil
}

// zipArchive returns the files of zr at its root or, when the root holds
// no file, in its one top folder. `\` separates folders as `/` does; an
// entry with ".." or an absolute path, more than MaxZipSize bytes in
// all, two entries of one name (in any case), or files at the root and
// in a folder, or in two top folders, or only in folders below the top
// one, is an error. Folders below the package's root and macOS's
// __MACOSX folder are not read.
func zipArchive(zr *zip.Reader) (*archive, error) {
	var total uint64
	files := map[string]*zip.File{} // by cleaned name
	dirs := map[string][]string{}   // by top folder ("" for the root): its files' names
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
		n = path.Clean(n)
		if g, ok := files[n]; ok {
			return nil, sameName(g.Name, f.Name, "")
		}
		files[n] = f
		top, _, nested := strings.Cut(n, "/")
		if !nested {
			top = ""
		}
		dirs[top] = append(dirs[top], f.Name)
	}
	if err := checkLayout(dirs); err != nil {
		return nil, err
	}
	a := &archive{names: map[string]string{}}
	depth := 1 // of the package's files: in the top folder, or at the root
	if _, ok := dirs[""]; ok {
		depth = 0
	}
	for n, f := range files {
		if strings.Count(n, "/") != depth {
			continue
		}
		base := strings.ToLower(path.Base(n))
		if g, ok := a.names[base]; ok {
			return nil, sameName(files[g].Name, f.Name, " but for case")
		}
		a.names[base] = n
	}
	for top, names := range dirs {
		if len(a.names) == 0 {
			slices.Sort(names)
			return nil, &Error{Code: CodeLayout, Msg: fmt.Sprintf("the zip's files are in folders below its top folder %s/ (%s): a package's files are at its root or in its one top folder", top, strings.Join(names[:min(3, len(names))], ", "))}
		}
	}
	a.open = func(n string) (io.ReadCloser, error) {
		rc, err := files[n].Open() // archive/zip refuses more bytes than the entry declares
		if err != nil {
			return nil, &Error{File: n, Code: CodeZip, Msg: err.Error()}
		}
		return rc, nil
	}
	a.size = func(n string) int64 { return int64(min(files[n].UncompressedSize64, MaxZipSize)) }
	return a, nil
}

// checkLayout returns the error of a zip with files at its root and in a
// folder, or in two top folders.
func checkLayout(dirs map[string][]string) error {
	if len(dirs) < 2 {
		return nil
	}
	var found []string
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		if d == "" {
			slices.Sort(dirs[d])
			found = append(found, fmt.Sprintf("files at its root (%s)", strings.Join(dirs[d][:min(3, len(dirs[d]))], ", ")))
		} else {
			found = append(found, "a folder "+d+"/")
		}
	}
	return &Error{Code: CodeLayout, Msg: fmt.Sprintf("the zip has %s: a package's files are at its root or in its one top folder", strings.Join(found, " and "))}
}

// sameName returns the error of two entries of one name.
func sameName(a, b, how string) error {
	a, b = min(a, b), max(a, b)
	return &Error{Code: CodeZipName, Msg: fmt.Sprintf("the zip has two entries %q and %q of one name%s", a, b, how)}
}
