package syncjob_test

import (
	"testing"

	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/client/syncjob/journaltest"
)

func TestDirJournalConformance(t *testing.T) {
	journaltest.TestJournal(t, func(t *testing.T) func() (syncjob.Journal, error) {
		dir := t.TempDir()
		return func() (syncjob.Journal, error) { return syncjob.OpenDir(dir) }
	})
}

func TestMemJournalConformance(t *testing.T) {
	journaltest.TestJournal(t, func(t *testing.T) func() (syncjob.Journal, error) {
		j := syncjob.NewMemJournal()
		return func() (syncjob.Journal, error) { return j, nil }
	})
}

// TestZeroMemJournalConformance: the zero MemJournal is a usable journal.
func TestZeroMemJournalConformance(t *testing.T) {
	journaltest.TestJournal(t, func(t *testing.T) func() (syncjob.Journal, error) {
		j := new(syncjob.MemJournal)
		return func() (syncjob.Journal, error) { return j, nil }
	})
}

func TestDirJournalRetention(t *testing.T) {
	defer syncjob.SetKeepRuns(3)()
	journaltest.TestRetention(t, func(t *testing.T) func() (syncjob.Journal, error) {
		dir := t.TempDir()
		return func() (syncjob.Journal, error) { return syncjob.OpenDir(dir) }
	})
}

func TestMemJournalRetention(t *testing.T) {
	defer syncjob.SetKeepRuns(3)()
	journaltest.TestRetention(t, func(t *testing.T) func() (syncjob.Journal, error) {
		j := syncjob.NewMemJournal()
		return func() (syncjob.Journal, error) { return j, nil }
	})
}
