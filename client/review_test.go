package client

// Regression tests of the outside review of the client (review 1), one
// test per finding where no older test took the case in.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
)

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

// Finding 2: with WithAuthCharset(AuthLatin1) and non-ASCII credentials, a
// server that echoes the Authorization header it got (in ISO-8859-1) does
// not get it into the error.
func TestAuthorizationEchoWithheld(t *testing.T) {
	tests := []struct {
		name, user, password string
		charset              AuthCharset
	}{
		{"Latin-1, non-ASCII username", "bibliothèque", nonASCIIPassword, AuthLatin1},
		{"Latin-1, ASCII username", "autoimport", nonASCIIPassword, AuthLatin1},
		{"UTF-8, non-ASCII username", "bibliothèque", nonASCIIPassword, AuthUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header string
			c, mt, _ := mockClient(t, "https://school.example", WithBasicAuth(tt.user, tt.password), WithAuthCharset(tt.charset))
			mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
				header = r.Header.Get("Authorization")
				return httpmock.NewStringResponse(403, "<html><pre>Authorization: "+header+"</pre> not allowed</html>"), nil
			})
			_, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			collectErr(err)
			var se *StatusError
			if !errors.As(err, &se) || se.Snippet != withheld {
				t.Fatalf("err = %v, want the snippet withheld", err)
			}
			sent := strings.TrimPrefix(header, "Basic ")
			for _, text := range allTexts(err) {
				if strings.Contains(text, sent) {
					t.Errorf("%q shows the Authorization header", text)
				}
			}
		})
	}
}

// Finding 10: a password that is a word of the client's own message or of
// the page is no oracle: no mark stands where it was, the client's own
// words are whole, and a page holding the password is withheld whole.
func TestNoRedactionOracle(t *testing.T) {
	const page = `<html><input type="password" name="password"></html>`
	tests := []struct {
		password    string
		wantSnippet string
	}{
		{"password", withheld},
		{"Infiniti", page},
		{"credentials", page},
		{"import account", page},
	}
	for _, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			c, mt, _ := mockClient(t, "https://school.example", WithBasicAuth("autoimport", tt.password))
			mt.RegisterNoResponder(httpmock.NewStringResponder(401, page))
			_, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v", err)
			}
			if se.Snippet != tt.wantSnippet {
				t.Errorf("snippet %q, want %q", se.Snippet, tt.wantSnippet)
			}
			if strings.Contains(err.Error(), redacted) {
				t.Errorf("err = %v marks where the password stood", err)
			}
			if !strings.Contains(err.Error(), statusHint(401)) {
				t.Errorf("err = %v; the client's own words are not whole", err)
			}
		})
	}
}

// Finding 8: the transport's own error, which quotes the server, is not
// reachable with errors.As or Unwrap.
func TestTransportErrorNotExposed(t *testing.T) {
	const pw = "Spring2024-library"
	tests := []struct {
		name   string
		answer string // what the server writes after reading the request
	}{
		{"status line quoting the password", "HTTP/1.1 " + pw + "\r\n\r\n"},
		{"status code quoting the password", "HTTP/1.1 2" + pw + " OK\r\n\r\n"},
		{"header line quoting the password", "HTTP/1.1 200 OK\r\n" + pw + "\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				io.WriteString(conn, tt.answer)
			}()
			c, _ := newClient(t, "http://"+ln.Addr().String(), WithBasicAuth("autoimport", pw), WithRetry(RetryPolicy{}))
			_, err = c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			collectErr(err)
			if err == nil {
				t.Fatal("no error")
			}
			var ue *url.Error
			if errors.As(err, &ue) {
				t.Errorf("errors.As(err, *url.Error) reaches the transport's error: %v", ue)
			}
			for _, text := range allTexts(err) {
				if strings.Contains(text, pw) {
					t.Errorf("%q shows the password", text)
				}
			}
		})
	}
}

