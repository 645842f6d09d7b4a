package syncjob

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/csvspec"
)

// repeatReader gives head, then unit over and over, n bytes of it in all:
// a large export made on the fly.
type repeatReader struct {
	head, unit string
	n, off     int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.head != "" {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	if r.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), r.n)]
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.unit[r.off:])
		n += c
		r.off = (r.off + c) % len(r.unit)
	}
	r.n -= n
	return n, nil
}

// lineCounter counts the lines written to it.
type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// peakHeap runs f and returns the highest live heap it reached above the
// heap before it, sampled every few milliseconds with the collector made
// eager, so that the heap sampled is close to the live one. When the peak
// passes limit it cancels f's context, so that a run whose memory grows
// with its input stops early rather than taking the machine.
func peakHeap(limit uint64, f func(ctx context.Context)) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		peak uint64
		stop = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > base && m.HeapAlloc-base > peak {
				peak = m.HeapAlloc - base
				if peak > limit {
					cancel()
				}
			}
		}
	}()
	f(ctx)
	close(stop)
	wg.Wait()
	return peak
}

// TestRunMemoryRepeatedRows: the memory of a run grows with the distinct
// rows of the export, not with its size, whether its rows are valid,
// repeated or failing: a file of one row over and over, tens of megabytes
// of it, keeps the heap small, and the failures file still gets every
// failure.
func TestRunMemoryRepeatedRows(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("reads tens of megabytes, and measures the heap")
	}
	const limit = 32 << 20
	contacts := Contacts(client.ContactsReplaceDeclaredPatronsKeepCustomContacts)
	tests := []struct {
		name     string
		imp      *Import
		unit     string // rows repeated to fill size
		rows     int    // rows in unit
		size     int
		failures int // failures per unit
		outcome  Outcome
	}{
		{name: "a valid row (one user)", unit: "jsmith,House Red,Year 7\n", rows: 1, size: 50 << 20, outcome: OutcomeOK},
		{name: "two users' rows in turn", unit: "jsmith,House Red,Year 7\nadoe,House Blue,Year 8\njsmith,House Blue,\n", rows: 3, size: 20 << 20, outcome: OutcomeOK},
		// One user held for a row problem is under the floor of 5 users
		// that makes a file invalid (issue 14 §5): the others would be sent.
		{name: "a row with an unknown group", unit: "jsmith,Nope,Year 7\n", rows: 1, size: 10 << 20, failures: 1, outcome: OutcomeRowsFailed},
		{name: "a row without a username", unit: ",House Red,Year 7\n", rows: 1, size: 10 << 20, failures: 1, outcome: OutcomeInvalidFile},
		{name: "a contact row", imp: contacts, unit: "jsmith,email,patron,True,Jo,jo@example.com,,ANY\n", rows: 1, size: 20 << 20, outcome: OutcomeOK},
		{name: "a contact row of an unknown type", imp: contacts, unit: "jsmith,fax,patron,True,Jo,0123,,ANY\n", rows: 1, size: 10 << 20, failures: 1, outcome: OutcomeRowsFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imp := tt.imp
			if imp == nil {
				imp = userGroups
			}
			units := tt.size / len(tt.unit)
			var sink lineCounter
			job := &Job{Import: tt.imp, Failures: &sink}
			if imp == userGroups {
				job.Rules = csvspec.Rules{LibraryGroups: libraryGroups, SystemGroups: systemGroups}
			}
			var (
				rep *Report
				err error
			)
			peak := peakHeap(limit, func(ctx context.Context) {
				rep, err = job.Plan(ctx, &repeatReader{head: csvHeader(imp), unit: tt.unit, n: units * len(tt.unit)})
			})
			if peak > limit {
				t.Fatalf("a file of %d MiB took %.0f MiB of heap (and more: the run was stopped), want under %d MiB: memory grows with the file (outcome %s, %v)",
					tt.size>>20, float64(peak)/(1<<20), limit>>20, rep.Outcome, err)
			}
			t.Logf("%d MiB file: peak heap %.1f MiB", tt.size>>20, float64(peak)/(1<<20))
			if rep.Outcome != tt.outcome || rep.RowsRead != units*tt.rows {
				t.Fatalf("outcome %s, %d rows read (%v); want %s, %d rows", rep.Outcome, rep.RowsRead, err, tt.outcome, units*tt.rows)
			}
			if want := units * tt.failures; rep.FailureCount != want || sink.n != want+1 {
				t.Errorf("%d failures counted, %d lines in the failures file; want %d and a header", rep.FailureCount, sink.n, want)
			}
			if len(rep.Failures) > csvspec.MaxProblemsPerCode {
				t.Errorf("the report keeps %d failures, want at most %d", len(rep.Failures), csvspec.MaxProblemsPerCode)
			}
		})
	}
}

// csvHeader returns the canonical header line of imp.
func csvHeader(imp *Import) string { return strings.Join(imp.header, ",") + "\n" }
