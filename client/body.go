package client

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"sync"
	"sync/atomic"
	"time"
)

var errBodyClosed = errors.New("request body closed")

// body is one attempt's request body: the CSV streamed in a
// multipart/form-data frame. Once Close has returned, nothing reads the
// caller's CSV any more: with hold, Close waits for a Read in progress (a
// seeker's, which does not block); without it, a late Read's data is
// discarded.
type body struct {
	r          io.Reader // head, CSV, tail
	length     int64     // -1 if unknown
	hold       bool
	watch      *watchdog
	mu         sync.Mutex
	n          atomic.Int64
	closed     atomic.Bool
	handedOver atomic.Bool // the whole body was read
}

// newBody frames csv, of size bytes (-1 if unknown), as the file part
// filename. It returns the body and its Content-Type.
func newBody(csv *counter, size int64, filename string, hold bool, watch *watchdog) (*body, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	// Infiniti reads the first file part whatever its names; the vendor's
	// curl example names it "file".
	disposition := fmt.Sprintf(`form-data; name="file"; filename=%q`, filename)
	mw.CreatePart(textproto.MIMEHeader{"Content-Disposition": {disposition}, "Content-Type": {"text/csv"}}) // writes to a bytes.Buffer: cannot fail
	head := bytes.Clone(buf.Bytes())
	buf.Reset()
	mw.Close()
	b := &body{r: io.MultiReader(bytes.NewReader(head), csv, bytes.NewReader(buf.Bytes())), length: -1, hold: hold, watch: watch}
	if size >= 0 {
		b.length = int64(len(head)) + size + int64(buf.Len())
	}
	return b, mw.FormDataContentType()
}

func (b *body) Read(p []byte) (int, error) {
	if b.hold {
		b.mu.Lock()
		defer b.mu.Unlock()
	}
	if b.closed.Load() {
		if b.handedOver.Load() {
			return 0, io.EOF // the transport's check past Content-Length
		}
		return 0, errBodyClosed
	}
	b.watch.set(false, false) // the caller's reader may take its time
	n, err := b.r.Read(p)
	if b.closed.Load() && !b.hold {
		return 0, errBodyClosed // a late Read: discarded
	}
	if total := b.n.Add(int64(n)); err == io.EOF || b.length >= 0 && total >= b.length {
		b.handedOver.Store(true)
	}
	b.watch.set(true, false) // the transport writes what was read, up to WroteRequest
	return n, err
}

var errStalled = errors.New("the connection stalled")

// stallLimit is the limit on a stalled connection that Import states.
const stallLimit = 2 * time.Minute

// watchdog cuts an attempt whose connection stalls: the body arms it while
// the transport writes a chunk, the answer's body while it waits for one;
// once the answer came, a late Read of the upload leaves it alone.
type watchdog struct {
	mu       sync.Mutex
	timer    *time.Timer
	limit    time.Duration
	answered bool
}

// set arms the watchdog afresh, or stops it, for the upload or the answer.
func (w *watchdog) set(on, answer bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.answered = w.answered || answer; answer == w.answered {
		w.timer.Stop()
		if on {
			w.timer.Reset(w.limit)
		}
	}
}

// wrote re-arms the watchdog, once the transport says the request is
// written, for answer (the transport's answer limit) plus its own limit,
// or stops it without an answer limit. The transport says so before it
// flushes its last buffered bytes, and starts its answer limit only once
// they are flushed: so a last flush that stalls is cut too.
func (w *watchdog) wrote(answer time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.answered {
		w.timer.Stop()
		if answer > 0 {
			w.timer.Reset(answer + w.limit)
		}
	}
}

// watched is the answer's body, read under the watchdog.
type watched struct {
	io.Reader
	w *watchdog
}

func (r watched) Read(p []byte) (int, error) {
	r.w.set(true, true)
	defer r.w.set(false, true)
	return r.Reader.Read(p)
}

// Close stops the body; see body.
func (b *body) Close() error {
	b.mu.Lock() // with hold, waits for a Read in progress
	defer b.mu.Unlock()
	b.closed.Store(true)
	return nil
}

// counter reads the caller's CSV for one attempt: it counts the bytes,
// reports progress, and notes whether any Read was started and the
// reader's first error, which is never retried.
type counter struct {
	r        io.Reader
	n        atomic.Int64
	started  atomic.Bool
	err      atomic.Pointer[error]
	progress func(int64)
}

func (c *counter) Read(p []byte) (int, error) {
	c.started.Store(true)
	n, err := c.r.Read(p)
	if n < 0 || n > len(p) {
		n, err = 0, fmt.Errorf("the reader returned %d bytes for a buffer of %d", n, len(p))
	}
	if total := c.n.Add(int64(n)); n > 0 && c.progress != nil {
		c.progress(total)
	}
	if err != nil && err != io.EOF {
		c.err.CompareAndSwap(nil, &err)
	}
	return n, err
}
