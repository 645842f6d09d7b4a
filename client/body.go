package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"sync"
	"sync/atomic"
)

// source is the CSV content of an import, opened once per attempt.
type source interface {
	// open returns the content for the next attempt, whose context is
	// ctx, and its size in bytes, or -1 if it is not known in advance.
	open(ctx context.Context) (io.ReadCloser, int64, error)
	// rewindable reports whether the content can be sent again from the
	// start after an attempt that read some of it failed.
	rewindable() bool
	// done is called once, when the import call returns.
	done()
}

// seekSource is a caller's io.ReadSeeker: re-sent from where it was when
// the import began.
type seekSource struct {
	r     io.ReadSeeker
	start int64
	size  int64
}

// newSeekSource measures r from its current offset. It fails, leaving r
// where it was, if r cannot seek.
func newSeekSource(r io.ReadSeeker) (*seekSource, error) {
	start, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	end, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if _, err := r.Seek(start, io.SeekStart); err != nil {
		return nil, err
	}
	return &seekSource{r: r, start: start, size: end - start}, nil
}

func (s *seekSource) open(context.Context) (io.ReadCloser, int64, error) {
	if _, err := s.r.Seek(s.start, io.SeekStart); err != nil {
		return nil, 0, err
	}
	return io.NopCloser(sourceReader{s.r}), s.size, nil
}

func (s *seekSource) rewindable() bool { return true }

func (s *seekSource) done() {}

// sourceReader marks the errors of the caller's reader as the CSV's.
type sourceReader struct{ r io.Reader }

func (s sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = &sourceError{err}
	}
	return n, err
}

// onceSource is a caller's plain io.Reader: an attempt that read none of
// it can be retried, one that read some cannot. The reader is read by a
// pump, so that an attempt can end while a Read of it blocks.
type onceSource struct{ p *pump }

func newOnceSource(r io.Reader) onceSource {
	return onceSource{&pump{r: r, want: make(chan int), got: make(chan chunk), quit: make(chan struct{})}}
}

func (s onceSource) open(ctx context.Context) (io.ReadCloser, int64, error) {
	return &pumpReader{p: s.p, ctx: ctx, closed: make(chan struct{})}, -1, nil
}

func (onceSource) rewindable() bool { return false }

func (s onceSource) done() { s.p.stop() }

// pumpBuffer is the most a pump reads at once.
const pumpBuffer = 32 << 10

// pump reads a caller's io.Reader in a goroutine of its own, one Read at
// a time and only when an attempt asks for data, so that the attempt can
// give up on a Read that blocks (os.Stdin fed by an export that stalled)
// when its context ends, instead of waiting for the Read to return: the
// HTTP transport waits for its body's Read before it returns. A Read
// still blocked when the call returns finishes later, and its data is
// discarded; the reader is not read again. Data read for an attempt that
// ended before taking it goes to the next attempt, so none is lost.
//
// The fields below the channels are used by one attempt at a time: an
// attempt returns only once its body is closed and no Read of it is in
// progress.
type pump struct {
	r    io.Reader
	want chan int   // asks the goroutine for a Read of at most n bytes
	got  chan chunk // what the Read gave
	quit chan struct{}
	run  sync.Once
	end  sync.Once

	buf   []byte // written by the goroutine between want and got
	asked bool   // a Read was asked for and its chunk not yet taken
	rest  []byte // taken from the goroutine, not yet handed on
	err   error  // the reader's error, handed on after rest
}

type chunk struct {
	n   int
	err error
}

func (p *pump) loop() {
	for {
		select {
		case n := <-p.want:
			k, err := p.r.Read(p.buf[:n])
			if k < 0 || k > n {
				k, err = 0, fmt.Errorf("the reader returned %d bytes for a buffer of %d", k, n)
			}
			if err != nil && err != io.EOF {
				err = &sourceError{err}
			}
			select {
			case p.got <- chunk{k, err}:
			case <-p.quit:
				return
			}
			if err != nil {
				return
			}
		case <-p.quit:
			return
		}
	}
}

func (p *pump) stop() { p.end.Do(func() { close(p.quit) }) }

// pumpReader is one attempt's reading end of a pump. Close, or the end of
// the attempt's context, makes a Read waiting for the pump return at once.
type pumpReader struct {
	p      *pump
	ctx    context.Context
	closed chan struct{}
	once   sync.Once
}

