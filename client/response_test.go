package client

import (
	"context"
	"crypto/tls"
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
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/result"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jarcoal/httpmock"
)

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

// Items 8 and 3: every error string built from server text is one line,
// with control characters escaped, whatever the server sends.
func TestServerTextOneLine(t *testing.T) {
	const nasty = "line one\nline two\r\x1b[31mred\x1b[0m \u0085 \u2028 \u202eevil \xff\xfe tab\tend"
	tests := []struct {
		name    string
		respond httpmock.Responder
	}{
		{"failed summary", httpmock.NewStringResponder(200, mustJSON(map[string]any{"success": false, "summary": nasty}))},
		{"Unauthorised summary", httpmock.NewStringResponder(200, mustJSON(map[string]any{"success": false, "summary": "Unauthorised.\n" + nasty}))},
		{"detail message", httpmock.NewStringResponder(200, mustJSON(map[string]any{"success": false, "summary": "1 user failed.", "details": map[string]string{"1": nasty}}))},
		{"non-JSON body", httpmock.NewStringResponder(500, "<html>\n"+nasty+"</html>")},
		{"non-JSON 200", httpmock.NewStringResponder(200, nasty)},
		{"Location", func(*http.Request) (*http.Response, error) {
			r := httpmock.NewStringResponse(302, "")
			r.Header.Set("Location", "https://sso.example/"+url.PathEscape(nasty))
			return r, nil
		}},
		{"transport error", httpmock.NewErrorResponder(errors.New(nasty))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logBuf lockedBuffer
			c, mt, _ := mockClient(t, "https://school.example", WithLogger(slogText(&logBuf)), WithRetry(RetryPolicy{}))
			mt.RegisterNoResponder(tt.respond)
			_, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			collectErr(err)
			if err == nil {
				t.Fatal("no error")
			}
			if !isOneLine(err.Error()) {
				t.Errorf("not one line: %q", err.Error())
			}
			if lines := strings.Count(logBuf.String(), "\n"); lines != 2 {
				t.Errorf("%d log lines, want 2:\n%s", lines, logBuf.String())
			}
		})
	}
}

