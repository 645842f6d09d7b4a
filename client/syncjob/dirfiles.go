package syncjob

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// truncateFile cuts the file at path to size bytes and flushes it.
func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// countLines returns the number of lines of a file.
func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	lines := 0
	for {
		n, err := f.Read(buf)
		lines += bytes.Count(buf[:n], []byte{'\n'})
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// writeFileAtomic replaces path with the content of r: a temporary file
// beside it, flushed, renamed over path, and the folder flushed. hook, if
// not nil, is called once the temporary file is flushed. beforeRename, if
// not nil, is called just before the rename; its error stops the write,
// and the rollback it returns is called if the rename fails.
func writeFileAtomic(path string, r io.Reader, hook func(string), beforeRename func() (rollback func(), err error)) error {
	tmp := path + ".tmp"
	if filepath.Base(path) == stateFile {
		tmp = filepath.Join(filepath.Dir(path), stateTemp)
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("syncjob: writing %s: %w", tmp, err)
	}
	fail := func(what string, err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("syncjob: %s %s: %w", what, tmp, err)
	}
	if _, err := io.Copy(f, r); err != nil {
		return fail("writing", err)
	}
	if err := f.Sync(); err != nil {
		return fail("flushing", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("syncjob: closing %s: %w", tmp, err)
	}
	if hook != nil {
		hook("written")
	}
	rollback := func() {}
	if beforeRename != nil {
		rb, err := beforeRename()
		if err != nil {
			os.Remove(tmp)
			return err
		}
		rollback = rb
	}
	if err := renameReplace(tmp, path); err != nil {
		os.Remove(tmp)
		rollback()
		return err
	}
	// Best effort: the rename is done, and some file systems (network
	// shares among them) cannot flush a folder.
	_ = syncDir(filepath.Dir(path))
	if hook != nil {
		hook("renamed")
	}
	return nil
}

// folderName returns the name of key's folder in a DirJournal: the site's
// host and path, the tenant and the import, made safe as a file name on
// Windows, macOS and Linux, and a short hash of the whole key, so that two
// keys never share a folder, for example
// "myschool.concordinfiniti.com_T1_user-groups_1a2b3c4d". The site is
// normalised first (see KeyOf), so that spellings of one URL share a
// folder.
func folderName(key Key) string {
	key = normalKey(key)
	host := key.Site
	if u, err := url.Parse(key.Site); err == nil && u.Host != "" {
		host = u.Host + u.Path
	}
	parts := []string{safeName(host, 64)}
	if key.Tenant != "" {
		parts = append(parts, safeName(key.Tenant, 32))
	}
	parts = append(parts, safeName(key.Import, 32))
	k, _ := json.Marshal(key)
	sum := sha256.Sum256(k)
	name := strings.Join(parts, "_") + "_" + hex.EncodeToString(sum[:4])
	if reservedName(name) {
		name = "_" + name
	}
	return name
}

// safeName keeps ASCII letters, digits, '.' and '-' of s, replaces anything
// else with '-', trims leading and trailing dots and hyphens and cuts it to
// n bytes. It returns "x" for what would be empty.
func safeName(s string, n int) string {
	b := []byte(strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '-'
	}, s))
	if len(b) > n {
		b = b[:n]
	}
	out := strings.Trim(string(b), ".-")
	if out == "" {
		return "x"
	}
	return out
}

// reservedName reports whether Windows reserves the name, which it does for
// CON, PRN, AUX, NUL, COM1-9 and LPT1-9, with any extension.
func reservedName(name string) bool {
	base, _, _ := strings.Cut(strings.ToUpper(name), ".")
	base, _, _ = strings.Cut(base, "_")
	switch base {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	return len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) && base[3] >= '0' && base[3] <= '9'
}
