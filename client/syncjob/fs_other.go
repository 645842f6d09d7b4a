//go:build !windows

package syncjob

import (
	"fmt"
	"os"
)

// syncDir flushes a directory, so that a rename in it survives a power
// failure.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// renameReplace renames oldpath over newpath, atomically.
func renameReplace(oldpath, newpath string) error {
	if err := os.Rename(oldpath, newpath); err != nil {
		return fmt.Errorf("syncjob: replacing %s: %w", newpath, err)
	}
	return nil
}