// The errors' wording: a key fragment of each main error path, each with
// one "client: " prefix.
func TestErrorStrings(t *testing.T) {
	tests := []struct {
		name     string
		opts     []Option
		body     func() io.Reader
		respond  httpmock.Responder
		ctx      func() context.Context
		want     string
		wantOpts []error
	}{
		{
			name:    "401",
			respond: httpmock.NewStringResponder(401, "no"),
			want:    `: 401 Unauthorized; body: "no"`,
		},
		{
			name:    "401 with a non-ASCII password",
			opts:    []Option{WithBasicAuth("autoimport", nonASCIIPassword)},
			respond: httpmock.NewStringResponder(401, ""),
			want:    "401 Unauthorized",
		},
		{
			name:    "Unauthorised result, Latin-1",
			opts:    []Option{WithBasicAuth("autoimport", nonASCIIPassword), WithAuthCharset(AuthLatin1)},
			respond: httpmock.NewStringResponder(200, `{"success":false,"summary":"Unauthorised. Check credentials."}`),
			want:    `: infiniti refused the credentials: "Unauthorised. Check credentials."`,
		},
		{
			name:    "403",
			respond: httpmock.NewStringResponder(403, ""),
			want:    ": 403 Forbidden",
		},
		{
			name:    "404",
			respond: httpmock.NewStringResponder(404, "<h1>Not Found</h1>"),
			want:    `: 404 Not Found; body: "<h1>Not Found</h1>"`,
		},
		{
			name:    "503 exhausting retries",
			respond: httpmock.NewStringResponder(503, "").HeaderSet(http.Header{"Retry-After": {"2"}}),
			want:    ": 503 Service Unavailable after 3 attempts (Retry-After 2s)",
		},
		{
			name: "503, plain reader read, not retried",
			body: func() io.Reader { return onlyReader{strings.NewReader(sampleCSV)} },
			respond: func(r *http.Request) (*http.Response, error) {
				io.Copy(io.Discard, r.Body)
				return httpmock.NewStringResponse(503, ""), nil
			},
			want: ": 503 Service Unavailable",
		},
		{
			name: "connection failure, plain reader partly read, not retried",
			body: func() io.Reader { return onlyReader{strings.NewReader(sampleCSV)} },
			respond: func(r *http.Request) (*http.Response, error) {
				io.ReadFull(r.Body, make([]byte, 250))
				return nil, errors.New("connection reset by peer")
			},
			want: ": the connection failed",
		},
		{
			name: "connection failure after the whole body, not retried",
			respond: func(r *http.Request) (*http.Response, error) {
				io.Copy(io.Discard, r.Body)
				return nil, errors.New("connection reset by peer")
			},
			want: ": the whole file was handed over, then the connection failed",
		},
		{
			name: "the caller's reader fails",
			body: func() io.Reader {
				return io.MultiReader(strings.NewReader("username"), iotest.ErrReader(errors.New("export database offline")))
			},
			respond: func(r *http.Request) (*http.Response, error) {
				_, err := io.Copy(io.Discard, r.Body)
				return nil, err
			},
			want: ": reading the CSV: export database offline",
		},
		{
			name:    "a server text that echoes the password",
			opts:    []Option{WithBasicAuth("autoimport", "Spring2024/library")},
			respond: httpmock.NewStringResponder(500, `{"error":"bad password Spring2024\/library"}`),
			want:    `: 500 Internal Server Error; body: "(withheld: it echoed the credentials)"`,
		},
		{
			name:    "a result with failed rows on a 422",
			respond: httpmock.NewStringResponder(422, `{"success":false,"summary":"1 user failed.","details":{"1":"User failed to import"}}`),
			want:    `: 422 Unprocessable Entity: infiniti import failed: "1 user failed."; row 1: "User failed to import"`,
		},
		{
			name:    "connection failure exhausting retries",
			respond: httpmock.NewErrorResponder(errors.New("connection refused")),
			want:    "(after 3 attempts)",
		},
		{
			name: "redirect",
			respond: func(*http.Request) (*http.Response, error) {
				r := httpmock.NewStringResponse(301, "")
				r.Header.Set("Location", "https://other.example/x?y=z")
				return r, nil
			},
			want: `client: redirected (301 Moved Permanently) to "https://other.example/x"`,
		},
		{
			name:    "rows failed",
			respond: httpmock.NewStringResponder(200, `{"success":false,"summary":"2 users processed. 1 user created. 0 users updated. 1 user failed.","details":{"2":"User failed to import: x"}}`),
			want:    `: infiniti import failed: "2 users processed. 1 user created. 0 users updated. 1 user failed."`,
		},
		{
			name:    "non-JSON 200",
			respond: httpmock.NewStringResponder(200, "<html><title>Sign in</title></html>"),
			want:    ": 200 OK: not an Infiniti import result (the body is not JSON",
		},
		{
			name:    "response too large",
			opts:    []Option{WithMaxResponseBytes(10)},
			respond: httpmock.NewStringResponder(200, okJSON),
			want:    ": the response is larger than the client reads: more than 10 bytes",
		},
		{
			name: "context cancelled",
			respond: func(r *http.Request) (*http.Response, error) {
				if err := r.Context().Err(); err != nil {
					return nil, err
				}
				return httpmock.NewStringResponse(200, okJSON), nil
			},
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			want: ": cancelled",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt, _ := mockClient(t, "https://school.example", tt.opts...)
			mt.RegisterNoResponder(tt.respond)
			body := io.Reader(strings.NewReader(sampleCSV))
			if tt.body != nil {
				body = tt.body()
			}
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			_, err := c.ImportUserGroups(ctx, body)
			collectErr(err)
			if err == nil {
				t.Fatal("no error")
			}
			if got := err.Error(); !strings.Contains(got, tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", got, tt.want)
			}
			if n := strings.Count(err.Error(), "client: "); n != 1 {
				t.Errorf("%d times \"client: \" in %q", n, err.Error())
			}
		})
	}
}

