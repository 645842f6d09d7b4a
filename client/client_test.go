package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
)

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
			length: true, // encoded into memory: its length is known
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
		{name: "plain http to a school", base: "http://school.concordinfiniti.com", wantErr: "plain http"},
		{name: "ftp", base: "ftp://school.example", wantErr: "does not start with https://"},
		{name: "no scheme", base: "school.concordinfiniti.com", wantErr: "does not start with https://"},
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
		{name: "user agent with newline", base: "https://school.example", opts: []Option{WithUserAgent("a\nb")}, wantErr: "control or format characters"},
		{name: "nil progress", base: "https://school.example", opts: []Option{WithProgress(nil)}, wantErr: "nil"},
		{name: "negative retries", base: "https://school.example", opts: []Option{WithRetry(RetryPolicy{MaxRetries: -1})}, wantErr: "negative"},
		{name: "zero response bound", base: "https://school.example", opts: []Option{WithMaxResponseBytes(0)}, wantErr: "not a positive"},
		{name: "nil option", base: "https://school.example", opts: []Option{nil}},
		{name: "root CAs without a certificate", base: "https://school.example", opts: []Option{WithRootCAs([]byte("not a certificate"))}, wantErr: "no PEM certificate"},
		{name: "root CAs and an HTTP client", base: "https://school.example", opts: []Option{WithRootCAs(testCertPEM), WithHTTPClient(http.DefaultClient)}, wantErr: "cannot be combined"},
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
		}, "does not start with /"},
		{"query in path", func() error {
			_, err := c.Import(context.Background(), "/api/import/x?tenantId=1", strings.NewReader(""))
			return err
		}, "the character '?'"},
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

// Final review, 6: New refuses a password that the client would show,
// with one text that does not say where it occurs; a password shorter than
// 4 bytes is refused only when it is the username.
func TestPasswordShownRule(t *testing.T) {
	tests := []struct {
		name, base, user, password, tenant string
		refused                            bool
	}{
		{name: "a password of its own", base: "https://myschool.concordinfiniti.com", user: "autoimport", password: "Tr0mbone!", refused: false},
		{name: "3 bytes inside the host", base: "https://myschool.concordinfiniti.com", user: "autoimport", password: "sch", refused: false},
		{name: "3 bytes inside the username", base: "https://school.example", user: "autoimport", password: "imp", refused: false},
		{name: "3 bytes, the username", base: "https://school.example", user: "abc", password: "abc", refused: true},
		{name: "a word of the host", base: "https://myschool.concordinfiniti.com", user: "autoimport", password: "concord", refused: true},
		{name: "a label's part", base: "https://myschool.concordinfiniti.com", user: "autoimport", password: "school", refused: true},
		{name: "4 bytes inside the username", base: "https://school.example", user: "autoimport", password: "auto", refused: true},
		{name: "inside the path prefix", base: "https://proxy.example/infiniti-sync", user: "autoimport", password: "sync", refused: true},
		{name: "inside the tenant", base: "https://school.example", user: "autoimport", password: "marys", tenant: "st marys", refused: true},
		{name: "a word of an import path, which errors show", base: "https://school.example", user: "autoimport", password: "userGroups", refused: true},
		{name: "the tenant as the query shows it", base: "https://school.example", user: "autoimport", password: "st+marys", tenant: "st marys", refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []Option{WithBasicAuth(tt.user, tt.password)}
			if tt.tenant != "" {
				opts = append(opts, WithTenant(tt.tenant))
			}
			_, err := New(tt.base, opts...)
			var ce *ConfigError
			if got := errors.As(err, &ce) && ce.Option == "WithBasicAuth" && strings.Contains(ce.Reason, "the password"); got != tt.refused {
				t.Errorf("New: %v, want refused %v", err, tt.refused)
			}
			// The same rule, at each call, for a provider's credentials.
			provider := func(context.Context) (string, string, error) { return tt.user, tt.password, nil }
			c, mt, _ := mockClient(t, tt.base, append(opts[1:], WithCredentials(provider))...)
			mt.RegisterNoResponder(httpmock.NewStringResponder(200, okJSON))
			_, err = c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			if got := errors.As(err, &ce) && ce.Option == "WithCredentials" && errors.Is(err, ErrNoCredentials); got != tt.refused {
				t.Errorf("with WithCredentials: %v, want refused %v", collectErr(err), tt.refused)
			}
		})
	}
}

