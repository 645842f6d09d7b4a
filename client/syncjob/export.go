package syncjob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"slices"
	"sync"

	"github.com/autosync-go/autosync/csvspec"
)

// export is an export read and checked in one pass.
type export struct {
	snap  *Snapshot
	check *csvspec.Report
	sha   string
	b     *builder // for the rows it could not take
	// readErr is the header or row problem the reader met first, in case
	// the check did not report it as an error.
	readErr error
}

// readError is an error of reading the export itself (not of its content).
type readError struct{ err error }

func (e *readError) Error() string { return "syncjob: reading the export: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// err returns the check's error, or the reader's if the check found none.
func (e *export) err() error {
	if err := e.check.Err(); err != nil {
		return err
	}
	if e.readErr != nil {
		return e.readErr
	}
	if e.b.bad > 0 {
		return fmt.Errorf("%s cannot be read or lack a username, the first on line %d", count(e.b.bad, "row", "rows"), e.b.firstBad)
	}
	return nil
}

// readExport reads r once: the check reads it in a goroutine while the
// reader builds the snapshot, so the file is neither held in memory nor
// read twice. Every check error goes to fl as it is found, with the values
// of its row.
func (j *Job) readExport(ctx context.Context, r io.Reader, imp *Import, fl *failureLog) (*export, error) {
	h := sha256.New()
	src := &sourceReader{ctx: ctx, r: r, h: h}
	pr, pw := io.Pipe()
	tee := io.TeeReader(src, pw)
	type checked struct {
		rep *csvspec.Report
		err error
	}
	done := make(chan checked, 1)
	ex := &export{b: newBuilder(imp, false).dedupe()}
	m := newMatcher(len(imp.header), fl)
	go func() {
		rep, err := imp.check(m.checkReader(pr), j.Rules, j.ReaderOptions, func(p csvspec.Problem) error {
			if p.Severity == csvspec.SeverityError {
				m.problem(p)
			}
			return nil
		})
		m.checkDone()
		_, _ = io.Copy(io.Discard, pr) // whatever the check left, so that the reader never blocks
		done <- checked{rep, err}
	}()
	herr := imp.read(m.readerReader(tee), j.ReaderOptions, func(line int, fields []string, err error) error {
		if err != nil && ex.readErr == nil {
			ex.readErr = err
		}
		m.row(line, fields)
		return ex.b.add(line, fields, err)
	})
	if herr != nil && src.err == nil {
		ex.readErr = herr
	}
	m.readerDone()
	if src.err == nil {
		_, _ = io.Copy(io.Discard, tee) // the rest, for the check and the hash
	}
	pw.CloseWithError(src.err)
	c := <-done
	m.readerDone() // the check's last problems, if any came after the reader
	ex.check, ex.sha = c.rep, hex.EncodeToString(h.Sum(nil))
	if ex.check == nil {
		ex.check = &csvspec.Report{}
	}
	ex.snap = ex.b.snapshot()
	if src.err != nil {
		return ex, &readError{src.err}
	}
	if c.err != nil {
		return ex, c.err
	}
	return ex, nil
}

// sourceReader reads the export, hashing it, and stops when the context is
// done. err is the first error other than io.EOF.
type sourceReader struct {
	ctx context.Context
	r   io.Reader
	h   hash.Hash
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	s.h.Write(p[:n])
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// A matcher joins the check's errors to the values of their rows, which
// the reader reads from the same bytes in another goroutine, and passes
// each error on, in file order, to the failure log, so that no error and
// no row is kept longer than it takes to meet the other.
//
// The reader keeps the rows it read in a window until the check has passed
// them. The check is never behind the reader by a row the reader has let
// go of: the check reads the export through the reader (a pipe), so it
// holds every byte the reader has, and once it asks for more bytes it has
// checked every record they hold. The reader empties its window only then.
// An error of the check for a row the reader has not read yet waits in a
// queue until the reader gets there.
type matcher struct {
	mu   sync.Mutex
	cond *sync.Cond
	fl   *failureLog

	win   rowWindow
	queue []csvspec.Problem // errors waiting for the reader, in file order
	qhead int

	readerLine  int   // the line of the last row the reader read
	readerEnded bool  // the reader read its last row
	readerGot   int64 // bytes the reader has had
	checkGot    int64 // bytes the check has had
	checkedGot  int64 // bytes whose every record the check has checked
	checkIn     bool  // the check is waiting in Read for more bytes
	checkEnded  bool
}

// The reader lets go of the rows the check has passed every evictRows
// rows, without waiting. Should the window still grow past maxRows rows
// or maxBytes bytes, it waits for the check to catch up.
const (
	evictRows = 256
	maxRows   = 1 << 16
	maxBytes  = 8 << 20
)

func newMatcher(w int, fl *failureLog) *matcher {
	m := &matcher{fl: fl, win: rowWindow{w: w}}
	m.cond = sync.NewCond(&m.mu)
	return m
}

// checkReader returns r, noting the bytes the check has had and when it
// waits for more.
func (m *matcher) checkReader(r io.Reader) io.Reader { return &countingReader{r: r, m: m, check: true} }

// readerReader returns r, noting the bytes the reader has had.
func (m *matcher) readerReader(r io.Reader) io.Reader { return &countingReader{r: r, m: m} }

type countingReader struct {
	r     io.Reader
	m     *matcher
	check bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	m := c.m
	if c.check {
		// The check asks for more: it has checked every record of the
		// bytes it had.
		m.mu.Lock()
		m.checkIn, m.checkedGot = true, m.checkGot
		m.cond.Broadcast()
		m.mu.Unlock()
	}
	n, err := c.r.Read(p)
	m.mu.Lock()
	if c.check {
		m.checkIn = false
		m.checkGot += int64(n)
	} else {
		m.readerGot += int64(n)
	}
	m.mu.Unlock()
	return n, err
}

// checkCaughtUp reports whether the check has checked every record of the
// bytes the reader has had. m.mu is held.
func (m *matcher) checkCaughtUp() bool {
	return m.checkEnded || (m.checkIn && m.checkGot >= m.readerGot)
}

// problem takes one error of the check.
func (m *matcher) problem(p csvspec.Problem) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.queue = append(m.queue, p)
	m.drain()
}

// checkDone says the check has ended.
func (m *matcher) checkDone() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checkEnded = true
	m.cond.Broadcast()
}