func TestFaults(t *testing.T) {
	ok := clienttest.Fault{} // no fault: the fake processes the upload
	jsonBody := func(status int, body string) clienttest.Fault {
		return clienttest.Fault{Status: status, Body: body, ContentType: "application/json"}
	}
	tests := []struct {
		name     string
		faults   []clienttest.Fault // one per request, in order
		body     func() io.Reader   // default: a seekable sampleCSV
		opts     []Option
		wantIs   []error
		wantCode int             // StatusError.StatusCode, 0 if not a *StatusError
		wantRes  bool            // whether a *result.Result comes back
		requests int             // requests the server received
		waits    []time.Duration // waits between attempts
		snippet  string          // in StatusError.Snippet
	}{
		{
			name:     "401",
			faults:   []clienttest.Fault{{Status: 401, Body: "Unauthorized"}},
			wantIs:   []error{ErrUnauthorized},
			wantCode: 401,
			requests: 1,
		},
		{
			name:     "200 with Unauthorised",
			faults:   []clienttest.Fault{jsonBody(200, `{"success": false, "summary":"Unauthorised. Check credentials."}`)},
			wantIs:   []error{ErrUnauthorized},
			wantRes:  true,
			requests: 1,
		},
		{
			name:     "403",
			faults:   []clienttest.Fault{{Status: 403}},
			wantIs:   []error{ErrForbidden},
			wantCode: 403,
			requests: 1,
		},
		{
			name:     "404",
			faults:   []clienttest.Fault{{Status: 404, Body: "<html>Not Found</html>"}},
			wantIs:   []error{ErrNotFound},
			wantCode: 404,
			requests: 1,
			snippet:  "<html>Not Found</html>",
		},
		{
			name:     "413",
			faults:   []clienttest.Fault{{Status: 413}},
			wantIs:   []error{ErrTooLarge},
			wantCode: 413,
			requests: 1,
		},
		{
			name:     "429 with Retry-After",
			faults:   []clienttest.Fault{{Status: 429, RetryAfter: "7"}, ok},
			wantRes:  true,
			requests: 2,
			waits:    []time.Duration{7 * time.Second},
		},
		{
			name:     "429 with a Retry-After past the cap",
			faults:   []clienttest.Fault{{Status: 429, RetryAfter: "3600"}, ok},
			wantRes:  true,
			requests: 2,
			waits:    []time.Duration{30 * time.Second},
		},
		{
			name:     "500 with an HTML body",
			faults:   []clienttest.Fault{{Status: 500, Body: "<html><body>Internal Server Error</body></html>", ContentType: "text/html"}},
			wantCode: 500,
			requests: 1,
			snippet:  "<html><body>Internal Server Error</body></html>",
		},
		{
			name:     "502 then success",
			faults:   []clienttest.Fault{{Status: 502}, ok},
			wantRes:  true,
			requests: 2,
			waits:    []time.Duration{500 * time.Millisecond},
		},
		{
			name:     "503 then success",
			faults:   []clienttest.Fault{{Status: 503}, ok},
			wantRes:  true,
			requests: 2,
			waits:    []time.Duration{500 * time.Millisecond},
		},
		{
			name:     "504 exhausting retries",
			faults:   []clienttest.Fault{{Status: 504}, {Status: 504}, {Status: 504}, {Status: 504}},
			wantCode: 504,
			requests: 3,
			waits:    []time.Duration{500 * time.Millisecond, time.Second},
		},
		{
			name:     "504 with no retries allowed",
			faults:   []clienttest.Fault{{Status: 504}, ok},
			opts:     []Option{WithRetry(RetryPolicy{MaxRetries: 0})},
			wantCode: 504,
			requests: 1,
		},
		{
			name:     "connection dropped mid-upload, seekable body",
			faults:   []clienttest.Fault{{DropConnection: true}, jsonBody(200, okJSON)},
			body:     func() io.Reader { return strings.NewReader(bigCSV()) },
			wantRes:  true,
			requests: 2,
			waits:    []time.Duration{500 * time.Millisecond},
		},
		{
			name:     "connection dropped mid-upload, rows the client encodes",
			faults:   []clienttest.Fault{{DropConnection: true}, jsonBody(200, okJSON)},
			body:     nil, // see the rows test below
			wantRes:  true,
			requests: 2,
			waits:    []time.Duration{500 * time.Millisecond},
		},
		{
			// Review 1, finding 5: the fake had the whole (small) upload
			// when it dropped the connection; Infiniti could have
			// processed it, so it is not sent again.
			name:     "connection dropped after the whole upload",
			faults:   []clienttest.Fault{{DropConnection: true}, ok},
			requests: 1,
		},
		{
			name:     "non-seekable body with a transport error",
			faults:   []clienttest.Fault{{DropConnection: true}, ok},
			body:     func() io.Reader { return onlyReader{strings.NewReader(bigCSV())} },
			requests: 1,
		},
		{
			name:     "truncated JSON",
			faults:   []clienttest.Fault{jsonBody(200, `{"success": true, "summary": "1 user proc`)},
			wantCode: 200,
			requests: 1,
			snippet:  `{"success": true, "summary": "1 user proc`,
		},
		{
			name:     "non-JSON 200",
			faults:   []clienttest.Fault{{Status: 200, Body: "<html><title>Sign in</title></html>", ContentType: "text/html"}},
			wantCode: 200,
			requests: 1,
			snippet:  "<title>Sign in</title>",
		},
		{
			name:     "oversized response",
			faults:   []clienttest.Fault{jsonBody(200, `{"success":true,"summary":"`+strings.Repeat("x", 500)+`"}`)},
			opts:     []Option{WithMaxResponseBytes(100)},
			wantIs:   []error{ErrResponseTooLarge},
			requests: 1,
		},
		{
			name:     "a JSON result with a 400",
			faults:   []clienttest.Fault{jsonBody(400, `{"success":false,"summary":"The CSV header is invalid."}`)},
			wantCode: 400,
			wantRes:  true,
			requests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.NewServer()
			defer srv.Close()
			for _, f := range tt.faults {
				srv.Fail(1, f)
			}
			c, w := fakeClient(t, srv, tt.opts...)
			var res *result.Result
			var err error
			if tt.body == nil && strings.Contains(tt.name, "rows") {
				res, err = c.ImportUserGroupRows(context.Background(), bigUserGroups)
			} else {
				body := io.Reader(strings.NewReader(sampleCSV))
				if tt.body != nil {
					body = tt.body()
				}
				res, err = c.ImportUserGroups(context.Background(), body)
			}
			collectErr(err)
			t.Logf("err: %v", err)
			if tt.wantRes != (res != nil) {
				t.Errorf("result = %+v, want one: %v (err %v)", res, tt.wantRes, err)
			}
			if len(tt.wantIs) == 0 && tt.wantCode == 0 && tt.wantRes && err != nil {
				t.Errorf("err = %v, want success", err)
			}
			if (tt.wantCode != 0 || len(tt.wantIs) > 0 || !tt.wantRes) && err == nil {
				t.Fatalf("no error; result %+v", res)
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
			checkStatusError(t, err, tt.wantCode, tt.requests, tt.snippet)
			if got := len(srv.Requests()); got != tt.requests {
				t.Errorf("server received %d requests, want %d", got, tt.requests)
			}
			if diff := cmp.Diff(tt.waits, w.get(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			// Every attempt sent the same bytes.
			reqs := srv.Requests()
			for i := 1; i < len(reqs); i++ {
				if reqs[0].Status == 0 {
					continue // dropped after a kilobyte: compare the complete ones
				}
				if string(reqs[i].CSV) != string(reqs[0].CSV) {
					t.Errorf("attempt %d sent %q, attempt 1 sent %q", i+1, reqs[i].CSV, reqs[0].CSV)
				}
			}
		})
	}
}

// checkStatusError checks that err is a *StatusError with code, after
// attempts, whose snippet holds snippet; or, for code 0, that it is none.
func checkStatusError(t *testing.T, err error, code, attempts int, snippet string) {
	t.Helper()
	var se *StatusError
	if errors.As(err, &se) != (code != 0) {
		t.Errorf("err = %T %v; want a *StatusError: %v", err, err, code != 0)
		return
	}
	if se == nil {
		return
	}
	if se.StatusCode != code || se.Attempts != attempts {
		t.Errorf("StatusError code %d attempts %d, want %d and %d", se.StatusCode, se.Attempts, code, attempts)
	}
	if !strings.Contains(se.Snippet, snippet) {
		t.Errorf("snippet %q does not contain %q", se.Snippet, snippet)
	}
}

func TestWrongPassword(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithAccount("autoimport", "hunter2^@&$"))
	defer srv.Close()
	c, _ := newClient(t, srv.URL, WithHTTPClient(srv.Client()), WithBasicAuth("autoimport", trickyPassword))
	res, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
	collectErr(err)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	var ie *result.ImportError
	if errors.As(err, &ie) || res == nil || !res.Unauthorized() {
		t.Errorf("want the Unauthorised result, and an error that is not an *ImportError (no rows failed); got %+v, %v", res, err)
	}
	if len(srv.Requests()) != 1 {
		t.Errorf("%d requests; bad credentials must not be retried", len(srv.Requests()))
	}
}

func TestPartialFailure(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithLibraryGroups("Year 7"), clienttest.WithSystemGroups("Students", "Staff"))
	defer srv.Close()
	c, _ := fakeClient(t, srv)
	csv := "username,library-group,system-group\njsmith,Year 7,Students\nmjones,Year 9,Staff\n"
	res, err := c.ImportUserGroups(context.Background(), strings.NewReader(csv))
	collectErr(err)
	var ie *result.ImportError
	if !errors.As(err, &ie) || ie.Result != res {
		t.Fatalf("err = %v, want one wrapping the *result.ImportError of the result", err)
	}
	want := []result.RowOutcome{{Row: 2, Status: result.StatusFailed, Message: "Field (library-group) Library group (Year 9) does not exist. User failed to import: Field (library-group) Library group (Year 9) does not exist. "}}
	if diff := cmp.Diff(want, res.Failures()); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if got := res.Failures()[0].Field(); got != "library-group" {
		t.Errorf("Field() = %q", got)
	}
	if c, ok := res.Counts(); !ok || c != (result.Counts{Processed: 2, Created: 1, Failed: 1}) {
		t.Errorf("counts %+v %v", c, ok)
	}
	wantMembers := map[string]clienttest.Membership{"jsmith": {LibraryGroups: []string{"Year 7"}, SystemGroups: []string{"Students"}}}
	if diff := cmp.Diff(wantMembers, srv.Memberships()); diff != "" {
		t.Errorf("memberships (-want +got):\n%s", diff)
	}
	if len(srv.Requests()) != 1 {
		t.Errorf("a processed import must not be retried")
	}
}