// Import paths: segments of safe characters only.
func TestImportPath(t *testing.T) {
	tests := []struct {
		path, wantErr string
	}{
		{"/api/import/userGroups", ""},
		{"/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts", ""},
		{"/api/import/patrons.v2~x/", ""},
		{"/api/..;/admin", `the character ';'`},
		{"/api/import/a;b", `the character ';'`},
		{"/api/import/..", ". or .. segment"},
		{"/api/./import", ". or .. segment"},
		{"/api//import", "empty segment"},
		{"/api/import/a%2Fb", `the character '%'`},
		{"/api/import/a b", `the character ' '`},
		{"/api/import/a\\b", `the character '\\'`},
		{"/api/import/é", `the character 'é'`},
		{"api/import/x", "does not start with /"},
		{"/api/import/x?tenantId=1", "the character '?'"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			err := collectErr(checkPath(tt.path))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidPath) {
				t.Errorf("errors.Is(%v, ErrInvalidPath) = false", err)
			}
		})
	}
}

// Logs: no student data above Debug level, no empty tenant; each row
// outcome at Debug level only.
func TestLogsCarryNoRowsAboveDebug(t *testing.T) {
	const body = `{"success":false,"summary":"2 users processed. 1 user created. 0 users updated. 1 user failed.","details":{"2":"User mjones failed to import: Field (library-group) Library group (Year 9) does not exist. "}}`
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		t.Run(level.String(), func(t *testing.T) {
			var buf lockedBuffer
			l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey || a.Key == "duration" {
					return slog.Attr{}
				}
				return a
			}}))
			c, mt, _ := mockClient(t, "https://school.example", WithLogger(l))
			mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
				io.Copy(io.Discard, r.Body)
				return httpmock.NewStringResponse(200, body), nil
			})
			_, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			collectErr(err)
			collect(buf.String())
			want := []string{
				`level=INFO msg="autosync: import started" endpoint=https://school.example/api/import/userGroups`,
				`level=ERROR msg="autosync: import failed" endpoint=https://school.example/api/import/userGroups status=200 bytes=` + fmt.Sprint(len(sampleCSV)) + ` attempts=1 processed=2 created=1 updated=0 failed=1 failed_rows=1 error="client: POST https://school.example/api/import/userGroups: infiniti import failed: \"2 users processed. 1 user created. 0 users updated. 1 user failed.\""`,
			}
			if level == slog.LevelDebug {
				want = slices.Insert(want, 1, `level=DEBUG msg="autosync: row outcome" endpoint=https://school.example/api/import/userGroups row=2 status=failed message="User mjones failed to import: Field (library-group) Library group (Year 9) does not exist. "`,
					`level=DEBUG msg="autosync: import failed, in full" endpoint=https://school.example/api/import/userGroups error="client: POST https://school.example/api/import/userGroups: infiniti import failed: \"2 users processed. 1 user created. 0 users updated. 1 user failed.\"; row 2: \"User mjones failed to import: Field (library-group) Library group (Year 9) does not exist.\""`)
			}
			got := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		})
	}
}

