//go:build windows

package syncjob

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// syncDir does nothing: Windows cannot flush a directory. See DirJournal.
func syncDir(string) error { return nil }

// renameTries and renameWait bound how long renameReplace retries a file
// another program holds open.
const (
	renameTries = 30
	renameWait  = 100 * time.Millisecond
)

// renameReplace renames oldpath over newpath. Windows refuses while another
// program (Excel, a virus scanner, a backup) has newpath open: it retries
// for about three seconds, then fails saying to close the file.
func renameReplace(oldpath, newpath string) error {
	var err error
	for range renameTries {
		err = os.Rename(oldpath, newpath)
		if err == nil || !(errors.Is(err, syscall.ERROR_ACCESS_DENIED) || errors.Is(err, errSharingViolation)) {
			break
		}
		time.Sleep(renameWait)
	}
	if err != nil && (errors.Is(err, syscall.ERROR_ACCESS_DENIED) || errors.Is(err, errSharingViolation)) {
		return fmt.Errorf("syncjob: cannot replace %s: another program has it open (Excel, say); close it and run again: %w", newpath, err)
	}
	if err != nil {
		return fmt.Errorf("syncjob: replacing %s: %w", newpath, err)
	}
	return nil
}
