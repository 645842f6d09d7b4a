package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
	"github.com/jarcoal/httpmock"
)

// mockClient returns a client whose requests go to a fresh httpmock
// transport.
func mockClient(t *testing.T, base string, opts ...Option) (*Client, *httpmock.MockTransport, *waits) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	c, w := newClient(t, base, append([]Option{WithHTTPClient(&http.Client{Transport: mt})}, opts...)...)
	return c, mt, w
}

const okJSON = `{"success":true,"summary":"2 users processed. 2 users created. 0 users updated. 0 users failed."}`

// captured is the shape of one request, as the tests compare it.
type captured struct {
	Method, URL, Accept, UserAgent, Auth string
	ContentLength                        int64
	MediaType                            string
	Parts                                []capturedPart
}

type capturedPart struct {
	FormName, FileName, ContentType, Content string
}

func capture(t *testing.T, r *http.Request) captured {
	t.Helper()
	c := captured{Method: r.Method, URL: r.URL.String(), Accept: r.Header.Get("Accept"), UserAgent: r.Header.Get("User-Agent"), Auth: r.Header.Get("Authorization"), ContentLength: r.ContentLength}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	c.MediaType = mt
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		b, _ := io.ReadAll(p)
		c.Parts = append(c.Parts, capturedPart{p.FormName(), p.FileName(), p.Header.Get("Content-Type"), string(b)})
	}
	return c
}

// testCertPEM is a self-signed certificate, for option validation only.
var testCertPEM = func() []byte {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}()

// roundTripFunc is an in-process transport.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// multiHandler sends each record to several handlers.
type multiHandler []slog.Handler

func (m multiHandler) Enabled(ctx context.Context, l slog.Level) bool { return m[0].Enabled(ctx, l) }

func (m multiHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range m {
		if err := h.Handle(ctx, r.Clone()); err != nil {
			return err
		}
	}
	return nil
}

func (m multiHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var n multiHandler
	for _, h := range m {
		n = append(n, h.WithAttrs(attrs))
	}
	return n
}

func (m multiHandler) WithGroup(name string) slog.Handler {
	var n multiHandler
	for _, h := range m {
		n = append(n, h.WithGroup(name))
	}
	return n
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// isOneLine reports whether s is valid UTF-8 with no control, format or
// line-separator character.
func isOneLine(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return r != ' ' && !unicode.IsGraphic(r)
	})
}

// slowReader pauses once, when it has returned at bytes: an upload that
// takes longer than a short response-header timeout.
type slowReader struct {
	r      io.Reader
	at, n  int
	pause  time.Duration
	paused bool
}

func (s *slowReader) Read(p []byte) (int, error) {
	if s.n >= s.at && !s.paused {
		s.paused = true
		time.Sleep(s.pause)
	}
	if !s.paused {
		p = p[:min(len(p), s.at-s.n)]
	}
	n, err := s.r.Read(p)
	s.n += n
	return n, err
}

// trickyPassword has the characters a real school password was seen with,
// and more: every test that sets a password uses it or the fake's default.
const trickyPassword = "p^@&$:/?#%20 ñ€ü\"'"

// nonASCIIPassword can be sent in either charset.
const nonASCIIPassword = "Passwört-2024"

// leaks collects every error string and log line the tests produce, so
// that TestMain can check that no password is among them.
var leaks struct {
	sync.Mutex
	texts []string
}

func collect(s string) {
	leaks.Lock()
	defer leaks.Unlock()
	leaks.texts = append(leaks.texts, s)
}