// Finding 11: nothing reachable in a Client by reflection, without
// calling a method (as fmt's %+v, go-spew and testify's diffs walk it),
// holds the password or the Authorization header.
func TestSecretsNotReachableByReflection(t *testing.T) {
	tests := []struct {
		name, base string
		opts       []Option
		user, pass string
	}{
		{"WithBasicAuth", "https://school.example", []Option{WithBasicAuth("autoimport", "Spring2024-library")}, "autoimport", "Spring2024-library"},
		{"curl-style URL, Latin-1", "https://autoimport:" + url.QueryEscape(nonASCIIPassword) + "@school.example", []Option{WithAuthCharset(AuthLatin1)}, "autoimport", nonASCIIPassword},
		{"own transport, logger, tenant", "https://school.example/infiniti", []Option{WithBasicAuth("autoimport", trickyPassword), WithTenant("T1"), WithLogger(testLogger), WithRootCAs(testCertPEM)}, "autoimport", trickyPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.base, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			forms := passwordForms(tt.user, tt.pass)
			if l1, ok := latin1(tt.user + ":" + tt.pass); ok {
				forms = append(forms, string(l1), base64.StdEncoding.EncodeToString(l1))
			}
			if l1, ok := latin1(tt.pass); ok {
				forms = append(forms, string(l1))
			}
			forms = append(forms, c.cred.secret().header)
			found := reflectStrings(reflect.ValueOf(c), func(s string) bool { return leaked(s, forms) != "" })
			if found != "" {
				t.Errorf("a field reachable by reflection holds the password: %s", found)
			}
		})
	}
}

// reflectStrings walks v as a dumper does, through pointers, interfaces,
// structs (unexported fields included), slices, arrays and maps, without
// calling any method, and returns the path of the first string or []byte
// for which bad holds; "" if none. A func is a leaf, as dumpers print it.
func reflectStrings(v reflect.Value, bad func(string) bool) string {
	type visit struct {
		ptr uintptr
		typ reflect.Type
	}
	seen := make(map[visit]bool)
	var walk func(v reflect.Value, path string, depth int) string
	walk = func(v reflect.Value, path string, depth int) string {
		if !v.IsValid() || depth > 64 {
			return ""
		}
		switch v.Kind() {
		case reflect.String:
			if bad(v.String()) {
				return path
			}
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				return ""
			}
			if v.Kind() == reflect.Pointer {
				k := visit{v.Pointer(), v.Type()}
				if seen[k] {
					return ""
				}
				seen[k] = true
			}
			return walk(v.Elem(), path, depth+1)
		case reflect.Struct:
			for i := range v.NumField() {
				if p := walk(v.Field(i), path+"."+v.Type().Field(i).Name, depth+1); p != "" {
					return p
				}
			}
		case reflect.Slice, reflect.Array:
			if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
				b := make([]byte, v.Len())
				for i := range b {
					b[i] = byte(v.Index(i).Uint())
				}
				if bad(string(b)) {
					return path
				}
				return ""
			}
			for i := range v.Len() {
				if p := walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1); p != "" {
					return p
				}
			}
		case reflect.Map:
			it := v.MapRange()
			for it.Next() {
				if p := walk(it.Key(), path+"{key}", depth+1); p != "" {
					return p
				}
				if p := walk(it.Value(), path+"{value}", depth+1); p != "" {
					return p
				}
			}
		}
		return ""
	}
	return walk(v, "c", 0)
}

// The walker finds what it must: a test of the test.
func TestReflectStrings(t *testing.T) {
	type inner struct {
		b []byte
		m map[string]any
	}
	type outer struct {
		p *inner
		f func() string
	}
	secret := "the-secret"
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"pointer to bytes", &outer{p: &inner{b: []byte("x the-secret y")}}, "c.p.b"},
		{"map value in an interface", outer{p: &inner{m: map[string]any{"k": []string{"a", secret}}}}, "c.p.m{value}[1]"},
		{"func is a leaf", outer{f: func() string { return secret }}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reflectStrings(reflect.ValueOf(tt.v), func(s string) bool { return strings.Contains(s, secret) })
			if got != tt.want {
				t.Errorf("path %q, want %q", got, tt.want)
			}
		})
	}
}

// Finding 12: a panic in the caller's iterator goes on in the caller's
// goroutine, where the caller can recover it, with the same value.
func TestRowsPanicReachesCaller(t *testing.T) {
	tests := []struct {
		name   string
		status int // what the server answers without reading; 0 reads the upload
		after  int // rows yielded before the panic
	}{
		{"before the first row", 0, 0},
		{"after some rows", 0, 3},
		{"after many rows, server answered early", http.StatusForbidden, 100_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status != 0 {
					w.Header().Set("Connection", "close")
					w.WriteHeader(tt.status)
					return
				}
				io.Copy(io.Discard, r.Body)
				io.WriteString(w, okJSON)
			}))
			defer srv.Close()
			c, _ := newClient(t, srv.URL)
			type bug struct{ N int }
			var got any
			func() {
				defer func() { got = recover() }()
				c.ImportUserGroupRows(context.Background(), func(yield func(csvspec.UserGroup) bool) {
					for i := range tt.after {
						if !yield(csvspec.UserGroup{Username: fmt.Sprintf("student%06d", i), LibraryGroup: "Year 7"}) {
							break
						}
					}
					panic(bug{tt.after})
				})
			}()
			if diff := cmp.Diff(bug{tt.after}, got); diff != "" {
				t.Errorf("recovered (-want +got):\n%s", diff)
			}
		})
	}
}