func (r *pumpReader) Read(b []byte) (int, error) {
	p := r.p
	if len(p.rest) == 0 && p.err == nil {
		if !p.asked {
			p.run.Do(func() {
				p.buf = make([]byte, pumpBuffer)
				go p.loop()
			})
			select {
			case p.want <- min(len(b), pumpBuffer):
				p.asked = true
			case <-r.closed:
				return 0, errBodyClosed
			case <-r.ctx.Done():
				return 0, r.ctx.Err()
			}
		}
		select {
		case c := <-p.got:
			p.asked, p.rest, p.err = false, p.buf[:c.n], c.err
		case <-r.closed:
			return 0, errBodyClosed
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
	}
	n := copy(b, p.rest)
	p.rest = p.rest[n:]
	if len(p.rest) == 0 && p.err != nil {
		return n, p.err
	}
	return n, nil
}

func (r *pumpReader) Close() error {
	r.once.Do(func() { close(r.closed) })
	return nil
}

// encodeSource is content the client encodes itself while it is sent;
// every attempt encodes it again. encode writes to w until done, or until
// stopped reports true (the attempt is over), and returns an error then.
type encodeSource struct {
	encode func(w io.Writer, stopped func() bool) error
}

func (s encodeSource) open(context.Context) (io.ReadCloser, int64, error) {
	pr, pw := io.Pipe()
	e := &encoding{pr: pr, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		finished := false
		defer func() {
			if finished {
				return
			}
			// The caller's rows panicked, or called runtime.Goexit: the
			// attempt fails, and a panic goes on in the caller's
			// goroutine (see Client.attempt).
			if v := recover(); v != nil {
				e.panic = &panicValue{v}
			}
			pw.CloseWithError(errRowsPanicked)
		}()
		err := s.encode(pw, e.stop.Load)
		finished = true
		if err != nil && err != errBodyClosed && err != io.ErrClosedPipe {
			err = &sourceError{err}
		}
		pw.CloseWithError(err)
	}()
	return e, -1, nil
}

func (encodeSource) rewindable() bool { return true }

func (encodeSource) done() {}

// panicValue is what the caller's rows panicked with.
type panicValue struct{ v any }

// encoding is the reading end of an encodeSource's attempt. Close stops
// the encoder and waits for it, so that once it has returned the caller's
// rows are not read any more.
type encoding struct {
	pr    *io.PipeReader
	stop  atomic.Bool
	done  chan struct{}
	panic *panicValue // set before done is closed
}

func (e *encoding) Read(p []byte) (int, error) { return e.pr.Read(p) }

func (e *encoding) Close() error {
	e.stop.Store(true)
	e.pr.Close() // unblocks a write to the pipe
	<-e.done
	return nil
}

// panicked returns what the rows panicked with, once Close has returned;
// nil if they did not.
func (e *encoding) panicked() *panicValue { return e.panic }

// formFile is the name of the multipart file part. Infiniti reads the first
// file part whatever its names; curl's example uses "file".
const formFile = "file"

// multipartBody frames content as a multipart/form-data body with one file
// part. It returns the body, its length (-1 if unknown) and its
// Content-Type. The body streams: only the part's header and the closing
// boundary are built in memory.
//
// onEnd is called, once, when the whole body has been read.
func multipartBody(content io.ReadCloser, size int64, filename string, onEnd func()) (io.ReadCloser, int64, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, formFile, filename))
	h.Set("Content-Type", "text/csv")
	if _, err := mw.CreatePart(h); err != nil {
		return nil, 0, "", err
	}
	head := bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := mw.Close(); err != nil {
		return nil, 0, "", err
	}
	tail := bytes.Clone(buf.Bytes())
	length := int64(-1)
	if size >= 0 {
		length = int64(len(head)) + size + int64(len(tail))
	}
	body := &multiReadCloser{
		r:      io.MultiReader(bytes.NewReader(head), content, bytes.NewReader(tail)),
		c:      content,
		length: length,
		onEnd:  onEnd,
	}
	return body, length, mw.FormDataContentType(), nil
}

// multiReadCloser is a request body. The transport may go on reading a body
// after the round trip returned, and may close it from its own goroutine;
// once any Close has returned, no Read reaches the caller's reader any
// more, so the caller may close or reuse it.
type multiReadCloser struct {
	r      io.Reader
	c      io.Closer
	length int64      // -1 if unknown
	onEnd  func()     // called once the whole body has been read
	mu     sync.Mutex // held during a Read of the content, and by Close to wait for it
	n      int64      // bytes read; guarded by mu
	ended  bool       // whether onEnd was called; guarded by mu
	closed atomic.Bool
	once   sync.Once
	err    error
}

var errBodyClosed = errors.New("request body closed")

func (m *multiReadCloser) Read(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed.Load() {
		if m.ended {
			// The transport reads once more past the Content-Length, to
			// check that the body ends there, possibly after the round
			// trip returned and the body was closed: an error would make
			// it close the connection, the response's included.
			return 0, io.EOF
		}
		return 0, errBodyClosed
	}
	n, err := m.r.Read(p)
	m.n += int64(n)
	if !m.ended && (err == io.EOF || m.length >= 0 && m.n >= m.length) {
		m.ended = true
		if m.onEnd != nil {
			m.onEnd()
		}
	}
	return n, err
}

// Close closes the content and waits for a Read in progress. Every call,
// from whichever goroutine, returns only when that is done.
func (m *multiReadCloser) Close() error {
	m.once.Do(func() {
		m.closed.Store(true)
		m.err = m.c.Close() // unblocks a Read waiting on a pipe
		m.mu.Lock()         // waits for a Read in progress
		m.r = nil           // no Read gets this far any more
		m.mu.Unlock()
	})
	return m.err
}

// counter counts the CSV bytes an attempt sent and reports progress. It
// keeps the first error of the caller's CSV.
type counter struct {
	r        io.Reader
	n        atomic.Int64
	err      atomic.Pointer[sourceError]
	progress func(int64)
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		total := c.n.Add(int64(n))
		if c.progress != nil {
			c.progress(total)
		}
	}
	if se, ok := err.(*sourceError); ok {
		c.err.CompareAndSwap(nil, se)
	}
	return n, err
}

var errNilCSV = errors.New("client: the CSV reader is nil; pass strings.NewReader(\"\") to post an empty file")