// collectErr records err's text and returns it.
func collectErr(err error) error {
	if err != nil {
		collect(err.Error())
		collect(fmt.Sprintf("%+v", err))
	}
	return err
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var logOutput lockedBuffer

// testLogger logs to logOutput, which TestMain checks for passwords.
var testLogger = slog.New(slog.NewTextHandler(&logOutput, &slog.HandlerOptions{Level: slog.LevelDebug}))

// passwordForms returns the forms of password that no error string, log
// record or fmt output may hold: every echo of echoForms. It is the tests'
// own list, independent of the client's.
func passwordForms(user, password string) []string {
	var forms []string
	for _, f := range echoForms(user, password) {
		forms = append(forms, f.echo)
	}
	return forms
}

// echo is the password as one encoder writes it.
type echo struct{ name, echo string }

// echoForms returns the password as servers echo it through their
// encoders: issue 8's list (as it is; base64 of user:password and of the
// password alone, standard, URL-safe and unpadded; query- and
// path-percent-encoded; JSON-escaped), and what other languages' encoders
// write (review 1): JSON with \u escapes of non-ASCII characters in lower
// or upper case (Python's ensure_ascii, Java) or of every character, \/
// for / (PHP), JavaScript's encodeURIComponent, every byte
// percent-encoded, HTML-escaped (named, decimal and hex references), Go's
// %q, the ISO-8859-1 bytes percent-encoded and in base64 with the
// username, and a URL's escapes inside JSON.
func echoForms(user, password string) []echo {
	jsonGo := func(s string) string { j := mustJSON(s); return j[1 : len(j)-1] }
	jsonASCII := func(s string, upper, all bool) string {
		var b strings.Builder
		for _, r := range s {
			if r < utf8.RuneSelf && !all {
				b.WriteString(jsonGo(string(r)))
				continue
			}
			for _, u := range utf16.Encode([]rune{r}) {
				h := fmt.Sprintf("\\u%04x", u)
				if upper {
					h = `\u` + strings.ToUpper(h[2:])
				}
				b.WriteString(h)
			}
		}
		return b.String()
	}
	percentAll := func(b []byte, format string) string {
		var out strings.Builder
		for _, c := range b {
			fmt.Fprintf(&out, format, c)
		}
		return out.String()
	}
	uriComponent := func(s string) string { // JavaScript's encodeURIComponent
		var out strings.Builder
		for _, c := range []byte(s) {
			if c < utf8.RuneSelf && (unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)) || strings.IndexByte("-_.!~*'()", c) >= 0) {
				out.WriteByte(c)
			} else {
				fmt.Fprintf(&out, "%%%02X", c)
			}
		}
		return out.String()
	}
	forms := []echo{
		{"raw", password},
		{"query", url.QueryEscape(password)},
		{"path", url.PathEscape(password)},
		{"json", jsonGo(password)},
		{"json, non-ASCII as lower-case \\u", jsonASCII(password, false, false)},
		{"json, non-ASCII as upper-case \\u", jsonASCII(password, true, false)},
		{"json, every character as \\u", jsonASCII(password, false, true)},
		{"json, / as \\/", strings.ReplaceAll(jsonGo(password), "/", `\/`)},
		{"encodeURIComponent", uriComponent(password)},
		{"every byte percent-encoded", percentAll([]byte(password), "%%%02X")},
		{"every byte percent-encoded, lower case", percentAll([]byte(password), "%%%02x")},
	}
	if l1, ok := latin1(password); ok {
		forms = append(forms, echo{"iso-8859-1, percent-encoded", percentAll(l1, "%%%02X")})
		if lu, ok := latin1(user + ":" + password); ok {
			forms = append(forms, echo{"base64 of user:password in iso-8859-1", base64.StdEncoding.EncodeToString(lu)})
		}
	}
	for _, plain := range []string{user + ":" + password, password} {
		for name, enc := range map[string]*base64.Encoding{"std": base64.StdEncoding, "url": base64.URLEncoding, "raw std": base64.RawStdEncoding, "raw url": base64.RawURLEncoding} {
			forms = append(forms, echo{"base64 " + name + " of " + strings.Replace(plain, password, "password", 1), enc.EncodeToString([]byte(plain))})
		}
	}
	slices.SortFunc(forms, func(a, b echo) int { return strings.Compare(a.name, b.name) })
	return forms
}

// percentEncodeAll percent-encodes every byte of s.
func percentEncodeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// leaked returns the first form of a password that text holds, or "".
func leaked(text string, forms []string) string {
	for _, f := range forms {
		if f != "" && strings.Contains(text, f) {
			return f
		}
	}
	return ""
}

func TestMain(m *testing.M) {
	code := m.Run()
	collect(logOutput.String())
	var forms []string
	for _, pw := range []string{trickyPassword, clienttest.DefaultPassword, "hunter2^@&$", nonASCIIPassword} {
		forms = append(forms, passwordForms("autoimport", pw)...)
		forms = append(forms, passwordForms(clienttest.DefaultUsername, pw)...)
	}
	leaks.Lock()
	for _, text := range leaks.texts {
		if f := leaked(text, forms); f != "" {
			fmt.Fprintf(os.Stderr, "FAIL: a password (as %q) reached an error or log line: %q\n", f, text)
			code = 1
		}
	}
	n := len(leaks.texts)
	leaks.Unlock()
	if code == 0 && n < 20 && flag.Lookup("test.run").Value.String() == "" {
		fmt.Fprintf(os.Stderr, "FAIL: only %d error and log texts were collected; the leak check saw too little\n", n)
		code = 1
	}
	os.Exit(code)
}

// waits records the waits of a client instead of sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) get() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// newClient returns a client that logs to testLogger, does not really
// sleep between retries and has no jitter; the waits are recorded.
func newClient(t testing.TB, base string, opts ...Option) (*Client, *waits) {
	t.Helper()
	c, err := New(base, append([]Option{WithLogger(testLogger)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", collectErr(err))
	}
	w := &waits{}
	c.sleep = w.sleep
	c.jitter = func(d time.Duration) time.Duration { return d }
	return c, w
}

// fakeClient returns a client of srv with its account.
func fakeClient(t testing.TB, srv *clienttest.Server, opts ...Option) (*Client, *waits) {
	t.Helper()
	return newClient(t, srv.URL, append([]Option{WithHTTPClient(srv.Client()), WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword)}, opts...)...)
}

const sampleCSV = "username,library-group,system-group\njsmith,Year 7,Students\nmjones,,Staff\n"

// slogText returns a text logger without timestamps, for exact assertions.
func slogText(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}))
}