// blockedReader yields its data, then blocks in Read until released.
type blockedReader struct {
	data    *strings.Reader
	release chan struct{}
	blocked chan struct{} // closed when a Read first blocks
	once    sync.Once
	reads   atomic.Int32 // reads after the data, blocked or done
}

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

// Finding 4: cancelling the context stops an upload whose plain reader is
// blocked in Read (os.Stdin fed by an export that stalled). The context
// ends from inside the handler, once the request has reached the server
// and the reader has blocked, so that no clock decides whether it does.
func TestCancelWhileReaderBlocked(t *testing.T) {
	tests := []struct {
		name string
		data string
		h2   bool  // over TLS with HTTP/2, whose transport writes the body in a goroutine of its own
		end  error // how the context ends: context.Canceled or context.DeadlineExceeded
	}{
		{"deadline, blocked after the header", "username,library-group,system-group\n", false, context.DeadlineExceeded},
		{"cancel, blocked at once", "", false, context.Canceled},
		{"deadline, HTTP/2", "username,library-group,system-group\n", true, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := newEndingContext(tt.end)
			r := newBlockedReader(tt.data)
			var proto atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				proto.Store(int32(req.ProtoMajor))
				select { // the upload has started; end the context once its reader blocks
				case <-r.blocked:
				case <-time.After(10 * time.Second): // bounded; the reads check below then fails
				}
				ctx.end()
				io.Copy(io.Discard, req.Body)
			}))
			var opts []Option
			if tt.h2 {
				srv.EnableHTTP2 = true
				srv.StartTLS()
				opts = append(opts, WithHTTPClient(srv.Client()))
			} else {
				srv.Start()
			}
			defer srv.Close()
			c, _ := newClient(t, srv.URL, opts...)
			done := make(chan error, 1)
			go func() {
				_, err := c.ImportUserGroups(ctx, r)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				close(r.release)
				t.Fatalf("the call did not return while the reader was blocked: %v", <-done)
			}
			collectErr(err)
			if !errors.Is(err, tt.end) {
				t.Errorf("err = %v, want %v", err, tt.end)
			}
			if want := map[bool]int32{false: 1, true: 2}[tt.h2]; proto.Load() != want {
				t.Errorf("the request came over HTTP/%d, want HTTP/%d", proto.Load(), want)
			}
			close(r.release) // the blocked Read ends now; its data goes nowhere
			if n := r.reads.Load(); n != 1 {
				t.Errorf("%d reads past the data, want the one that blocked", n)
			}
		})
	}
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

func (c *endingContext) end()                  { c.once.Do(func() { close(c.done) }) }
func (c *endingContext) Done() <-chan struct{} { return c.done }

func (c *endingContext) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Finding 16: an error of the caller's own reader is the CSV's: never
// retried, and said so.
func TestReaderErrorNotRetried(t *testing.T) {
	errExport := errors.New("export database offline")
	tests := []struct {
		name string
		body func() io.Reader
	}{
		{"plain reader, at once", func() io.Reader { return failingReader{err: errExport} }},
		{"plain reader, after the header", func() io.Reader {
			return io.MultiReader(strings.NewReader("username,library-group,system-group\n"), failingReader{err: errExport})
		}},
		{"seekable reader", func() io.Reader { return &failingSeeker{err: errExport} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var posts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				io.Copy(io.Discard, r.Body)
			}))
			defer srv.Close()
			var logs lockedBuffer
			c, w := newClient(t, srv.URL, WithLogger(slogText(&logs)))
			_, err := c.ImportUserGroups(context.Background(), tt.body())
			collectErr(err)
			if !errors.Is(err, errExport) {
				t.Fatalf("err = %v, want the reader's error", err)
			}
			want := "client: POST " + srv.URL + "/api/import/userGroups: reading the CSV: export database offline"
			if err.Error() != want {
				t.Errorf("err = %v\nwant  %v", err, want)
			}
			if len(w.get()) != 0 || posts.Load() > 1 {
				t.Errorf("waits %v, %d posts: the reader's error was retried", w.get(), posts.Load())
			}
			if strings.Contains(logs.String(), "connection failed") || strings.Contains(logs.String(), "retry") {
				t.Errorf("logged as a connection failure:\n%s", logs.String())
			}
		})
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// failingSeeker seeks, and fails to read.
type failingSeeker struct{ err error }

