package client

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime/multipart"
	"net/textproto"
	"sync"
	"sync/atomic"

	"github.com/autosync-go/autosync/csvspec"
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
		return nil, 0, fmt.Errorf("client: rewinding the CSV: %w", err)
	}
	return io.NopCloser(s.r), s.size, nil
}

func (s *seekSource) rewindable() bool { return true }

// onceSource is a caller's plain io.Reader: an attempt that read none of
// it can be retried, one that read some cannot.
type onceSource struct{ r io.Reader }

func (s onceSource) open() (io.ReadCloser, int64, error) { return io.NopCloser(s.r), -1, nil }

func (onceSource) rewindable() bool { return false }

// rowsSource encodes rows with csvspec.Writer while they are sent; every
// attempt encodes them again.
type rowsSource struct {
	rows iter.Seq[csvspec.UserGroup]
}

func (s rowsSource) open() (io.ReadCloser, int64, error) {
	pr, pw := io.Pipe()
	go func() {
		w := csvspec.NewWriter(pw)
		for g := range s.rows {
			if err := w.Write(g); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(w.Flush())
	}()
	return pr, -1, nil
}

func (rowsSource) rewindable() bool { return true }

// formFile is the name of the multipart file part. Infiniti reads the first
// file part whatever its names; curl's example uses "file".
const formFile = "file"

// multipartBody frames content as a multipart/form-data body with one file
// part. It returns the body, its length (-1 if unknown) and its
// Content-Type. The body streams: only the part's header and the closing
// boundary are built in memory.
func multipartBody(content io.ReadCloser, size int64, filename string) (io.ReadCloser, int64, string, error) {
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
		Reader: io.MultiReader(bytes.NewReader(head), content, bytes.NewReader(tail)),
		c:      content,
	}
	return body, length, mw.FormDataContentType(), nil
}

// multiReadCloser is a request body. The transport may go on reading a body
// after the round trip returned; once Close has returned, no Read reaches
// the caller's reader any more, so the caller may close or reuse it.
type multiReadCloser struct {
	io.Reader
	c      io.Closer
	mu     sync.Mutex // held during a Read of the content, and by Close to wait for it
	closed atomic.Bool
}

var errBodyClosed = errors.New("client: request body closed")

func (m *multiReadCloser) Read(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed.Load() {
		return 0, errBodyClosed
	}
	return m.Reader.Read(p)
}

func (m *multiReadCloser) Close() error {
	if m.closed.Swap(true) {
		return nil
	}
	err := m.c.Close() // unblocks a Read waiting on a pipe
	m.mu.Lock()        // waits for a Read in progress
	defer m.mu.Unlock()
	return err
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