// row takes one row of the reader; fields is nil for a row that cannot be
// read, and is not kept.
func (m *matcher) row(line int, fields []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.readerLine = line
	if fields != nil && slices.ContainsFunc(fields, func(f string) bool { return f != "" }) {
		// All-empty rows are only ever warned about. The row ends within
		// the bytes the reader has had.
		m.win.push(line, fields, m.readerGot)
	}
	m.drain()
	if m.win.len() >= evictRows {
		// The rows that end within the bytes the check has checked; not
		// the last, which may end at the end of the file, which the check
		// has not seen yet.
		m.win.evictThrough(m.checkedGot)
	}
	if m.win.len() > maxRows || m.win.liveBytes() > maxBytes {
		for !m.checkCaughtUp() {
			m.cond.Wait()
		}
		m.drain()
		m.win.keepLast()
	}
}

// readerDone says the reader has read its last row: the errors still
// waiting are for lines it did not read as rows.
func (m *matcher) readerDone() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.readerEnded = true
	m.drain()
}

// drain passes on the waiting errors whose rows the reader has read.
// m.mu is held.
func (m *matcher) drain() {
	for m.qhead < len(m.queue) {
		p := m.queue[m.qhead]
		if p.Line > 1 && p.Line > m.readerLine && !m.readerEnded {
			break
		}
		m.queue[m.qhead] = csvspec.Problem{}
		m.qhead++
		var fields []string
		if p.Line > 1 {
			fields = m.win.find(p.Line)
			m.win.dropBefore(p.Line)
		}
		m.fl.add(Failure{Line: p.Line, Fields: fields, Code: p.Code, Field: p.Column, Message: p.Message})
	}
	if m.qhead == len(m.queue) {
		m.queue, m.qhead = m.queue[:0], 0
	} else if m.qhead > len(m.queue)/2 {
		m.queue, m.qhead = append(m.queue[:0], m.queue[m.qhead:]...), 0
	}
}

// rowWindow keeps the values of the last rows read, in line order, in one
// buffer.
type rowWindow struct {
	w     int
	lines []int
	got   []int64 // per row: the bytes of the export it ends within
	ends  []int   // w per row: where each value ends in data
	data  []byte
	head  int // the first row kept
}

func (win *rowWindow) len() int { return len(win.lines) - win.head }

func (win *rowWindow) push(line int, fields []string, got int64) {
	for _, f := range fields {
		win.data = append(win.data, f...)
		win.ends = append(win.ends, len(win.data))
	}
	win.lines = append(win.lines, line)
	win.got = append(win.got, got)
}

// start returns where row i's values start in data.
func (win *rowWindow) start(i int) int {
	if i == 0 {
		return 0
	}
	return win.ends[i*win.w-1]
}

// liveBytes returns the bytes of the rows kept.
func (win *rowWindow) liveBytes() int {
	if win.len() == 0 {
		return 0
	}
	return len(win.data) - win.start(win.head)
}

// evictThrough lets go of the rows, but the last, that end within the
// first done bytes of the export, and of their room once they are most
// of the window.
func (win *rowWindow) evictThrough(done int64) {
	n := len(win.lines)
	for win.head < n-1 && win.got[win.head] <= done {
		win.head++
	}
	if win.head > n/2 {
		win.compact()
	}
}

// compact moves the rows kept to the front.
func (win *rowWindow) compact() {
	h, w := win.head, win.w
	if h == 0 {
		return
	}
	start := win.start(h)
	n := copy(win.data, win.data[start:])
	win.data = win.data[:n]
	m := copy(win.ends, win.ends[h*w:])
	win.ends = win.ends[:m]
	for i := range win.ends {
		win.ends[i] -= start
	}
	win.lines = win.lines[:copy(win.lines, win.lines[h:])]
	win.got = win.got[:copy(win.got, win.got[h:])]
	win.head = 0
}

// find returns a new slice with the values of the row on line, or nil.
func (win *rowWindow) find(line int) []string {
	i, ok := slices.BinarySearch(win.lines[win.head:], line)
	if !ok {
		return nil
	}
	i += win.head
	out := make([]string, win.w)
	start := win.start(i)
	for c := range out {
		end := win.ends[i*win.w+c]
		out[c] = string(win.data[start:end])
		start = end
	}
	return out
}

// dropBefore lets go of the rows before line.
func (win *rowWindow) dropBefore(line int) {
	for win.head < len(win.lines) && win.lines[win.head] < line {
		win.head++
	}
	if win.head == len(win.lines) {
		win.reset()
	}
}

// keepLast lets go of every row but the last, and of the room the others
// took.
func (win *rowWindow) keepLast() {
	if win.len() == 0 {
		win.reset()
		return
	}
	win.head = len(win.lines) - 1
	win.compact()
}

func (win *rowWindow) reset() {
	win.lines, win.got, win.ends, win.data, win.head = win.lines[:0], win.got[:0], win.ends[:0], win.data[:0], 0
}