func (f *failingSeeker) Read([]byte) (int, error)          { return 0, f.err }
func (f *failingSeeker) Seek(int64, int) (int64, error)    { return 0, nil }
func (f *failingSeeker) ReadAt([]byte, int64) (int, error) { return 0, f.err }

// Finding 5: a timeout of the caller's own HTTP client once the whole file
// was handed over is a response timeout: never retried, and it matches
// ErrResponseTimeout.
func TestCallerTimeoutAfterUploadNotRetried(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*http.Client)
	}{
		{"transport's ResponseHeaderTimeout", func(hc *http.Client) {
			hc.Transport.(*http.Transport).ResponseHeaderTimeout = 100 * time.Millisecond
		}},
		{"client's Timeout", func(hc *http.Client) { hc.Timeout = time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var posts, conns atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost {
					return // the warm-up
				}
				posts.Add(1)
				io.Copy(io.Discard, r.Body)
				<-r.Context().Done() // "Infiniti is processing the file"
			}))
			srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
				if state == http.StateNew {
					conns.Add(1)
				}
			}
			srv.StartTLS()
			defer srv.Close()
			hc := srv.Client()
			// A warm-up request, before the timeouts are set, opens the
			// connection the import reuses: hc.Timeout would otherwise
			// cover the TLS handshake too, which a loaded machine can make
			// slow.
			resp, err := hc.Get(srv.URL + "/warm-up")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			tt.setup(hc)
			c, w := newClient(t, srv.URL, WithHTTPClient(hc))
			_, err = c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			collectErr(err)
			if !errors.Is(err, ErrResponseTimeout) {
				t.Errorf("err = %v, want ErrResponseTimeout", err)
			}
			if conns.Load() != 1 {
				t.Errorf("%d connections, want the warm-up's one, reused", conns.Load())
			}
			if posts.Load() != 1 || len(w.get()) != 0 {
				t.Errorf("%d posts, waits %v: a timeout after the upload was retried", posts.Load(), w.get())
			}
			if !strings.Contains(fmt.Sprint(err), "the whole file was handed to the connection, but a timeout ended the wait for the response") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

// Finding 13: with the SDK's own transport, a response whose body stalls
// after the headers ends after the response-header timeout, instead of
// hanging the call.
func TestStalledResponseBody(t *testing.T) {
	for _, status := range []int{200, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				io.WriteString(w, `{"success":true,`)
				w.(http.Flusher).Flush()
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}))
			defer srv.Close()
			defer close(release)
			c, w := newClient(t, srv.URL, WithResponseHeaderTimeout(100*time.Millisecond))
			done := make(chan error, 1)
			go func() {
				_, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("the call hangs on a stalled body")
			}
			collectErr(err)
			if !errors.Is(err, ErrResponseTimeout) {
				t.Errorf("err = %v, want ErrResponseTimeout", err)
			}
			if !strings.Contains(err.Error(), "but its body stalled: no data came for 100ms") {
				t.Errorf("err = %v", err)
			}
			if len(w.get()) != 0 {
				t.Errorf("retried: waits %v", w.get())
			}
		})
	}
}