func TestRedirects(t *testing.T) {
	var otherHits atomic.Int32
	var otherAuth atomic.Value
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		otherAuth.Store(r.Header.Get("Authorization"))
		io.WriteString(w, `{"success":true,"summary":"0 users processed. 0 users created. 0 users updated. 0 users failed."}`)
	}))
	defer other.Close()
	srv := clienttest.NewServer()
	defer srv.Close()
	tests := []struct {
		name     string
		status   int
		location string
		want     string // RedirectError.Location
	}{
		{"same host", http.StatusFound, srv.URL + "/infiniti/api/import/userGroups", srv.URL + "/infiniti/api/import/userGroups"},
		{"other host", http.StatusTemporaryRedirect, other.URL + "/api/import/userGroups?x=1#top", other.URL + "/api/import/userGroups"},
		{"other host with credentials in Location", http.StatusPermanentRedirect, strings.Replace(other.URL, "https://", "https://autoimport:hunter2^@&$@", 1), other.URL},
		{"password in the query", http.StatusFound, other.URL + "/login?u=autoimport&p=" + url.QueryEscape(clienttest.DefaultPassword), other.URL + "/login"},
		{"password in the path", http.StatusFound, other.URL + "/sso/" + url.PathEscape(clienttest.DefaultPassword) + "/x", withheld},
		{"Authorization in the path", http.StatusFound, other.URL + "/sso/" + base64.StdEncoding.EncodeToString([]byte(clienttest.DefaultUsername+":"+clienttest.DefaultPassword)), withheld},
		{"relative", http.StatusSeeOther, "/login?next=%2Fapi", "/login"},
		{"not a URL", http.StatusFound, "https://exa mple.com/x", "(a Location that is not a valid URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Fail(1, clienttest.Fault{Status: tt.status, Location: tt.location})
			c, w := fakeClient(t, srv)
			before := len(srv.Requests())
			res, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			collectErr(err)
			var re *RedirectError
			if !errors.As(err, &re) || res != nil {
				t.Fatalf("err = %v, res %+v; want a *RedirectError", err, res)
			}
			if re.StatusCode != tt.status || re.Location != tt.want {
				t.Errorf("RedirectError %+v, want status %d and location %q", re, tt.status, tt.want)
			}
			if !strings.Contains(err.Error(), "redirects are not followed") {
				t.Errorf("error does not say what happened: %v", err)
			}
			if got := len(srv.Requests()) - before; got != 1 || len(w.get()) != 0 {
				t.Errorf("%d requests, %d waits: a redirect must not be retried", got, len(w.get()))
			}
		})
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the other host received %d requests (Authorization %q)", n, otherAuth.Load())
	}
}

