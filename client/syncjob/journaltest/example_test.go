package journaltest_test

import (
	"testing"

	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/client/syncjob/journaltest"
)

// A test of a Journal runs the suite on fresh storage for each subtest,
// here a directory. (This example is compiled, not run: the suite needs a
// test's *testing.T.)
func Example() {
	testDirJournal := func(t *testing.T) {
		journaltest.TestJournal(t, func(t *testing.T) func() (syncjob.Journal, error) {
			dir := t.TempDir()
			return func() (syncjob.Journal, error) { return syncjob.OpenDir(dir) }
		})
	}
	_ = testDirJournal
}