// Review 1, finding 3: records above Debug level carry no student data,
// whatever status or body carries it: a non-2xx result with failed rows,
// or an answer that is not a result at all. The error itself keeps the
// body's snippet for the caller, and Debug has it.
func TestErrorRecordsCarryNoBody(t *testing.T) {
	const student = "olivia.nguyen.2031"
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"422 with a failed row", 422, `{"success":false,"summary":"2 users processed. 1 user created. 0 users updated. 1 user failed.","details":{"1":"User Created","2":"Field (username) User (` + student + `) does not exist. User failed to import: ... "}}`},
		{"200 that is not a result", 200, `{"success":false,"summary":"1 contact failed","details":{"1":{"username":"` + student + `","contact":"0400 000 000","error":"bad phone"}}}`},
		{"500 page", 500, `<html><p>Import of ` + student + ` failed</p></html>`},
	}
	for _, tt := range tests {
		for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
			t.Run(tt.name+"/"+level.String(), func(t *testing.T) {
				var buf lockedBuffer
				c, mt, _ := mockClient(t, "https://school.example", WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))), WithRetry(RetryPolicy{}))
				mt.RegisterNoResponder(httpmock.NewStringResponder(tt.status, tt.body))
				_, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
				collectErr(err)
				if err == nil || !strings.Contains(err.Error(), student) {
					t.Fatalf("err = %v, want the body's snippet in it", err)
				}
				var above, debug []string
				for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
					if strings.Contains(line, "level=DEBUG") {
						debug = append(debug, line)
					} else {
						above = append(above, line)
					}
				}
				for _, line := range above {
					if strings.Contains(line, student) {
						t.Errorf("a record above Debug holds a student's data: %s", line)
					}
				}
				if got := strings.Contains(strings.Join(debug, "\n"), student); got != (level == slog.LevelDebug) {
					t.Errorf("Debug records hold the body: %v, want %v:\n%s", got, level == slog.LevelDebug, buf.String())
				}
			})
		}
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

// Cancelling the context stops an upload whose plain reader is blocked in
// Read (os.Stdin fed by an export that stalled): over HTTP/2 at once; over
// HTTP/1, whose transport waits for its body's Read, once that Read
// returns. The reader is not read again. The context ends from inside the
// handler, once the reader has blocked, so that no clock decides.
func TestCancelWhileReaderBlocked(t *testing.T) {
	tests := []struct {
		name string
		data string
		h2   bool  // over TLS with HTTP/2, whose transport does not wait for the body's Read
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
				io.Copy(io.Discard, req.Body) // until the client closes the connection
				r.free()                      // over HTTP/1 the call waits for this Read
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
				r.free()
				t.Fatalf("the call did not return while the reader was blocked: %v", <-done)
			}
			collectErr(err)
			if !errors.Is(err, tt.end) {
				t.Errorf("err = %v, want %v", err, tt.end)
			}
			if want := map[bool]int32{false: 1, true: 2}[tt.h2]; proto.Load() != want {
				t.Errorf("the request came over HTTP/%d, want HTTP/%d", proto.Load(), want)
			}
			if tt.h2 {
				r.free() // the blocked Read ends now; its data goes nowhere
			}
			if n := r.reads.Load(); n != 1 {
				t.Errorf("%d reads past the data, want the one that blocked", n)
			}
		})
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

