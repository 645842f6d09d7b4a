package syncjob_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/client/syncjob/journaltest"
)

func TestDirJournalConformance(t *testing.T) {
	journaltest.TestJournal(t, func(t *testing.T) func() (syncjob.Journal, error) {
		dir := t.TempDir()
		return func() (syncjob.Journal, error) { return syncjob.OpenDir(dir) }
	}, journaltest.Options{LoseLock: loseLock()})
}

// loseLock returns syncjob.LoseLock where a folder whose files are open
// can be moved (not on Windows).
func loseLock() func(syncjob.Session) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	return syncjob.LoseLock
}

func TestMemJournalConformance(t *testing.T) {
	journaltest.TestJournal(t, func(t *testing.T) func() (syncjob.Journal, error) {
		j := syncjob.NewMemJournal()
		return func() (syncjob.Journal, error) { return j, nil }
	}, journaltest.Options{LoseLock: syncjob.LoseLock})
}

// TestZeroMemJournalConformance: the zero MemJournal is a usable journal.
func TestZeroMemJournalConformance(t *testing.T) {
	journaltest.TestJournal(t, func(t *testing.T) func() (syncjob.Journal, error) {
		j := new(syncjob.MemJournal)
		return func() (syncjob.Journal, error) { return j, nil }
	})
}

// TestJournalRetention: the journals keep what their Retention says, and
// at least 3 runs when it says fewer.
func TestJournalRetention(t *testing.T) {
	for _, keep := range []int{3, 1} {
		t.Run(fmt.Sprintf("DirJournal/%d", keep), func(t *testing.T) {
			journaltest.TestRetention(t, func(t *testing.T) func() (syncjob.Journal, error) {
				dir := t.TempDir()
				return func() (syncjob.Journal, error) {
					j, err := syncjob.OpenDir(dir)
					if j != nil {
						j.Retention = keep
					}
					return j, err
				}
			})
		})
		t.Run(fmt.Sprintf("MemJournal/%d", keep), func(t *testing.T) {
			journaltest.TestRetention(t, func(t *testing.T) func() (syncjob.Journal, error) {
				j := syncjob.NewMemJournal()
				j.Retention = keep
				return func() (syncjob.Journal, error) { return j, nil }
			})
		})
	}
}

// TestKeyOfCredentials: KeyOf keeps no credentials of a site, even of one
// that does not parse as a URL (a password with a stray % or #), so that
// none reaches key.json, the folder name or Key.String.
func TestKeyOfCredentials(t *testing.T) {
	tests := []struct{ site, want string }{
		{"https://autoimport:Secret-42@school.example", "https://school.example"},
		{"https://autoimport:s3cr%t9@school.example", "https://school.example"},
		{"https://autoimport:Hunter#2x@school.example", "https://school.example"},
	}
	for _, tt := range tests {
		k := syncjob.KeyOf(tt.site, "", nil)
		if k.Site != tt.want || strings.Contains(k.String(), "autoimport") {
			t.Errorf("KeyOf(%q) = %q (%s), want site %q", tt.site, k.Site, k, tt.want)
		}
	}
}
