package client

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"

	"github.com/autosync-go/autosync/csvspec"
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

func TestRequestShape(t *testing.T) {
	const ua = "autosync-go/" + Version + " (+https://github.com/autosync-go/autosync)"
	part := func(content string) []capturedPart {
		return []capturedPart{{FormName: "file", FileName: "user-groups.csv", ContentType: "text/csv", Content: content}}
	}
	tests := []struct {
		name   string
		base   string
		opts   []Option
		call   func(*Client) error
		want   captured
		length bool // whether Content-Length is known
	}{
		{
			name: "seekable body, no tenant",
			base: "https://school.example",
			opts: []Option{WithBasicAuth("autoimport", "pw")},
			call: func(c *Client) error {
				_, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
				return err
			},
			want:   captured{Method: "POST", URL: "https://school.example/api/import/userGroups", Accept: "application/json", UserAgent: ua, Auth: "Basic YXV0b2ltcG9ydDpwdw==", MediaType: "multipart/form-data", Parts: part(sampleCSV)},
			length: true,
		},
		{
			name: "tenant, path prefix, user agent, plain reader",
			base: "https://proxy.example/infiniti/",
			opts: []Option{WithTenant("st marys&co"), WithUserAgent("acme-sms/2.1"), WithBasicAuth("autoimport", "pw")},
			call: func(c *Client) error {
				_, err := c.ImportUserGroups(context.Background(), onlyReader{strings.NewReader(sampleCSV)})
				return err
			},
			want: captured{Method: "POST", URL: "https://proxy.example/infiniti/api/import/userGroups?tenantId=st+marys%26co", Accept: "application/json", UserAgent: "acme-sms/2.1 " + ua, Auth: "Basic YXV0b2ltcG9ydDpwdw==", MediaType: "multipart/form-data", Parts: part(sampleCSV)},
		},
		{
			name: "rows the client encodes",
			base: "https://school.example",
			call: func(c *Client) error {
				rows := []csvspec.UserGroup{{Username: "a,b", LibraryGroup: `"Q"`, SystemGroup: "Students"}}
				_, err := c.ImportUserGroupRows(context.Background(), slices.Values(rows))
				return err
			},
			want: captured{Method: "POST", URL: "https://school.example/api/import/userGroups", Accept: "application/json", UserAgent: ua, MediaType: "multipart/form-data",
				Parts: part("username,library-group,system-group\n\"a,b\",\"\"\"Q\"\"\",Students\n")},
		},
		{
			name: "generic import path",
			base: "https://school.example",
			call: func(c *Client) error {
				_, err := c.Import(context.Background(), "/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts", strings.NewReader("username,type\n"))
				return err
			},
			want: captured{Method: "POST", URL: "https://school.example/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts", Accept: "application/json", UserAgent: ua, MediaType: "multipart/form-data",
				Parts: []capturedPart{{FormName: "file", FileName: "import.csv", ContentType: "text/csv", Content: "username,type\n"}}},
			length: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt, _ := mockClient(t, tt.base, tt.opts...)
			var got []captured
			var lengths []int64
			mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
				body, _ := io.ReadAll(r.Body)
				lengths = append(lengths, int64(len(body)))
				r.Body = io.NopCloser(strings.NewReader(string(body)))
				got = append(got, capture(t, r))
				return httpmock.NewStringResponse(200, okJSON), nil
			})
			if err := tt.call(c); err != nil {
				t.Fatal(collectErr(err))
			}
			if len(got) != 1 {
				t.Fatalf("%d requests", len(got))
			}
			wantLen := int64(0)
			if tt.length {
				wantLen = lengths[0]
			}
			tt.want.ContentLength = wantLen
			if diff := cmp.Diff(tt.want, got[0]); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatusMapping(t *testing.T) {
	tests := []struct {
		status   int
		body     string
		header   http.Header
		wantIs   error
		calls    int
		retryAft time.Duration
	}{
		{status: 400, body: "bad", calls: 1},
		{status: 401, body: "no", wantIs: ErrUnauthorized, calls: 1},
		{status: 403, wantIs: ErrForbidden, calls: 1},
		{status: 404, wantIs: ErrNotFound, calls: 1},
		{status: 405, calls: 1},
		{status: 409, calls: 1},
		{status: 413, wantIs: ErrTooLarge, calls: 1},
		{status: 429, header: http.Header{"Retry-After": {"2"}}, calls: 3, retryAft: 2 * time.Second},
		{status: 500, calls: 1},
		{status: 501, calls: 1},
		{status: 502, calls: 3},
		{status: 503, header: http.Header{"Retry-After": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}, calls: 3, retryAft: time.Hour},
		{status: 504, calls: 3},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			c, mt, _ := mockClient(t, "https://school.example")
			resp := httpmock.NewStringResponder(tt.status, tt.body)
			if tt.header != nil {
				resp = resp.HeaderSet(tt.header)
			}
			mt.RegisterResponder("POST", "https://school.example/api/import/userGroups", resp)
			res, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			collectErr(err)
			var se *StatusError
			if !errors.As(err, &se) || res != nil {
				t.Fatalf("err = %v, res %v; want a *StatusError", err, res)
			}
			if se.StatusCode != tt.status || se.Attempts != tt.calls || se.Snippet != tt.body {
				t.Errorf("StatusError %+v, want status %d, %d attempts, snippet %q", se, tt.status, tt.calls, tt.body)
			}
			if d := se.RetryAfter - tt.retryAft; d < -2*time.Second || d > 0 {
				t.Errorf("RetryAfter %v, want about %v", se.RetryAfter, tt.retryAft)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(err, %v) = false", tt.wantIs)
			}
			for _, s := range []error{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrTooLarge} {
				if s != tt.wantIs && errors.Is(err, s) {
					t.Errorf("errors.Is(err, %v) = true", s)
				}
			}
			if got := mt.GetTotalCallCount(); got != tt.calls {
				t.Errorf("%d calls, want %d", got, tt.calls)
			}
		})
	}
}

