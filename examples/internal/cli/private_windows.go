//go:build windows

package cli

import (
	"io/fs"
	"os"
)

// checkPrivate does nothing on Windows: the standard library cannot read
// ACLs. The README shows how to protect the file with icacls.
func checkPrivate(string, fs.FileInfo) error { return nil }

// ShareWithFolder does nothing on Windows: a new file takes its folder's
// ACL.
func ShareWithFolder(*os.File, string) error { return nil }