// bigRows is how many rows bigCSV and bigUserGroups hold: 8 MiB, more
// than the socket buffers of a loopback connection take, so that a fake
// that drops the connection after the first kilobyte does so in the
// middle of the upload, before the transport has read the whole body.
const bigRows = 8 << 20 / 24

// bigCSV is a valid file of bigRows rows.
var bigCSV = sync.OnceValue(func() string {
	var b strings.Builder
	b.Grow(64 + bigRows*len("user0000000,Year 7,Students\n"))
	b.WriteString("username,library-group,system-group\n")
	for i := range bigRows {
		fmt.Fprintf(&b, "user%07d,Year 7,Students\n", i)
	}
	return b.String()
})

// bigUserGroups yields the rows of bigCSV.
func bigUserGroups(yield func(csvspec.UserGroup) bool) {
	for i := range bigRows {
		if !yield(csvspec.UserGroup{Username: fmt.Sprintf("user%07d", i), LibraryGroup: "Year 7", SystemGroup: "Students"}) {
			return
		}
	}
}

// onlyReader hides every method but Read, so the client cannot seek.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// endlessCSV yields rows forever, as many whole rows as fit in each Read.
type endlessCSV struct{ n int }

func (e *endlessCSV) Read(p []byte) (int, error) {
	if e.n == 0 {
		e.n++
		return copy(p, "username,library-group,system-group\n"), nil
	}
	n := 0
	for {
		line := fmt.Sprintf("user%09d,Year 7,Students\n", e.n)
		if n > 0 && len(p)-n < len(line) {
			return n, nil
		}
		n += copy(p[n:], line)
		e.n++
	}
}

// percentEncode encodes every byte but letters and digits, as a technician
// might when putting a password into a URL.
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// allTexts returns what a client lets out of err: its text in every verb,
// and the text of every error reachable from it with Unwrap (as errors.As
// reaches them), except a *result.ImportError's, which is Infiniti's text
// as received by design.
func allTexts(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if _, ok := e.(*result.ImportError); ok {
			return
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			out = append(out, fmt.Sprintf(verb, e))
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				walk(inner)
			}
		}
	}
	walk(err)
	return out
}

// blockedReader yields its data, then blocks in Read until released.
type blockedReader struct {
	data    *strings.Reader
	release chan struct{}
	blocked chan struct{} // closed when a Read first blocks
	once    sync.Once
	freed   sync.Once
	reads   atomic.Int32 // reads after the data, blocked or done
}

// free ends the blocked Read; it may be called more than once.
func (b *blockedReader) free() { b.freed.Do(func() { close(b.release) }) }

func newBlockedReader(data string) *blockedReader {
	return &blockedReader{data: strings.NewReader(data), release: make(chan struct{}), blocked: make(chan struct{})}
}

func (b *blockedReader) Read(p []byte) (int, error) {
	if b.data.Len() > 0 {
		return b.data.Read(p)
	}
	b.reads.Add(1)
	b.once.Do(func() { close(b.blocked) })
	<-b.release
	return 0, io.EOF
}

// endingContext is a context that a test ends, with the error it was
// made with, by calling end: a deadline that expires exactly when the test
// says, without a clock.
type endingContext struct {
	context.Context
	err  error
	done chan struct{}
	once sync.Once
}

func newEndingContext(err error) *endingContext {
	return &endingContext{Context: context.Background(), err: err, done: make(chan struct{})}
}

func (c *endingContext) end() { c.once.Do(func() { close(c.done) }) }

func (c *endingContext) Done() <-chan struct{} { return c.done }

func (c *endingContext) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// failingSeeker seeks, and fails to read.
type failingSeeker struct{ err error }

func (f *failingSeeker) Read([]byte) (int, error) { return 0, f.err }

func (f *failingSeeker) Seek(_ int64, whence int) (int64, error) {
	if whence == io.SeekEnd {
		return 100, nil // a file of 100 bytes, which cannot be read
	}
	return 0, nil
}

func (f *failingSeeker) ReadAt([]byte, int64) (int, error) { return 0, f.err }

// hangUp closes the connection of a handler's request at once. A handler
// that returns with most of a large upload unread makes the Go server wait
// half a second before it closes the connection, and httptest.Server.Close
// waits for that.
func hangUp(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
}

// earlyServer is a plain-http server on 127.0.0.1 for one request: it
// reads the first read bytes of the upload's body, answers status with
// text and "Connection: close", then reads the rest of the connection
// until the client closes it, so that a transport that goes on reading
// the upload may. done is closed once the client closed the connection.
func earlyServer(t *testing.T, read int64, status int, text string) (url string, done <-chan struct{}) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(time.Minute)) // a bound, should the client never close
		br := bufio.NewReader(conn)
		if req, err := http.ReadRequest(br); err == nil {
			io.CopyN(io.Discard, req.Body, read)
		}
		fmt.Fprintf(conn, "HTTP/1.1 %d %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", status, http.StatusText(status), len(text), text)
		io.Copy(io.Discard, br)
	}()
	return "http://" + ln.Addr().String(), closed
}
