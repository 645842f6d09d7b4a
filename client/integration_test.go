package client

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
)

// bigCSV is a valid file larger than the kilobyte the fake reads before it
// drops a connection.
var bigCSV = func() string {
	var b strings.Builder
	b.WriteString("username,library-group,system-group\n")
	for i := range 200 {
		fmt.Fprintf(&b, "user%03d,Year 7,Students\n", i)
	}
	return b.String()
}()

// onlyReader hides every method but Read, so the client cannot seek.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

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
			faults:   []clienttest.Fault{{DropConnection: true}, ok},
			body:     func() io.Reader { return strings.NewReader(bigCSV) },
			wantRes:  true,
			requests: 2,
			waits:    []time.Duration{500 * time.Millisecond},
		},
		{
			name:     "connection dropped mid-upload, rows the client encodes",
			faults:   []clienttest.Fault{{DropConnection: true}, ok},
			body:     nil, // see the rows test below
			wantRes:  true,
			requests: 2,
			waits:    []time.Duration{500 * time.Millisecond},
		},
		{
			name:     "non-seekable body with a transport error",
			faults:   []clienttest.Fault{{DropConnection: true}, ok},
			body:     func() io.Reader { return onlyReader{strings.NewReader(bigCSV)} },
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
				rows := []csvspec.UserGroup{{Username: "jsmith", LibraryGroup: "Year 7", SystemGroup: strings.Repeat("S", 2000)}}
				res, err = c.ImportUserGroupRows(context.Background(), slices.Values(rows))
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
			var se *StatusError
			if errors.As(err, &se) != (tt.wantCode != 0) {
				t.Errorf("err = %T %v; want a *StatusError: %v", err, err, tt.wantCode != 0)
			} else if se != nil {
				if se.StatusCode != tt.wantCode || se.Attempts != tt.requests {
					t.Errorf("StatusError code %d attempts %d, want %d and %d", se.StatusCode, se.Attempts, tt.wantCode, tt.requests)
				}
				if !strings.Contains(se.Snippet, tt.snippet) {
					t.Errorf("snippet %q does not contain %q", se.Snippet, tt.snippet)
				}
			}
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

func TestRetrySendsSameBytes(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	srv.Fail(1, clienttest.Fault{Status: 503})
	c, _ := fakeClient(t, srv)
	res, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
	if err != nil {
		t.Fatal(collectErr(err))
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for i, r := range reqs {
		if string(r.CSV) != sampleCSV {
			t.Errorf("attempt %d sent %q, want %q", i+1, r.CSV, sampleCSV)
		}
	}
	if want := "2 users processed. 2 users created. 0 users updated. 0 users failed."; res.Summary != want {
		t.Errorf("summary %q, want %q", res.Summary, want)
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

func TestTrickyPassword(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithAccount("autoimport", trickyPassword))
	defer srv.Close()
	tests := []struct {
		name string
		base string
		opts []Option
	}{
		{"WithBasicAuth", srv.URL, []Option{WithBasicAuth("autoimport", trickyPassword)}},
		{"curl-style URL", strings.Replace(srv.URL, "https://", "https://autoimport:"+percentEncode(trickyPassword)+"@", 1), nil},
		{"curl-style URL, path escaping", strings.Replace(srv.URL, "https://", "https://"+url.UserPassword("autoimport", trickyPassword).String()+"@", 1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newClient(t, tt.base, append(tt.opts, WithHTTPClient(srv.Client()))...)
			if c.base.User != nil || strings.Contains(c.base.String(), "autoimport") {
				t.Errorf("credentials left in the base URL %q", c.base.Redacted())
			}
			if _, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV)); err != nil {
				t.Fatalf("import: %v", collectErr(err))
			}
			reqs := srv.Requests()
			last := reqs[len(reqs)-1]
			if !last.Authorized || last.Username != "autoimport" {
				t.Errorf("server saw username %q authorized %v", last.Username, last.Authorized)
			}
		})
	}
}

func TestEmptyCSV(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	c, _ := fakeClient(t, srv)
	for _, body := range []io.Reader{strings.NewReader(""), onlyReader{strings.NewReader("")}} {
		res, err := c.ImportUserGroups(context.Background(), body)
		if err != nil {
			t.Fatal(collectErr(err))
		}
		if want := (&result.Result{Success: true, Summary: "0 users processed. 0 users created. 0 users updated. 0 users failed."}); !cmp.Equal(want, res) {
			t.Errorf("result %+v, want %+v", res, want)
		}
	}
	for _, r := range srv.Requests() {
		if r.CSVSize != 0 || r.FileName != "user-groups.csv" {
			t.Errorf("request %+v, want an empty user-groups.csv part", r)
		}
	}
}

// A pipe is an *os.File, an io.Seeker that cannot seek: it must be sent
// as a plain reader, not refused.
func TestPipeBody(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	c, _ := fakeClient(t, srv)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	go func() {
		io.WriteString(pw, sampleCSV)
		pw.Close()
	}()
	if _, err := c.ImportUserGroups(context.Background(), pr); err != nil {
		t.Fatal(collectErr(err))
	}
	if got := string(srv.Requests()[0].CSV); got != sampleCSV {
		t.Errorf("sent %q, want %q", got, sampleCSV)
	}
}

// A file is re-sent from where it was when the import began.
func TestFileOffset(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	srv.Fail(1, clienttest.Fault{Status: 503})
	c, _ := fakeClient(t, srv)
	path := filepath.Join(t.TempDir(), "groups.csv")
	if err := os.WriteFile(path, []byte("junk line\n"+sampleCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(int64(len("junk line\n")), io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ImportUserGroups(context.Background(), f); err != nil {
		t.Fatal(collectErr(err))
	}
	for i, r := range srv.Requests() {
		if string(r.CSV) != sampleCSV {
			t.Errorf("attempt %d sent %q", i+1, r.CSV)
		}
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
		{"password in the path", http.StatusFound, other.URL + "/sso/" + url.PathEscape(clienttest.DefaultPassword) + "/x", other.URL + "/sso/[REDACTED]/x"},
		{"Authorization in the path", http.StatusFound, other.URL + "/sso/" + base64.StdEncoding.EncodeToString([]byte(clienttest.DefaultUsername+":"+clienttest.DefaultPassword)), other.URL + "/sso/[REDACTED]"},
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

func TestUntrustedCertificate(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	// No WithHTTPClient: the default transport verifies certificates, and
	// the fake's is self-signed.
	c, w := newClient(t, srv.URL, WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
	res, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
	collectErr(err)
	if !errors.Is(err, ErrCertificate) || res != nil {
		t.Fatalf("err = %v, want ErrCertificate", err)
	}
	if !strings.Contains(err.Error(), "WithRootCAs") || !isOneLine(err.Error()) {
		t.Errorf("error does not say what to do in one line: %q", err)
	}
	if len(w.get()) != 0 || len(srv.Requests()) != 0 {
		t.Errorf("%d waits, %d requests: a certificate error must not be retried nor reach the handler", len(w.get()), len(srv.Requests()))
	}
}

func TestRootCAs(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	c, _ := newClient(t, srv.URL, WithRootCAs(certPEM), WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
	if _, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV)); err != nil {
		t.Fatalf("with the fake's certificate trusted: %v", collectErr(err))
	}
}

func TestSlowServerDeadline(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	srv.Fail(1, clienttest.Fault{Delay: time.Minute})
	c, w := fakeClient(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err := c.ImportUserGroups(ctx, strings.NewReader(sampleCSV))
	collectErr(err)
	if !errors.Is(err, context.DeadlineExceeded) || res != nil {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if len(w.get()) != 0 {
		t.Errorf("waits %v after the deadline", w.get())
	}
}

func TestDeadlineBeforeRetry(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	srv.Fail(1, clienttest.Fault{Status: 503, RetryAfter: "20"})
	c, w := fakeClient(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.ImportUserGroups(ctx, strings.NewReader(sampleCSV))
	collectErr(err)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 503 || se.RetryAfter != 20*time.Second {
		t.Fatalf("err = %v, want the 503 with its Retry-After", err)
	}
	if len(w.get()) != 0 || len(srv.Requests()) != 1 {
		t.Errorf("waited %v: no wait may run past the deadline", w.get())
	}
}

// endlessCSV yields rows forever.
type endlessCSV struct{ n int }

func (e *endlessCSV) Read(p []byte) (int, error) {
	if e.n == 0 {
		e.n++
		return copy(p, "username,library-group,system-group\n"), nil
	}
	line := fmt.Sprintf("user%09d,Year 7,Students\n", e.n)
	e.n++
	return copy(p, line), nil
}

func TestCancelMidUpload(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	c, _ := fakeClient(t, srv, WithProgress(func(sent int64) {
		if sent > 1<<20 {
			once.Do(cancel)
		}
	}))
	// The body never ends: only cancellation can end this import.
	res, err := c.ImportUserGroups(ctx, &endlessCSV{})
	collectErr(err)
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestConcurrentImports(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	c, _ := fakeClient(t, srv, WithTenant("school-1"))
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			csv := fmt.Sprintf("username,library-group,system-group\nuser%d,Year 7,Students\n", i)
			var err error
			if i%2 == 0 {
				_, err = c.ImportUserGroups(context.Background(), strings.NewReader(csv))
			} else {
				_, err = c.ImportUserGroupRows(context.Background(), slices.Values([]csvspec.UserGroup{{Username: fmt.Sprintf("user%d", i), LibraryGroup: "Year 7", SystemGroup: "Students"}}))
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(collectErr(err))
		}
	}
	if got := len(srv.Memberships()); got != n {
		t.Errorf("%d users imported, want %d", got, n)
	}
	for _, r := range srv.Requests() {
		if r.TenantID != "school-1" {
			t.Errorf("tenant %q", r.TenantID)
		}
	}
}

func TestPathPrefixAndGenericImport(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithPathPrefix("/infiniti"))
	defer srv.Close()
	c, _ := fakeClient(t, srv)
	c2, _ := newClient(t, srv.URL+"/infiniti/", WithHTTPClient(srv.Client()), WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
	if _, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV)); !errors.Is(err, ErrNotFound) {
		t.Errorf("without the prefix: err = %v, want ErrNotFound", collectErr(err))
	}
	if _, err := c2.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV)); err != nil {
		t.Errorf("with the prefix: %v", collectErr(err))
	}
	// The generic Import, to a path the fake knows.
	res, err := c2.Import(context.Background(), UserGroupsPath, strings.NewReader(sampleCSV))
	if err != nil {
		t.Fatal(collectErr(err))
	}
	if c, ok := res.Counts(); !ok || c.Processed != 2 {
		t.Errorf("counts %+v", c)
	}
	reqs := srv.Requests()
	wantPaths := []string{"/api/import/userGroups", "/infiniti/api/import/userGroups", "/infiniti/api/import/userGroups"}
	var paths []string
	for _, r := range reqs {
		paths = append(paths, r.Path)
	}
	if diff := cmp.Diff(wantPaths, paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

func TestLogRecords(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	var buf lockedBuffer
	c, _ := fakeClient(t, srv, WithTenant("t1"), WithLogger(slogText(&buf)))
	srv.Fail(1, clienttest.Fault{Status: 503})
	if _, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV)); err != nil {
		t.Fatal(collectErr(err))
	}
	out := buf.String()
	collect(out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		`level=INFO msg="autosync: import started" endpoint="` + srv.URL + `/api/import/userGroups?tenantId=t1" tenant=t1`,
		`level=WARN msg="autosync: import retry" endpoint="` + srv.URL + `/api/import/userGroups?tenantId=t1" tenant=t1 attempt=1 reason="503 Service Unavailable" wait=500ms`,
		`level=INFO msg="autosync: import finished" endpoint="` + srv.URL + `/api/import/userGroups?tenantId=t1" tenant=t1 status=200 bytes=` + fmt.Sprint(len(sampleCSV)) + ` attempts=2 duration=`,
	}
	if len(lines) != len(want) {
		t.Fatalf("log:\n%s\nwant %d lines", out, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("log line %d:\n%s\nwant prefix\n%s", i+1, lines[i], want[i])
		}
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
	if err == nil || res != nil || !strings.Contains(err.Error(), "reading the response") {
		t.Fatalf("err = %v, res %+v; want a read error", err, res)
	}
	if hits.Load() != 1 || len(w.get()) != 0 {
		t.Errorf("%d requests, waits %v: a 2xx must not be retried", hits.Load(), w.get())
	}
}

// Non-ASCII passwords against a server that reads Basic credentials as
// ISO-8859-1: UTF-8 is refused, with the charset named; Latin-1 is taken.
func TestAuthCharsetWithFake(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithLatin1Credentials())
	defer srv.Close()
	c, _ := fakeClient(t, srv)
	_, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
	collectErr(err)
	var ce *ConfigError
	if !errors.Is(err, ErrUnauthorized) || !errors.As(err, &ce) || ce.Option != "WithAuthCharset" {
		t.Fatalf("UTF-8 to a Latin-1 server: err = %v, want ErrUnauthorized naming WithAuthCharset", err)
	}
	c, _ = fakeClient(t, srv, WithAuthCharset(AuthLatin1))
	if _, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV)); err != nil {
		t.Fatalf("Latin-1 to a Latin-1 server: %v", collectErr(err))
	}
}

// The contacts import against the fake: the path, the part, the
// contacts kept; an unknown mode meets the fake's 404.
func TestImportUserContactsWithFake(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithPathPrefix("/infiniti"), clienttest.WithTenants("T1"))
	defer srv.Close()
	c, _ := newClient(t, srv.URL+"/infiniti", WithHTTPClient(srv.Client()), WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword), WithTenant("T1"))
	csv := "username,type,role,primary,addressee,contact,sms,scenarios\njsmith,email,patron,True,John,jsmith@example.com,,ANY\n"
	if _, err := c.ImportUserContacts(context.Background(), ContactsReplaceDeclaredPatronsKeepCustomContacts, strings.NewReader(csv)); err != nil {
		t.Fatal(collectErr(err))
	}
	want := map[string][]clienttest.Contact{"jsmith": {{Type: "email", Role: "patron", Primary: "True", Addressee: "John", Contact: "jsmith@example.com", Scenarios: "ANY"}}}
	if diff := cmp.Diff(want, srv.Contacts()); diff != "" {
		t.Errorf("contacts (-want +got):\n%s", diff)
	}
	_, err := c.ImportUserContacts(context.Background(), "replaceAllContacts", strings.NewReader(csv))
	if !errors.Is(collectErr(err), ErrNotFound) {
		t.Errorf("an unknown mode: err = %v, want ErrNotFound", err)
	}
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.Path+" "+r.FileName+" "+r.TenantID)
	}
	wantReqs := []string{
		"/infiniti/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts user-contacts.csv T1",
		"/infiniti/api/import/userContacts/replaceAllContacts  T1", // refused before the upload is read
	}
	if diff := cmp.Diff(wantReqs, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// Contact rows are encoded in the canonical form while they are sent,
// and re-sent whole after a retryable failure.
func TestImportUserContactRows(t *testing.T) {
	rows := []csvspec.Contact{
		{Username: "jsmith", Type: "EMAIL", Role: "Patron", Primary: true, Addressee: "John", Address: "jsmith@example.com", Scenarios: []csvspec.Scenario{"any"}},
		{Username: "jsmith", Type: csvspec.ContactPhone, Role: csvspec.RoleGuardian, Addressee: "Mr and Mrs Smith", Address: "(M1) 0400 000 000", SMS: csvspec.BoolTrue, Scenarios: []csvspec.Scenario{csvspec.ScenarioNone}},
	}
	const wantCSV = "username,type,role,primary,addressee,contact,sms,scenarios\n" +
		"jsmith,email,patron,True,John,jsmith@example.com,,ANY\n" +
		"jsmith,phone,guardian,False,Mr and Mrs Smith,(M1) 0400 000 000,True,NONE\n"
	tests := []struct {
		name     string
		mode     ContactsMode
		faults   int
		wantReqs int
		wantErr  error
	}{
		{name: "one attempt", mode: ContactsReplaceDeclaredPatronsKeepCustomContacts, wantReqs: 1},
		{name: "retried after a 503", mode: ContactsReplaceDeclaredPatronsKeepCustomContacts, faults: 1, wantReqs: 2},
		{name: "unknown mode", mode: "replaceAll", wantReqs: 1, wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.NewServer()
			defer srv.Close()
			srv.Fail(tt.faults, clienttest.Fault{Status: 503})
			c, _ := fakeClient(t, srv)
			_, err := c.ImportUserContactRows(context.Background(), tt.mode, slices.Values(rows))
			if !errors.Is(collectErr(err), tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			reqs := srv.Requests()
			if len(reqs) != tt.wantReqs {
				t.Fatalf("%d requests, want %d", len(reqs), tt.wantReqs)
			}
			if tt.wantErr != nil {
				return // the fake refused the path before reading the upload
			}
			for i, r := range reqs {
				if diff := cmp.Diff(wantCSV, string(r.CSV)); diff != "" {
					t.Errorf("request %d sent (-want +got):\n%s", i+1, diff)
				}
			}
		})
	}
	c, _ := newClient(t, "https://school.example")
	if _, err := c.ImportUserContactRows(context.Background(), ContactsReplaceDeclaredPatronsKeepCustomContacts, nil); err == nil {
		t.Error("nil rows: no error")
	}
	if _, err := c.ImportUserContactRows(context.Background(), "../x", slices.Values(rows)); err == nil {
		t.Error("a mode with ..: no error")
	}
}