// Finding 14: server text in an error or a log record is bounded, however
// long the server's text: each fragment is cut at maxFragment bytes.
func TestServerTextBounded(t *testing.T) {
	long := strings.Repeat("1 user failed. ", 1<<16) // 960 KiB
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	tests := []struct {
		name    string
		respond httpmock.Responder
	}{
		{"summary", httpmock.NewStringResponder(200, js(map[string]any{"success": false, "summary": long}))},
		{"row messages", httpmock.NewStringResponder(200, js(map[string]any{"success": false, "summary": "3 users failed.", "details": map[string]string{"1": long, "2": long, "3": long}}))},
		{"Unauthorised summary", httpmock.NewStringResponder(200, js(map[string]any{"success": false, "summary": "Unauthorised. " + long}))},
		{"detail key", httpmock.NewStringResponder(200, js(map[string]any{"success": false, "summary": "x", "details": map[string]string{long: "x"}}))},
		{"error page", httpmock.NewStringResponder(500, long)},
		{"Location", func(*http.Request) (*http.Response, error) {
			r := httpmock.NewStringResponse(302, "")
			r.Header.Set("Location", "https://sso.example/"+strings.Repeat("a", 1<<20))
			return r, nil
		}},
		{"transport error", httpmock.NewErrorResponder(errors.New(long))},
	}
	const bound = 4 << 10 // the client's own words and a few fragments
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs lockedBuffer
			c, mt, _ := mockClient(t, "https://school.example", WithBasicAuth("autoimport", trickyPassword), WithRetry(RetryPolicy{}),
				WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			mt.RegisterNoResponder(tt.respond)
			_, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			if err == nil {
				t.Fatal("no error")
			}
			collect(err.Error())
			if n := len(err.Error()); n > bound {
				t.Errorf("the error is %d bytes long", n)
			}
			for _, line := range strings.Split(logs.String(), "\n") {
				if len(line) > bound {
					t.Errorf("a log record is %d bytes long: %.200s", len(line), line)
				}
			}
		})
	}
}

// Findings 15 and 3: a non-2xx answer whose body is a failed result holds
// both the *StatusError and the *result.ImportError.
func TestNon2xxResult(t *testing.T) {
	const failed = `{"success":false,"summary":"2 users processed. 1 user created. 0 users updated. 1 user failed.","details":{"1":"User Created","2":"User failed to import"}}`
	tests := []struct {
		name       string
		status     int
		body       string
		wantImport bool
		attempts   int
	}{
		{"422, rows failed", 422, failed, true, 1},
		{"500, success false", 500, `{"success":false,"summary":"Internal error"}`, true, 1},
		{"503, rows failed, after retries", 503, failed, true, 3},
		{"500, success true", 500, `{"success":true,"summary":"1 user processed. 1 user created. 0 users updated. 0 users failed."}`, false, 1},
		{"500, not a result", 500, `<html>error</html>`, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt, _ := mockClient(t, "https://school.example")
			mt.RegisterNoResponder(httpmock.NewStringResponder(tt.status, tt.body))
			res, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			collectErr(err)
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.status || se.Attempts != tt.attempts {
				t.Fatalf("err = %v, want a *StatusError for %d after %d attempts", err, tt.status, tt.attempts)
			}
			var ie *result.ImportError
			if got := errors.As(err, &ie); got != tt.wantImport {
				t.Fatalf("errors.As(err, *result.ImportError) = %v, want %v", got, tt.wantImport)
			}
			if tt.wantImport && (res == nil || ie.Result != res) {
				t.Errorf("the ImportError holds %+v, the call returned %+v", ie.Result, res)
			}
		})
	}
}

// Finding 9's other half: a Client whose password passes New is printed
// without it (String, LogValue), for a password close to the username.
func TestPrintingWithPasswordNearUsername(t *testing.T) {
	for _, tt := range []struct{ user, pass string }{
		{"autoimport", "autoimport2024"},
		{"autoimport2024", "Autoimport2024"},
	} {
		c, err := New("https://school.example", WithBasicAuth(tt.user, tt.pass))
		if err != nil {
			t.Fatalf("%q/%q: %v", tt.user, tt.pass, err)
		}
		var b bytes.Buffer
		slog.New(slog.NewJSONHandler(&b, nil)).Info("c", "client", c)
		if out := c.String() + c.GoString() + b.String(); strings.Contains(out, tt.pass) {
			t.Errorf("%q shows the password", out)
		}
	}
}

// The fake's own default password, which Python's ensure_ascii writes as
// \u00f6: the review's first find, end to end through clienttest.
func TestFakePasswordEchoedByAProxy(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	echo := strings.ReplaceAll(clienttest.DefaultPassword, "ö", `\u00f6`)
	srv.Fail(1, clienttest.Fault{Status: 502, Body: `{"error":"upstream rejected autoimport/` + echo + `"}`, ContentType: "application/json"})
	c, _ := fakeClient(t, srv, WithRetry(RetryPolicy{}))
	_, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
	collectErr(err)
	var se *StatusError
	if !errors.As(err, &se) || se.Snippet != withheld {
		t.Errorf("err = %v, want the snippet withheld", err)
	}
}