// A transport error is retried only when the transport had not taken the
// whole body (review 1, finding 5): once it had, Infiniti may have
// processed the file. The error shows the transport's text but does not
// unwrap to the transport's own error (finding 8), only to values such as
// a syscall.Errno.
func TestTransportErrors(t *testing.T) {
	boom := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	tests := []struct {
		name  string
		body  func() io.Reader
		read  int // bytes the failing transport reads first; -1 for all
		calls int
		note  string
	}{
		{"seekable, nothing read", func() io.Reader { return strings.NewReader(sampleCSV) }, 0, 3, ""},
		{"seekable, part read", func() io.Reader { return strings.NewReader(sampleCSV) }, 10, 3, ""},
		{"seekable, body read", func() io.Reader { return strings.NewReader(sampleCSV) }, -1, 1, "not retried: the whole file had been handed to the connection"},
		{"plain reader, nothing read", func() io.Reader { return onlyReader{strings.NewReader(sampleCSV)} }, 0, 3, ""},
		{"plain reader, part read", func() io.Reader { return onlyReader{strings.NewReader(sampleCSV)} }, 300, 1, "not retried: part of the CSV was already sent"},
		{"plain reader, body read", func() io.Reader { return onlyReader{strings.NewReader(sampleCSV)} }, -1, 1, "not retried: the whole file had been handed to the connection"},
		{"rows, body read", nil, -1, 1, "not retried: the whole file had been handed to the connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt, w := mockClient(t, "https://school.example")
			mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
				switch {
				case tt.read < 0:
					_, _ = io.ReadAll(r.Body)
				case tt.read > 0:
					_, _ = io.ReadFull(r.Body, make([]byte, tt.read))
				}
				return nil, boom
			})
			var err error
			if tt.body == nil {
				_, err = c.ImportUserGroupRows(context.Background(), slices.Values([]csvspec.UserGroup{{Username: "jsmith"}}))
			} else {
				_, err = c.ImportUserGroups(context.Background(), tt.body())
			}
			collectErr(err)
			if err == nil || !strings.Contains(err.Error(), "connection reset by peer") {
				t.Fatalf("err = %v, want it to say what the transport said", err)
			}
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("errors.Is(err, ECONNRESET) = false for %v", err)
			}
			var oe *net.OpError
			var ue *url.Error
			if errors.As(err, &oe) || errors.As(err, &ue) {
				t.Errorf("err = %v unwraps to the transport's own error", err)
			}
			if got := mt.GetTotalCallCount(); got != tt.calls {
				t.Errorf("%d calls, want %d (waits %v)", got, tt.calls, w.get())
			}
			if !strings.Contains(err.Error(), tt.note) {
				t.Errorf("err = %v, want it to say %q", err, tt.note)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	c, _ := newClient(t, "https://school.example", WithRetry(RetryPolicy{MaxRetries: 6, InitialWait: 100 * time.Millisecond, MaxWait: time.Second, MaxRetryAfter: 3 * time.Second}))
	var got []time.Duration
	for attempt := 1; attempt <= 6; attempt++ {
		got = append(got, c.backoff(attempt, 0))
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
	if got := c.backoff(1, 10*time.Second); got != 3*time.Second {
		t.Errorf("Retry-After 10s gave %v, want the 3s cap", got)
	}
	for range 100 {
		if d := jitter(time.Second); d < 500*time.Millisecond || d >= time.Second {
			t.Fatalf("jitter(1s) = %v, want within [500ms, 1s)", d)
		}
	}
}

func TestRetryAfterParsing(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"12", 12 * time.Second},
		{" 3 ", 3 * time.Second},
		{"-5", 0},
		{"soon", 0},
		{"99999999", 24 * time.Hour},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		base    string
		opts    []Option
		wantErr string // "" for success
	}{
		{name: "https", base: "https://school.concordinfiniti.com"},
		{name: "https with port and prefix", base: "https://school.example:8443/infiniti/"},
		{name: "upper-case scheme", base: "HTTPS://school.example"},
		{name: "http loopback", base: "http://127.0.0.1:8080"},
		{name: "http localhost", base: "http://localhost:8080"},
		{name: "http ::1", base: "http://[::1]:8080"},
		{name: "http with the insecure option", base: "http://192.0.2.10", opts: []Option{WithInsecurePlainHTTP()}},
		{name: "plain http to a school", base: "http://school.concordinfiniti.com", wantErr: "plain http to school.concordinfiniti.com"},
		{name: "ftp", base: "ftp://school.example", wantErr: "does not start with https://"},
		{name: "no scheme", base: "school.concordinfiniti.com", wantErr: "has no scheme"},
		{name: "no host", base: "https:///api", wantErr: "no host"},
		{name: "query", base: "https://school.example/?tenantId=x", wantErr: "WithTenant"},
		{name: "fragment", base: "https://school.example/#x", wantErr: "fragment"},
		{name: "unparseable, password in it", base: "https://autoimport:hunter2^@&$/x@school.example", wantErr: "does not parse"},
		{name: "unparseable port, password in it", base: "https://autoimport:hunter2^@&$@school.example:pw/", wantErr: "does not parse"},
		{name: "credentials twice", base: "https://a:b@school.example", opts: []Option{WithBasicAuth("a", "b")}, wantErr: "given twice"},
		{name: "empty username", base: "https://school.example", opts: []Option{WithBasicAuth("", "pw")}, wantErr: "username is empty"},
		{name: "colon in username", base: "https://school.example", opts: []Option{WithBasicAuth("a:b", "pw")}, wantErr: "contains ':'"},
		{name: "empty tenant", base: "https://school.example", opts: []Option{WithTenant(" ")}, wantErr: "tenant is empty"},
		{name: "nil http client", base: "https://school.example", opts: []Option{WithHTTPClient(nil)}, wantErr: "nil"},
		{name: "empty user agent", base: "https://school.example", opts: []Option{WithUserAgent("")}, wantErr: "product name is empty"},
		{name: "user agent with newline", base: "https://school.example", opts: []Option{WithUserAgent("a\nb")}, wantErr: "control characters"},
		{name: "nil progress", base: "https://school.example", opts: []Option{WithProgress(nil)}, wantErr: "nil"},
		{name: "negative retries", base: "https://school.example", opts: []Option{WithRetry(RetryPolicy{MaxRetries: -1})}, wantErr: "negative"},
		{name: "zero response bound", base: "https://school.example", opts: []Option{WithMaxResponseBytes(0)}, wantErr: "not a positive"},
		{name: "nil option", base: "https://school.example", opts: []Option{nil}},
		{name: "root CAs without a certificate", base: "https://school.example", opts: []Option{WithRootCAs([]byte("not a certificate"))}, wantErr: "no PEM certificate"},
		{name: "root CAs and an HTTP client", base: "https://school.example", opts: []Option{WithRootCAs(testCertPEM), WithHTTPClient(http.DefaultClient)}, wantErr: "both given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.base, tt.opts...)
			collectErr(err)
			if tt.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// testCertPEM is a self-signed certificate, for option validation only.
var testCertPEM = func() []byte {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}()

func TestImportArguments(t *testing.T) {
	c, mt, _ := mockClient(t, "https://school.example")
	mt.RegisterNoResponder(httpmock.NewStringResponder(200, okJSON))
	tests := []struct {
		name    string
		call    func() error
		wantErr string
	}{
		{"nil reader", func() error { _, err := c.ImportUserGroups(context.Background(), nil); return err }, "reader is nil"},
		{"nil rows", func() error { _, err := c.ImportUserGroupRows(context.Background(), nil); return err }, "rows are nil"},
		{"relative path", func() error {
			_, err := c.Import(context.Background(), "api/import/x", strings.NewReader(""))
			return err
		}, "must start with /"},
		{"query in path", func() error {
			_, err := c.Import(context.Background(), "/api/import/x?tenantId=1", strings.NewReader(""))
			return err
		}, "query"},
		{"dot dot", func() error {
			_, err := c.Import(context.Background(), "/api/../admin", strings.NewReader(""))
			return err
		}, ".. segment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := collectErr(tt.call()); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests sent for bad arguments", n)
	}
}

func TestSnippetRedaction(t *testing.T) {
	long := strings.Repeat("x", 1000)
	longPassword := strings.Repeat("Lx9#", 2600) // 10,400 bytes: longer than the part of a body looked at before
	tests := []struct{ name, password, body, want string }{
		{"echo withheld whole", trickyPassword, "<html>Login failed for autoimport with password " + trickyPassword + " (Authorization: Basic " +
			"YXV0b2ltcG9ydDpwXkAmJDovPyMlMjAgw7HigqzDvCIn" + ")</html>", withheld},
		{"base64 only", trickyPassword, "<pre>Authorization: Basic YXV0b2ltcG9ydDpwXkAmJDovPyMlMjAgw7HigqzDvCIn</pre>", withheld},
		{"no echo", trickyPassword, "<html>Login failed for autoimport</html>", "<html>Login failed for autoimport</html>"},
		{"cut", trickyPassword, long, long[:maxFragment] + "…"},
		// Review 1, nit: a password longer than the part looked at used
		// to show its first 300 bytes.
		{"a long password opening the body", longPassword, longPassword + " was wrong", withheld},
		{"a long password, percent-encoded", longPassword, url.QueryEscape(longPassword) + " was wrong", withheld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt, _ := mockClient(t, "https://school.example", WithBasicAuth("autoimport", tt.password))
			mt.RegisterNoResponder(httpmock.NewStringResponder(500, tt.body))
			_, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			collectErr(err)
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v", err)
			}
			if diff := cmp.Diff(tt.want, se.Snippet); diff != "" {
				t.Errorf("snippet (-want +got):\n%s", diff)
			}
		})
	}
}
