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
)

// source is the CSV content of an import, opened once per attempt.
type source interface {
	// open returns the content for the next attempt and its size in bytes,
	// or -1 if it is not known in advance.
	open() (io.ReadCloser, int64, error)
	// rewindable reports whether the content can be sent again from the
	// start after an attempt that read some of it failed.
	rewindable() bool
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

func (s *seekSource) open() (io.ReadCloser, int64, error) {
	if _, err := s.r.Seek(s.start, io.SeekStart); err != nil {
		return nil, 0, err
	}
	return io.NopCloser(s.r), s.size, nil
}

func (s *seekSource) rewindable() bool { return true }

// onceSource is a caller's plain io.Reader: an attempt that read none of
// it can be retried, one that read some cannot.
type onceSource struct{ r io.Reader }

func (s onceSource) open() (io.ReadCloser, int64, error) { return io.NopCloser(s.r), -1, nil }

func (onceSource) rewindable() bool { return false }

// encodeSource is content the client encodes itself while it is sent;
// every attempt encodes it again. encode writes to w until done, or until
// stopped reports true (the attempt is over), and returns an error then.
type encodeSource struct {
	encode func(w io.Writer, stopped func() bool) error
}

func (s encodeSource) open() (io.ReadCloser, int64, error) {
	pr, pw := io.Pipe()
	e := &encoding{pr: pr, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		pw.CloseWithError(s.encode(pw, e.stop.Load))
	}()
	return e, -1, nil
}

func (encodeSource) rewindable() bool { return true }

// encoding is the reading end of an encodeSource's attempt. Close stops
// the encoder and waits for it, so that once it has returned the caller's
// rows are not read any more.
type encoding struct {
	pr   *io.PipeReader
	stop atomic.Bool
	done chan struct{}
}

func (e *encoding) Read(p []byte) (int, error) { return e.pr.Read(p) }

func (e *encoding) Close() error {
	e.stop.Store(true)
	e.pr.Close() // unblocks a write to the pipe
	<-e.done
	return nil
}

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

// counter counts the CSV bytes an attempt sent and reports progress.
type counter struct {
	r        io.Reader
	n        atomic.Int64
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
	return n, err
}

var errNilCSV = errors.New("client: the CSV reader is nil; pass strings.NewReader(\"\") to post an empty file")
