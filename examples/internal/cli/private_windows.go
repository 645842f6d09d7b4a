//go:build windows

package cli

import "io/fs"

// checkPrivate does nothing on Windows: the standard library cannot read
// ACLs. The README shows how to protect the file with icacls.
func checkPrivate(string, fs.FileInfo) error { return nil }