// A 2xx whose body is cut off: Infiniti processed the file, so the import
// is not sent again; the error says the result was lost.
func TestResponseCutOff(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, `{"success":true,`)
	}))
	defer srv.Close()
	c, w := newClient(t, srv.URL)
	res, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
	collectErr(err)
	if err == nil || res != nil || !strings.Contains(err.Error(), "reading the body failed") {
		t.Fatalf("err = %v, res %+v; want a read error", err, res)
	}
	if hits.Load() != 1 || len(w.get()) != 0 {
		t.Errorf("%d requests, waits %v: a 2xx must not be retried", hits.Load(), w.get())
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

// A connection error is a short fact, without Go's wording, and matches
// what a caller may test for.
func TestConnError(t *testing.T) {
	c, _ := newClient(t, "https://school.example")
	tests := []struct {
		name string
		err  error
		want string
		is   error // nil: nothing in particular
	}{
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "connection refused", syscall.ECONNREFUSED},
		{"dial, other", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("some internal text")}, "the connection could not be made", nil},
		{"no such host", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "school.example", Err: "no such host", IsNotFound: true}}, "the host school.example was not found", nil},
		{"eof", fmt.Errorf("read: %w", io.EOF), "the server closed the connection", io.EOF},
		{"handshake", &net.OpError{Op: "remote error", Err: tls.AlertError(40)}, "the TLS handshake failed", nil},
		{"unknown", errors.New("net/http: something internal"), "the connection failed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := (&call{Client: c}).connError(tt.err)
			if ce.Error() != tt.want {
				t.Errorf("connError = %q, want %q", ce.Error(), tt.want)
			}
			if tt.is != nil && !errors.Is(ce, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", ce, tt.is)
			}
		})
	}
}