// WithCredentials asks its provider at each call, with the call's
// context. A provider's failure sends nothing; it needs a person
// (ErrUnauthorized) only when the secret is missing or unusable, by the
// rules New applies to WithBasicAuth.
func TestWithCredentials(t *testing.T) {
	errVault := errors.New("vault: connection refused")
	type key struct{}
	tests := []struct {
		name           string
		user, password string
		err            error // the provider's
		opts           []Option
		is, isNot      []error // nil is for a call that succeeds
		option         string  // the *ConfigError's Option, if any
	}{
		{name: "from the vault", user: "autoimport", password: trickyPassword},
		{name: "vault down", err: errVault, is: []error{errVault}, isNot: []error{ErrUnauthorized, ErrNoCredentials}},
		{name: "no such secret", err: fmt.Errorf("vault: school-9: %w", ErrNoCredentials), is: []error{ErrNoCredentials, ErrUnauthorized}},
		{name: "empty username", password: trickyPassword, is: []error{ErrNoCredentials, ErrUnauthorized}, option: "WithCredentials"},
		{name: "username with a colon", user: "auto:import", password: trickyPassword, is: []error{ErrNoCredentials, ErrUnauthorized}, option: "WithCredentials"},
		{name: "password in the base URL", user: "autoimport", password: "school", is: []error{ErrNoCredentials, ErrUnauthorized}, option: "WithCredentials"},
		{name: "Latin-1 cannot hold it", user: "autoimport", password: "пароль-2024", opts: []Option{WithAuthCharset(AuthLatin1)}, is: []error{ErrNoCredentials, ErrUnauthorized}, option: "WithAuthCharset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			provider := func(ctx context.Context) (string, string, error) {
				if ctx.Value(key{}) != tt.name {
					return "", "", errors.New("not the call's context")
				}
				return tt.user, tt.password, tt.err
			}
			c, mt, _ := mockClient(t, "https://school.example", append(tt.opts, WithCredentials(provider))...)
			mt.RegisterNoResponder(httpmock.NewStringResponder(200, okJSON))
			var st Stats
			res, err := c.ImportUserGroups(WithStats(context.WithValue(context.Background(), key{}, tt.name), &st), strings.NewReader(sampleCSV))
			collectErr(err)
			if tt.is == nil {
				if err != nil || st.Attempts != 1 {
					t.Fatalf("err = %v after %d attempts, want a success", err, st.Attempts)
				}
				return
			}
			if res != nil || st.Attempts != 0 || st.HandedOver || mt.GetTotalCallCount() != 0 {
				t.Errorf("res %v, %+v, %d requests: want nothing sent", res, st, mt.GetTotalCallCount())
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("err = %v, want it to match %v", err, target)
				}
			}
			for _, target := range tt.isNot {
				if errors.Is(err, target) {
					t.Errorf("err = %v matches %v", err, target)
				}
			}
			var ce *ConfigError
			option := ""
			if errors.As(err, &ce) {
				option = ce.Option
			}
			if option != tt.option {
				t.Errorf("err = %v, want a *ConfigError naming %q", err, tt.option)
			}
		})
	}
}

// Each call sends its own credentials and withholds an echo of them, in
// the result too.
func TestCredentialsPerCall(t *testing.T) {
	passwords := []string{trickyPassword, nonASCIIPassword}
	var calls atomic.Int32
	provider := func(context.Context) (string, string, error) {
		return "autoimport", passwords[int(calls.Add(1)-1)%len(passwords)], nil
	}
	c, mt, _ := mockClient(t, "https://school.example", WithCredentials(provider))
	var sent []string
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		_, password, _ := r.BasicAuth()
		sent = append(sent, password)
		return httpmock.NewStringResponse(200, mustJSON(map[string]any{"success": true, "summary": "Imported with " + password + "."})), nil
	})
	for range passwords {
		res, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
		if err != nil || res.Summary != withheld {
			t.Errorf("err = %v, summary %q; want the echo withheld", collectErr(err), res.Summary)
		}
	}
	if diff := cmp.Diff(passwords, sent); diff != "" {
		t.Errorf("passwords sent (-want +got):\n%s", diff)
	}
}

// WithHTTPClient with a nil Transport sends with http.DefaultTransport,
// under hc's Timeout, and leaves hc as it was.
func TestHTTPClientNilTransport(t *testing.T) {
	tests := []struct {
		name   string
		answer bool  // false: the server never answers
		is     error // nil for a success
	}{
		{name: "answered", answer: true},
		{name: "past the timeout", is: ErrResponseTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			quit := make(chan struct{})
			var posts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				io.Copy(io.Discard, r.Body)
				if !tt.answer {
					<-quit
				}
				io.WriteString(w, okJSON)
			}))
			defer srv.Close()
			defer close(quit)
			hc := &http.Client{Timeout: 200 * time.Millisecond}
			c, _ := newClient(t, srv.URL, WithHTTPClient(hc), WithRetry(RetryPolicy{}))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a bound, should hc.Timeout be lost
			defer cancel()
			_, err := c.ImportUserGroups(ctx, strings.NewReader(sampleCSV))
			if tt.is == nil && err != nil || !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", collectErr(err), tt.is)
			}
			if n := posts.Load(); n != 1 {
				t.Errorf("the server had %d posts, want 1", n)
			}
			if hc.Transport != nil || hc.CheckRedirect != nil {
				t.Error("the caller's http.Client was changed")
			}
		})
	}
}
