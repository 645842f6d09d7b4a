//go:build !windows

package cli

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// checkPrivate refuses a password file that the group or others may read
// or write, as ssh does for private keys.
func checkPrivate(path string, st fs.FileInfo) error {
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has permissions %04o, open to other accounts; make it readable by this account only: chmod 600 %s", errNotPrivate, path, perm, shellQuote(path))
	}
	return nil
}

// shellQuote quotes path for a POSIX shell when it holds anything but
// letters, digits and / . _ - (so that the chmod advice can be pasted).
func shellQuote(path string) string {
	for _, r := range path {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '/' || r == '.' || r == '_' || r == '-') {
			return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
		}
	}
	return path
}

// ShareWithFolder makes f, a file for library staff just created in dir,
// readable by dir's group: mode 0640, and dir's group (as a setgid folder
// gives it; the README's "library" folder is one). When the file cannot
// take dir's group, it stays readable by this account only.
func ShareWithFolder(f *os.File, dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || f.Chown(-1, int(sys.Gid)) != nil {
		return nil
	}
	return f.Chmod(0o640)
}