// A server that answers before it read the whole upload (a 401 to a large
// file) still gives its status, whatever becomes of the rest of the upload:
// read to the end, or left unread on a connection closed at once.
func TestEarlyAnswer(t *testing.T) {
	tests := []struct {
		name   string
		server func(t *testing.T) string
	}{
		{name: "the rest is read", server: func(t *testing.T) string {
			url, _ := earlyServer(t, 0, http.StatusUnauthorized, "no")
			return url
		}},
		{name: "the connection is closed with the rest unread", server: func(t *testing.T) string {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// The Go server answers, then closes the connection with the
				// rest unread, after half a second; hangUp, which closes at
				// once, makes the kernel reset the connection, which may
				// destroy the answer before the client reads it.
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, "no")
			}))
			t.Cleanup(srv.Close)
			return srv.URL
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // the Go server waits half a second
			c, _ := newClient(t, tt.server(t))
			big := strings.NewReader(strings.Repeat("jsmith,Year 7,Students\n", 1<<20/2)) // about 12 MB
			_, err := c.ImportUserGroups(context.Background(), big)
			collectErr(err)
			var se *StatusError
			if !errors.Is(err, ErrUnauthorized) || !errors.As(err, &se) || se.StatusCode != http.StatusUnauthorized {
				t.Fatalf("err = %v, want a 401 StatusError", err)
			}
		})
	}
}

// cancelReader gives one chunk of a body, then ends the request's context
// and fails with its error, as a body read cut short by a cancel does.
type cancelReader struct {
	chunk  string
	cancel context.CancelFunc
	ctx    context.Context
	read   bool
}

func (r *cancelReader) Read(p []byte) (int, error) {
	if !r.read {
		r.read = true
		return copy(p, r.chunk), nil
	}
	r.cancel()
	<-r.ctx.Done()
	return 0, r.ctx.Err()
}

func (r *cancelReader) Close() error { return nil }

// A context cancelled while the body of any status is read is the
// context's error, for errors.Is.
func TestCancelledWhileReadingBody(t *testing.T) {
	for _, code := range []int{200, 500} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c, mt, _ := mockClient(t, "https://school.example", WithRetry(RetryPolicy{}))
			mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
				_, _ = io.Copy(io.Discard, req.Body)
				resp := httpmock.NewStringResponse(code, "")
				resp.Body = &cancelReader{chunk: `{"success":false,`, cancel: cancel, ctx: req.Context()}
				return resp, nil
			})
			_, err := c.ImportUserGroups(ctx, strings.NewReader(sampleCSV))
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", collectErr(err))
			}
		})
	}
}
