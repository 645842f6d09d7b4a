package client

// Regression tests for the client's part of issue 8 (hardening), issue 11
// (ConfigError) and issue 10 (the contacts import).

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
)

// Item 1: plain http only to literal loopback addresses and the exact name
// localhost; *.localhost is resolved by DNS and may be proxied.
func TestPlainHTTPLoopback(t *testing.T) {
	tests := []struct {
		base string
		ok   bool
	}{
		{"http://localhost:8080", true},
		{"http://LocalHost:8080", true},
		{"http://127.0.0.1:8080", true},
		{"http://127.3.2.1", true},
		{"http://[::1]:8080", true},
		{"http://infiniti.localhost:8080", false},
		{"http://localhost.:8080", false},
		{"http://localhost.example.com", false},
		{"http://127.1", false},
		{"http://0.0.0.0", false},
		{"http://[::]", false},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			_, err := New(tt.base)
			collectErr(err)
			if tt.ok {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Option != "WithInsecurePlainHTTP" {
				t.Fatalf("err = %v, want a *ConfigError naming WithInsecurePlainHTTP", err)
			}
			if _, err := New(tt.base, WithInsecurePlainHTTP()); err != nil {
				t.Errorf("with WithInsecurePlainHTTP: %v", collectErr(err))
			}
		})
	}
}

// proxyCalls makes the environment's proxy a fixed one for the test, and
// counts how often the SDK's transport asked for it.
func proxyCalls(t *testing.T, proxyURL string) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	saved := environmentProxy
	t.Cleanup(func() { environmentProxy = saved })
	environmentProxy = func(*http.Request) (*url.URL, error) {
		n.Add(1)
		return url.Parse(proxyURL)
	}
	return &n
}

// Item 1: the SDK's own transport never proxies plain http or loopback
// requests; https to a school goes through the environment's proxy.
func TestProxyPolicy(t *testing.T) {
	tests := []struct {
		base  string
		opts  []Option
		proxy bool
	}{
		{base: "http://127.0.0.1:8080"},
		{base: "http://localhost:8080"},
		{base: "https://127.0.0.1:8443"},
		{base: "https://[::1]"},
		{base: "http://infiniti.localhost:8080", opts: []Option{WithInsecurePlainHTTP()}},
		{base: "http://192.0.2.10", opts: []Option{WithInsecurePlainHTTP()}},
		{base: "https://school.concordinfiniti.com", proxy: true},
		{base: "https://infiniti.localhost", proxy: true},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			calls := proxyCalls(t, "http://proxy.example:3128")
			c, err := New(tt.base, tt.opts...)
			if err != nil {
				t.Fatal(collectErr(err))
			}
			tr := c.hc.Transport.(redirectStopper).rt.(*http.Transport)
			req, _ := http.NewRequest("POST", c.endpoint(UserGroupsPath), nil)
			got, err := tr.Proxy(req)
			if err != nil {
				t.Fatal(err)
			}
			if (got != nil) != tt.proxy || (calls.Load() == 1) != tt.proxy {
				t.Errorf("proxy %v (environment asked %d times), want a proxy: %v", got, calls.Load(), tt.proxy)
			}
		})
	}
}

// Final review, 6: New refuses a password that the client would show,
// with one text that does not say where it occurs; a password shorter than
// 4 bytes is refused only when it is the username.
func TestPasswordShownRule(t *testing.T) {
	const refusal = "client: WithBasicAuth: the password must not be the username, nor occur in the username, the base URL or the tenant, which errors and log records show as they are; give the import account a password of its own"
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
		{name: "the tenant as the query shows it", base: "https://school.example", user: "autoimport", password: "st+marys", tenant: "st marys", refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []Option{WithBasicAuth(tt.user, tt.password)}
			if tt.tenant != "" {
				opts = append(opts, WithTenant(tt.tenant))
			}
			_, err := New(tt.base, opts...)
			got := ""
			if err != nil {
				got = err.Error()
			}
			want := ""
			if tt.refused {
				want = refusal
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("New (-want +got):\n%s", diff)
			}
		})
	}
}

// Item 1, end to end: with a proxy in the environment, a plain http
// request goes direct, and https goes through the proxy. The transport's
// dialer is a stub that reaches only the proxy (on 127.0.0.1) and refuses
// every other address, so that no name is looked up in DNS.
func TestProxyEndToEnd(t *testing.T) {
	tests := []struct {
		base        string
		wantDirect  bool   // whether the transport dialled the school itself
		wantMethods string // the requests the proxy saw
	}{
		{base: "http://infiniti.invalid", wantDirect: true, wantMethods: ""},
		{base: "https://infiniti.invalid", wantDirect: false, wantMethods: "CONNECT"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			var mu sync.Mutex
			var methods []string
			proxySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				methods = append(methods, r.Method)
				mu.Unlock()
				http.Error(w, "no", http.StatusBadGateway)
			}))
			defer proxySrv.Close()
			proxyCalls(t, proxySrv.URL)
			proxyAddr := proxySrv.Listener.Addr().String()
			c, _ := newClient(t, tt.base, WithBasicAuth("autoimport", trickyPassword), WithInsecurePlainHTTP(), WithRetry(RetryPolicy{}))
			var direct atomic.Bool
			tr := c.hc.Transport.(redirectStopper).rt.(*http.Transport)
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				if addr == proxyAddr {
					var d net.Dialer
					return d.DialContext(ctx, network, addr)
				}
				direct.Store(true)
				return nil, errors.New("test dialer: no network but the proxy")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := c.ImportUserGroups(ctx, strings.NewReader(sampleCSV))
			if collectErr(err) == nil {
				t.Fatal("no error")
			}
			mu.Lock()
			got := strings.Join(methods, ",")
			mu.Unlock()
			if direct.Load() != tt.wantDirect || got != tt.wantMethods {
				t.Errorf("dialled the school directly: %v, the proxy saw %q; want %v and %q", direct.Load(), got, tt.wantDirect, tt.wantMethods)
			}
		})
	}
}

// Item 2: a redirect's Location shows scheme, host and path only, redacted,
// in the error, its text and the log.
func TestRedirectLocationRedacted(t *testing.T) {
	auth := base64.StdEncoding.EncodeToString([]byte("autoimport:" + trickyPassword))
	tests := []struct {
		name, location, want string
	}{
		{"query", "https://sso.example/login?u=autoimport&p=" + url.QueryEscape(trickyPassword), "https://sso.example/login"},
		{"fragment", "https://sso.example/login#" + auth, "https://sso.example/login"},
		{"userinfo", "https://autoimport:" + url.QueryEscape(trickyPassword) + "@sso.example/x", "https://sso.example/x"},
		{"path, escaped", "https://sso.example/p/" + url.PathEscape(trickyPassword), withheld},
		{"path, base64", "https://sso.example/" + auth + "/x", withheld},
		{"path, lower-case escapes", "https://sso.example/" + strings.ToLower(url.PathEscape(trickyPassword)), withheld},
		{"path, encodeURIComponent", "https://sso.example/login/" + strings.ReplaceAll(url.PathEscape(trickyPassword), "&", "%26"), withheld},
		{"path, every byte escaped", "https://sso.example/login/" + fmt.Sprintf("%X", trickyPassword), "https://sso.example/login/" + fmt.Sprintf("%X", trickyPassword)},
		{"path, every byte percent-encoded", "https://sso.example/login/" + percentEncodeAll(trickyPassword), withheld},
		{"host", "https://" + base64.RawURLEncoding.EncodeToString([]byte(trickyPassword)) + ".sso.example/x", withheld},
		{"no password", "https://sso.example/login/other", "https://sso.example/login/other"},
		{"long path cut", "https://sso.example/" + strings.Repeat("a", 400), "https://sso.example/" + strings.Repeat("a", maxFragment-len("https://sso.example/")) + "…"},
		{"line break", "https://sso.example/a\r\nSet-Cookie: x", "(a Location that is not a valid URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logBuf lockedBuffer
			c, mt, _ := mockClient(t, "https://school.example", WithBasicAuth("autoimport", trickyPassword), WithLogger(slogText(&logBuf)))
			mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
				r := httpmock.NewStringResponse(http.StatusFound, "")
				r.Header.Set("Location", tt.location)
				return r, nil
			})
			_, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			collectErr(err)
			collect(logBuf.String())
			var re *RedirectError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a *RedirectError", err)
			}
			if re.Location != tt.want {
				t.Errorf("Location %q, want %q", re.Location, tt.want)
			}
			forms := passwordForms("autoimport", trickyPassword)
			for _, text := range []string{err.Error(), fmt.Sprintf("%#v", err), logBuf.String()} {
				if f := leaked(text, forms); f != "" {
					t.Errorf("%q shows the password as %q", text, f)
				}
			}
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Item 3 and review 1, findings 1 and 10: text inside a result that echoes
// the password, in any encoder's form, is withheld whole in the error and
// the log, and kept as received in the *result.Result and the
// *result.ImportError.
func TestResultTextRedacted(t *testing.T) {
	forms := passwordForms("autoimport", trickyPassword)
	for _, e := range echoForms("autoimport", trickyPassword) {
		echo := "password " + e.echo + " is wrong"
		bodies := map[string]string{
			"Unauthorised summary": mustJSON(map[string]any{"success": false, "summary": "Unauthorised. " + echo}),
			"failed summary":       mustJSON(map[string]any{"success": false, "summary": echo}),
			"detail message":       mustJSON(map[string]any{"success": false, "summary": "1 user failed.", "details": map[string]string{"1": echo + ". User failed to import."}}),
			"detail key":           mustJSON(map[string]any{"success": false, "summary": "1 user failed.", "details": map[string]string{echo: "User failed to import"}}),
			"400 summary":          mustJSON(map[string]any{"success": false, "summary": echo}),
			"500 page":             "<html><body><p>" + echo + "</p></body></html>",
		}
		for name, body := range bodies {
			t.Run(e.name+"/"+name, func(t *testing.T) {
				var logBuf lockedBuffer
				debug := slog.New(slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
				c, mt, _ := mockClient(t, "https://school.example", WithBasicAuth("autoimport", trickyPassword), WithLogger(debug), WithRetry(RetryPolicy{}))
				status := 200
				switch name {
				case "400 summary":
					status = 400
				case "500 page":
					status = 500
				}
				mt.RegisterNoResponder(httpmock.NewStringResponder(status, body))
				res, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
				collectErr(err)
				collect(logBuf.String())
				if err == nil {
					t.Fatal("no error")
				}
				for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%q", err), logBuf.String()} {
					if f := leaked(text, forms); f != "" {
						t.Errorf("%q shows the password as %q", text, f)
					}
				}
				if !strings.Contains(err.Error(), withheld) {
					t.Errorf("err = %v, want the server's text withheld", err)
				}
				if strings.Contains(err.Error(), redacted) {
					t.Errorf("err = %v: a mark where the password stood tells where it was", err)
				}
				if name == "detail key" || name == "500 page" {
					return // not a result
				}
				// The result and the ImportError keep Infiniti's text.
				if res == nil || !strings.Contains(res.Summary+fmt.Sprint(res.Details), echo) {
					t.Errorf("the result lost Infiniti's text: %+v", res)
				}
				var ie *result.ImportError
				if errors.As(err, &ie) && ie.Result != res {
					t.Errorf("the ImportError holds another result")
				}
			})
		}
	}
}

// Item 4: printing a Client shows base URL, user and tenant only.
func TestClientPrinting(t *testing.T) {
	c, err := New("https://autoimport:"+url.QueryEscape(trickyPassword)+"@school.example/infiniti/", WithTenant("T1"))
	if err != nil {
		t.Fatal(collectErr(err))
	}
	want := map[string]string{
		"String":   `client for https://school.example/infiniti (user "autoimport", tenant "T1")`,
		"GoString": `client.New("https://school.example/infiniti", client.WithBasicAuth("autoimport", "[REDACTED]"), client.WithTenant("T1"))`,
	}
	got := map[string]string{"String": c.String(), "GoString": c.GoString()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("printing (-want +got):\n%s", diff)
	}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%p"} {
		outs = append(outs, fmt.Sprintf(verb, c))
		if verb != "%p" {
			outs = append(outs, fmt.Sprintf(verb, *c))
		}
	}
	for _, v := range []any{c, *c, c.cred, *c.cred} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
	}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("client", "client", c, "value", *c, "cred", c.cred)
	}
	lg := log.New(&buf, "", 0)
	lg.Printf("%+v", c)
	lg.Printf("%+v", *c)
	lg.Printf("%#v", *c)
	outs = append(outs, buf.String())
	forms := passwordForms("autoimport", trickyPassword)
	forms = append(forms, c.cred.secret().header, fmt.Sprintf("%x", trickyPassword))
	for _, out := range outs {
		collect(out)
		if f := leaked(out, forms); f != "" {
			t.Errorf("%q shows the password as %q", out, f)
		}
	}
	if !strings.Contains(buf.String(), `"client":{"base_url":"https://school.example/infiniti","user":"autoimport","tenant":"T1"}`) {
		t.Errorf("JSON log of the client:\n%s", buf.String())
	}
}

// watchedRows is an iterator over many rows that records how it is used.
type watchedRows struct {
	rows      []csvspec.UserGroup
	returned  atomic.Bool  // set once the import has returned
	late      atomic.Int32 // rows yielded after the import returned
	active    atomic.Int32 // rangings in progress
	maxActive atomic.Int32
	rangings  atomic.Int32
}

func (w *watchedRows) seq(yield func(csvspec.UserGroup) bool) {
	w.rangings.Add(1)
	n := w.active.Add(1)
	defer w.active.Add(-1)
	for {
		m := w.maxActive.Load()
		if n <= m || w.maxActive.CompareAndSwap(m, n) {
			break
		}
	}
	for i := range w.rows {
		if w.returned.Load() {
			w.late.Add(1)
		}
		if !yield(w.rows[i]) {
			return
		}
	}
}

// Item 5: once ImportUserGroupRows returns, the caller's rows are not read
// any more, and two attempts never range over them at once, when the
// server answers without reading the upload. Run with -race: the caller
// changes its slice after the call.
func TestRowsNotReadAfterReturn(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		rangings int32
	}{
		{"403 without reading", http.StatusForbidden, 1},
		{"503 without reading, retried", http.StatusServiceUnavailable, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Connection", "close")
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			c, _ := newClient(t, srv.URL)
			w := &watchedRows{rows: make([]csvspec.UserGroup, 200_000)}
			for i := range w.rows {
				w.rows[i] = csvspec.UserGroup{Username: "student-with-a-long-name", LibraryGroup: "Year 7 Blue House", SystemGroup: "Students"}
			}
			_, err := c.ImportUserGroupRows(context.Background(), w.seq)
			w.returned.Store(true)
			collectErr(err)
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.status {
				t.Fatalf("err = %v, want the %d", err, tt.status)
			}
			if n := w.active.Load(); n != 0 {
				t.Errorf("%d rangings over the rows still running after the import returned", n)
			}
			for i := range w.rows { // the caller reuses its slice
				w.rows[i] = csvspec.UserGroup{}
			}
			if n := w.late.Load(); n != 0 {
				t.Errorf("%d rows read after the import returned", n)
			}
			if m := w.maxActive.Load(); m != 1 {
				t.Errorf("%d rangings at once, want 1", m)
			}
			if n := w.rangings.Load(); n != tt.rangings {
				t.Errorf("%d rangings, want %d (one per attempt)", n, tt.rangings)
			}
		})
	}
}

// isOneLine reports whether s is valid UTF-8 with no control, format or
// line-separator character.
func isOneLine(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return r != ' ' && !unicode.IsGraphic(r)
	})
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
			var se *StatusError
			if errors.As(err, &se) && !isOneLine(se.Snippet) {
				t.Errorf("snippet not one line: %q", se.Snippet)
			}
			if lines := strings.Count(logBuf.String(), "\n"); lines != 2 {
				t.Errorf("%d log lines, want 2:\n%s", lines, logBuf.String())
			}
		})
	}
}

// Item 10 and the errors' wording: the exact text of the main error paths,
// each with one "client: " prefix.
func TestErrorStrings(t *testing.T) {
	const ep = "https://school.example/api/import/userGroups"
	const busy = "Infiniti or a proxy in front of it failed; try again later, and tell the school's Infiniti support if it persists"
	tests := []struct {
		name     string
		opts     []Option
		body     func() io.Reader
		respond  httpmock.Responder
		ctx      func() context.Context
		want     string
		wantPfx  bool // want is a prefix only
		wantOpts []error
	}{
		{
			name:    "401",
			respond: httpmock.NewStringResponder(401, "no"),
			want:    "client: POST " + ep + `: 401 Unauthorized: Infiniti refused the credentials; check the username and password of the import account (an Infiniti account, not SAML single sign-on); body: "no"`,
		},
		{
			name:    "401 with a non-ASCII password",
			opts:    []Option{WithBasicAuth("autoimport", nonASCIIPassword)},
			respond: httpmock.NewStringResponder(401, ""),
			want:    "client: POST " + ep + ": 401 Unauthorized: Infiniti refused the credentials; check the username and password of the import account (an Infiniti account, not SAML single sign-on); the password has non-ASCII characters, which were sent in UTF-8; a server that reads them as ISO-8859-1 (Latin-1), as Tomcat does by default, refuses the password; try WithAuthCharset(AuthLatin1)",
		},
		{
			name:    "Unauthorised result, Latin-1",
			opts:    []Option{WithBasicAuth("autoimport", nonASCIIPassword), WithAuthCharset(AuthLatin1)},
			respond: httpmock.NewStringResponder(200, `{"success":false,"summary":"Unauthorised. Check credentials."}`),
			want:    "client: POST " + ep + `: Infiniti refused the credentials ("Unauthorised. Check credentials."); check the username and password of the import account (an Infiniti account with system administration privileges, not SAML single sign-on); the password has non-ASCII characters, which were sent in ISO-8859-1 (Latin-1); a server that reads them as UTF-8 refuses the password; try UTF-8, the default of WithAuthCharset`,
		},
		{
			name:    "403",
			respond: httpmock.NewStringResponder(403, ""),
			want:    "client: POST " + ep + ": 403 Forbidden: the account lacks system administration privileges; grant them to the import account in Infiniti",
		},
		{
			name:    "404",
			respond: httpmock.NewStringResponder(404, "<h1>Not Found</h1>"),
			want:    "client: POST " + ep + `: 404 Not Found: there is no import endpoint here; check the base URL (https://yourschool.concordinfiniti.com) and the import path; body: "<h1>Not Found</h1>"`,
		},
		{
			name:    "503 exhausting retries",
			respond: httpmock.NewStringResponder(503, "").HeaderSet(http.Header{"Retry-After": {"2"}}),
			want:    "client: POST " + ep + ": 503 Service Unavailable after 3 attempts (Retry-After 2s): " + busy,
		},
		{
			name: "503, plain reader read, not retried",
			body: func() io.Reader { return onlyReader{strings.NewReader(sampleCSV)} },
			respond: func(r *http.Request) (*http.Response, error) {
				io.Copy(io.Discard, r.Body)
				return httpmock.NewStringResponse(503, ""), nil
			},
			want: "client: POST " + ep + ": 503 Service Unavailable: " + busy + "; not retried: part of the CSV was already sent and a plain io.Reader cannot be read again; pass an io.Seeker such as an *os.File to allow retries",
		},
		{
			name: "connection failure, plain reader partly read, not retried",
			body: func() io.Reader { return onlyReader{strings.NewReader(sampleCSV)} },
			respond: func(r *http.Request) (*http.Response, error) {
				io.ReadFull(r.Body, make([]byte, 250))
				return nil, errors.New("connection reset by peer")
			},
			want: "client: POST " + ep + ": connection reset by peer; not retried: part of the CSV was already sent and a plain io.Reader cannot be read again; pass an io.Seeker such as an *os.File to allow retries",
		},
		{
			name: "connection failure after the whole body, not retried",
			respond: func(r *http.Request) (*http.Response, error) {
				io.Copy(io.Discard, r.Body)
				return nil, errors.New("connection reset by peer")
			},
			want: "client: POST " + ep + ": connection reset by peer; not retried: the whole file had been handed to the connection, and Infiniti may have received and processed it: check the import in Infiniti before posting again",
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
			want: "client: POST " + ep + ": reading the CSV: export database offline",
		},
		{
			name:    "a server text that echoes the password",
			opts:    []Option{WithBasicAuth("autoimport", "Spring2024/library")},
			respond: httpmock.NewStringResponder(500, `{"error":"bad password Spring2024\/library"}`),
			want:    "client: POST " + ep + `: 500 Internal Server Error: Infiniti or a proxy in front of it failed; try again later, and tell the school's Infiniti support if it persists; body: "(withheld: it echoed the credentials)"`,
		},
		{
			name:    "a result with failed rows on a 422",
			respond: httpmock.NewStringResponder(422, `{"success":false,"summary":"1 user failed.","details":{"1":"User failed to import"}}`),
			want:    "client: POST " + ep + `: 422 Unprocessable Entity: Infiniti did not accept the request; body: "{"success":false,"summary":"1 user failed.","details":{"1":"User failed to import"}}"`,
		},
		{
			name:    "connection failure exhausting retries",
			respond: httpmock.NewErrorResponder(errors.New("connection refused")),
			want:    "client: POST " + ep + ": connection refused (after 3 attempts)",
		},
		{
			name: "redirect",
			respond: func(*http.Request) (*http.Response, error) {
				r := httpmock.NewStringResponse(301, "")
				r.Header.Set("Location", "https://other.example/x?y=z")
				return r, nil
			},
			want: "client: the server redirected (301 Moved Permanently) to https://other.example/x; redirects are not followed, so that the file and the password are not sent elsewhere: if that is where Infiniti is, use it as the base URL",
		},
		{
			name:    "rows failed",
			respond: httpmock.NewStringResponder(200, `{"success":false,"summary":"2 users processed. 1 user created. 0 users updated. 1 user failed.","details":{"2":"User failed to import: x"}}`),
			want:    "client: POST " + ep + ": infiniti import failed: 2 users processed. 1 user created. 0 users updated. 1 user failed.",
			wantPfx: true, // the rest is result.ImportError's
		},
		{
			name:    "non-JSON 200",
			respond: httpmock.NewStringResponder(200, "<html><title>Sign in</title></html>"),
			want:    "client: POST " + ep + ": 200 OK: not an Infiniti import result: ",
			wantPfx: true, // the reason is result.Parse's
		},
		{
			name:    "response too large",
			opts:    []Option{WithMaxResponseBytes(10)},
			respond: httpmock.NewStringResponder(200, okJSON),
			want:    "client: POST " + ep + ": the response is larger than the client reads: more than 10 bytes (WithMaxResponseBytes raises the limit)",
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
			want: "client: POST " + ep + ": context canceled",
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
			got := err.Error()
			if tt.wantPfx && strings.HasPrefix(got, tt.want) {
				got = tt.want
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if n := strings.Count(err.Error(), "client: "); n != 1 {
				t.Errorf("%d times \"client: \" in %q", n, err.Error())
			}
		})
	}
}

// Non-ASCII passwords: UTF-8 by default, ISO-8859-1 with WithAuthCharset;
// a refusal names the option (as a *ConfigError) only for such passwords.
func TestAuthCharset(t *testing.T) {
	tests := []struct {
		name     string
		user     string // "autoimport" if empty
		password string
		opts     []Option
		wantAuth []byte // the decoded Authorization credentials
		wantHint string // what a 401's *ConfigError naming WithAuthCharset says; "" for none
	}{
		{"ASCII", "", "hunter2^@&$", nil, []byte("autoimport:hunter2^@&$"), ""},
		{"UTF-8", "", nonASCIIPassword, nil, []byte("autoimport:Passw\xc3\xb6rt-2024"), "the password has non-ASCII characters, which were sent in UTF-8"},
		{"UTF-8 said", "", nonASCIIPassword, []Option{WithAuthCharset(AuthUTF8)}, []byte("autoimport:Passw\xc3\xb6rt-2024"), "the password has non-ASCII characters, which were sent in UTF-8"},
		{"Latin-1", "", nonASCIIPassword, []Option{WithAuthCharset(AuthLatin1)}, []byte("autoimport:Passw\xf6rt-2024"), "the password has non-ASCII characters, which were sent in ISO-8859-1"},
		{"Latin-1, ASCII", "", "hunter2^@&$", []Option{WithAuthCharset(AuthLatin1)}, []byte("autoimport:hunter2^@&$"), ""},
		// Review 1, nit: a non-ASCII username is sent in the charset too.
		{"non-ASCII username", "bibliothèque", "hunter2^@&$", nil, []byte("biblioth\xc3\xa8que:hunter2^@&$"), "the username has non-ASCII characters, which were sent in UTF-8"},
		{"both non-ASCII, Latin-1", "bibliothèque", nonASCIIPassword, []Option{WithAuthCharset(AuthLatin1)}, []byte("biblioth\xe8que:Passw\xf6rt-2024"), "the username and password have non-ASCII characters, which were sent in ISO-8859-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := tt.user
			if user == "" {
				user = "autoimport"
			}
			c, mt, _ := mockClient(t, "https://school.example", append([]Option{WithBasicAuth(user, tt.password)}, tt.opts...)...)
			var gotAuth []byte
			mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
				gotAuth, _ = base64.StdEncoding.DecodeString(strings.TrimPrefix(r.Header.Get("Authorization"), "Basic "))
				return httpmock.NewStringResponse(401, ""), nil
			})
			_, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			collectErr(err)
			if !bytes.Equal(gotAuth, tt.wantAuth) {
				t.Errorf("credentials sent %q, want %q", gotAuth, tt.wantAuth)
			}
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("err = %v, want ErrUnauthorized", err)
			}
			var ce *ConfigError
			if got := errors.As(err, &ce); got != (tt.wantHint != "") || got && (ce.Option != "WithAuthCharset" || !strings.HasPrefix(ce.Reason, tt.wantHint)) {
				t.Errorf("err = %v; want a *ConfigError naming WithAuthCharset that says %q", err, tt.wantHint)
			}
			if strings.Contains(err.Error(), "WithAuthCharset") != (tt.wantHint != "") {
				t.Errorf("err = %v, want the charset named: %v", err, tt.wantHint != "")
			}
		})
	}
}

// Issue 11: every mistake New finds is a *ConfigError naming the option
// that fixes it, and never repeats the URL's password.
func TestConfigError(t *testing.T) {
	tests := []struct {
		name, base string
		opts       []Option
		option     string // ConfigError.Option
		want       string // in the error's text
	}{
		{"does not parse", "https://autoimport:hunter2^@&$/x@school.example", nil, "", "does not parse"},
		{"no scheme", "school.concordinfiniti.com", nil, "", "no scheme"},
		{"another scheme", "ftp://school.example", nil, "", "does not start with https://"},
		{"scheme that is a password", "hunter2x:y@school.example", nil, "WithBasicAuth", "an @ after its host"},
		{"no host", "https:///api", nil, "", "no host"},
		{"query", "https://school.example/?tenantId=x", nil, "WithTenant", "give the tenant with WithTenant"},
		{"curl line", "https://school.example/api/import/userGroups?tenantId=T1", nil, "WithTenant", "give only the site, such as https://yourschool.concordinfiniti.com"},
		{"import path", "https://school.example/infiniti/API/Import/userGroups", nil, "", "holds an import path"},
		{"fragment", "https://school.example/#x", nil, "", "fragment"},
		{"unencoded / in the password", "https://autoimport:2024/Spring@school.example", nil, "WithBasicAuth", "an @ after its host"},
		{"unencoded # in the password", "https://autoimport:12#ab@school.example", nil, "WithBasicAuth", "an @ after its host"},
		{"dot dot", "https://school.example/a/../b", nil, "", ". or .. segment"},
		{"dot", "https://school.example/./b", nil, "", ". or .. segment"},
		{"encoded dot dot", "https://school.example/a/%2e%2e/b", nil, "", ". or .. segment"},
		{"encoded slash", "https://school.example/a%2Fb", nil, "", "encoded slash"},
		{"backslash", `https://school.example/a\b`, nil, "", "backslash"},
		{"semicolon", "https://school.example/a;b", nil, "", "path parameters"},
		{"plain http", "http://school.example", nil, "WithInsecurePlainHTTP", "use https; WithInsecurePlainHTTP allows http"},
		{"plain http to a .localhost name", "http://infiniti.localhost", nil, "WithInsecurePlainHTTP", "not a loopback host"},
		{"root CAs and an HTTP client", "https://school.example", []Option{WithRootCAs(testCertPEM), WithHTTPClient(http.DefaultClient)}, "WithRootCAs", "set RootCAs in your *http.Client's transport"},
		{"timeout and an HTTP client", "https://school.example", []Option{WithResponseHeaderTimeout(time.Minute), WithHTTPClient(http.DefaultClient)}, "WithResponseHeaderTimeout", "ResponseHeaderTimeout"},
		{"negative timeout", "https://school.example", []Option{WithResponseHeaderTimeout(-1)}, "WithResponseHeaderTimeout", "negative"},
		{"Latin-1 cannot hold it", "https://school.example", []Option{WithBasicAuth("autoimport", "пароль-2024"), WithAuthCharset(AuthLatin1)}, "WithAuthCharset", "ISO-8859-1 (Latin-1) cannot hold"},
		{"Latin-1, invalid UTF-8", "https://school.example", []Option{WithBasicAuth("autoimport", "ab\xffcd"), WithAuthCharset(AuthLatin1)}, "WithAuthCharset", "not valid UTF-8"},
		{"unknown charset", "https://school.example", []Option{WithAuthCharset(7)}, "WithAuthCharset", "the charset 7 is unknown"},
		{"credentials twice", "https://a:b@school.example", []Option{WithBasicAuth("a", "b")}, "WithBasicAuth", "given twice"},
		{"empty user in the URL", "https://:hunter2%5E%40@school.example", nil, "WithBasicAuth", "the credentials in the base URL: the username is empty"},
		{"empty tenant", "https://school.example", []Option{WithTenant("")}, "WithTenant", "WithTenant: the tenant is empty"},
		{"user agent, U+0085", "https://school.example", []Option{WithUserAgent("acme\u0085x")}, "WithUserAgent", "control characters"},
		{"user agent, U+2028", "https://school.example", []Option{WithUserAgent("acme\u2028x")}, "WithUserAgent", "control characters"},
		{"user agent, DEL", "https://school.example", []Option{WithUserAgent("acme\x7fx")}, "WithUserAgent", "control characters"},
		{"user agent, invalid UTF-8", "https://school.example", []Option{WithUserAgent("acme\xffx")}, "WithUserAgent", "not valid UTF-8"},
		{"user agent, bidi override", "https://school.example", []Option{WithUserAgent("acme\u202e1.2/cnys-sms")}, "WithUserAgent", "control characters"},
		{"user agent, zero-width space", "https://school.example", []Option{WithUserAgent("acme\u200bsync")}, "WithUserAgent", "control characters"},
		// Review 1, finding 18: an empty segment could hide an import path.
		{"empty segment before an import path", "https://school.example/api//import/userGroups", nil, "", "empty segment (//)"},
		{"empty segment", "https://school.example//infiniti", nil, "", "empty segment (//)"},
		// Review 1, nit: the host is server text of a kind; one line.
		{"plain http to a bidi host", "http://evil\u202eelpmaxe.school", nil, "WithInsecurePlainHTTP", `evil\u202eelpmaxe.school`},
		// Review 1, finding 9: a password the client shows anyway.
		{"password is the username", "https://school.example", []Option{WithBasicAuth("hunter2pw", "hunter2pw")}, "WithBasicAuth", "the password must not be the username, nor occur in"},
		{"password in the username", "https://school.example", []Option{WithBasicAuth("hunter2pw-import", "hunter2pw")}, "WithBasicAuth", "the password must not be the username, nor occur in"},
		{"password in the host", "https://hunter2pw.school.example", []Option{WithBasicAuth("autoimport", "hunter2pw")}, "WithBasicAuth", "the password must not be the username, nor occur in"},
		{"password in the path", "https://school.example/hunter2pw", []Option{WithBasicAuth("autoimport", "hunter2pw")}, "WithBasicAuth", "the password must not be the username, nor occur in"},
		{"password in the URL's own credentials and host", "https://autoimport:hunter2pw@hunter2pw.example", nil, "WithBasicAuth", "the password must not be the username, nor occur in"},
		{"password in the tenant", "https://school.example", []Option{WithBasicAuth("autoimport", "hunter2pw"), WithTenant("T-hunter2pw")}, "WithBasicAuth", "the password must not be the username, nor occur in"},
		{"nil HTTP client", "https://school.example", []Option{WithHTTPClient(nil)}, "WithHTTPClient", "nil"},
		{"negative retries", "https://school.example", []Option{WithRetry(RetryPolicy{MaxRetries: -1})}, "WithRetry", "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.base, tt.opts...)
			collectErr(err)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			if ce.Option != tt.option {
				t.Errorf("Option %q, want %q (%v)", ce.Option, tt.option, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "client: ") {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
			if !isOneLine(err.Error()) {
				t.Errorf("not one line: %q", err)
			}
			for _, secret := range []string{"hunter2", "2024/Spring", "Spring", "12#ab", "пароль"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("err shows %q: %v", secret, err)
				}
			}
			if strings.Contains(ce.Reason, "With") || strings.Contains(ce.Reason, "Auth") {
				t.Errorf("Reason names a Go option: %q", ce.Reason)
			}
		})
	}
	if got := (&ConfigError{Option: "WithTenant", Reason: "r"}).Error(); got != "client: WithTenant: r" {
		t.Errorf("a ConfigError made by hand prints %q", got)
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
		{"api/import/x", "must start with /"},
		{"/api/import/x?tenantId=1", "query"},
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

// Issue 10: the contacts import's request, and its mode checked before
// anything is sent.
func TestImportUserContacts(t *testing.T) {
	const csv = "username,type,role,primary,addressee,contact,sms,scenarios\njsmith,email,patron,True,John,js@example.com,,ANY\n"
	tests := []struct {
		mode    ContactsMode
		wantURL string
		wantErr string
	}{
		{mode: ContactsReplaceDeclaredPatronsKeepCustomContacts, wantURL: "https://school.example/infiniti/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts?tenantId=T1"},
		{mode: "someOther_mode-2", wantURL: "https://school.example/infiniti/api/import/userContacts/someOther_mode-2?tenantId=T1"},
		{mode: "", wantErr: "mode is empty"},
		{mode: "../userGroups", wantErr: `has '.' at byte 1`},
		{mode: "a/b", wantErr: `has '/' at byte 2`},
		{mode: "a;b", wantErr: `has ';'`},
		{mode: "a%2Fb", wantErr: `has '%'`},
		{mode: "a b", wantErr: `has ' '`},
		{mode: "modé", wantErr: `has 'é'`},
		{mode: "a?tenantId=x", wantErr: `has '?'`},
		{mode: ContactsMode(strings.Repeat("m", 101)), wantErr: "101 bytes long"},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			c, mt, _ := mockClient(t, "https://school.example/infiniti", WithTenant("T1"))
			var got []captured
			mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
				got = append(got, capture(t, r))
				return httpmock.NewStringResponse(200, okJSON), nil
			})
			_, err := c.ImportUserContacts(context.Background(), tt.mode, strings.NewReader(csv))
			collectErr(err)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				if !errors.Is(err, ErrInvalidPath) {
					t.Errorf("errors.Is(%v, ErrInvalidPath) = false", err)
				}
				if len(got) != 0 {
					t.Errorf("%d requests sent for a bad mode", len(got))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d requests", len(got))
			}
			want := []capturedPart{{FormName: "file", FileName: "user-contacts.csv", ContentType: "text/csv", Content: csv}}
			if got[0].URL != tt.wantURL {
				t.Errorf("URL %s, want %s", got[0].URL, tt.wantURL)
			}
			if diff := cmp.Diff(want, got[0].Parts); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
		})
	}
}

// The response-header timeout: from the end of the upload to the
// response headers, with the SDK's own transport only.
func TestResponseHeaderTimeout(t *testing.T) {
	t.Run("server stalls after the upload", func(t *testing.T) {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done() // until the client gives up
		}))
		defer srv.Close()
		c, w := newClient(t, srv.URL, WithResponseHeaderTimeout(50*time.Millisecond))
		res, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
		collectErr(err)
		if !errors.Is(err, ErrResponseTimeout) || res != nil {
			t.Fatalf("err = %v, want ErrResponseTimeout", err)
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			t.Errorf("err = %v matches a context error; the caller's context is live", err)
		}
		if hits.Load() != 1 || len(w.get()) != 0 {
			t.Errorf("%d requests, waits %v: a response timeout must not be retried", hits.Load(), w.get())
		}
		want := "client: POST " + srv.URL + "/api/import/userGroups: the whole file was handed to the connection, but no response came within 50ms (the response-header timeout, counted from when the last byte was written to the connection: over a slow link the operating system may then still be sending the last megabytes); Infiniti may still be processing it, so it was not sent again: check the import in Infiniti, and raise the limit with WithResponseHeaderTimeout if large files take longer"
		if err.Error() != want {
			t.Errorf("err = %v\nwant  %v", err, want)
		}
	})
	t.Run("a slow upload is not cut", func(t *testing.T) {
		// End to end, with wide margins: the upload stalls for three times
		// the timeout; the server answers as soon as it has read it, which
		// takes far less than the timeout even on a loaded machine.
		// TestBodyEndStartsClock checks the same without a clock.
		if testing.Short() {
			t.Skip("takes 3s")
		}
		srv, got := discardServer(t)
		c, _ := newClient(t, srv.URL, WithResponseHeaderTimeout(time.Second))
		body := &slowReader{r: strings.NewReader(sampleCSV), at: 40, pause: 3 * time.Second}
		if _, err := c.ImportUserGroups(context.Background(), body); err != nil {
			t.Fatalf("an upload longer than the timeout: %v", collectErr(err))
		}
		if got.Load() != int64(len(sampleCSV)) {
			t.Errorf("server got %d bytes, want %d", got.Load(), len(sampleCSV))
		}
	})
	t.Run("limits", func(t *testing.T) {
		tests := []struct {
			opts []Option
			want time.Duration
		}{
			{nil, 10 * time.Minute},
			{[]Option{WithResponseHeaderTimeout(time.Hour)}, time.Hour},
			{[]Option{WithResponseHeaderTimeout(0)}, 0},
			{[]Option{WithHTTPClient(http.DefaultClient)}, 0}, // the caller's timeouts rule
		}
		for _, tt := range tests {
			c, _ := newClient(t, "https://school.example", tt.opts...)
			if c.headerTimeout != tt.want {
				t.Errorf("%d options: timeout %v, want %v", len(tt.opts), c.headerTimeout, tt.want)
			}
		}
	})
}

// The response-header clock (onEnd) starts on the read that returns the
// body's last byte, and not before, however the upload is read.
func TestBodyEndStartsClock(t *testing.T) {
	tests := []struct {
		name  string
		size  int64 // -1: unknown, sent chunked
		chunk int   // bytes the transport asks for at a time
	}{
		{name: "known size, small reads", size: int64(len(sampleCSV)), chunk: 7},
		{name: "known size, one read", size: int64(len(sampleCSV)), chunk: 1 << 16},
		{name: "unknown size, small reads", size: -1, chunk: 7},
		{name: "unknown size, one read", size: -1, chunk: 1 << 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ends int
			content := io.NopCloser(iotest.HalfReader(strings.NewReader(sampleCSV)))
			body, length, _, err := multipartBody(content, tt.size, "x.csv", func() { ends++ })
			if err != nil {
				t.Fatal(err)
			}
			defer body.Close()
			type event struct {
				Read  int64 // bytes read when the clock was started
				Calls int
			}
			var got []event
			var n int64
			p := make([]byte, tt.chunk)
			for i := 0; i < 10000; i++ { // bounded: the body is a few hundred bytes
				m, err := body.Read(p)
				n += int64(m)
				if ends > 0 && len(got) == 0 {
					got = append(got, event{Read: n, Calls: ends})
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if length >= 0 && n != length {
				t.Fatalf("read %d bytes, the body's length is %d", n, length)
			}
			got = append(got, event{Read: n, Calls: ends})
			want := []event{{Read: n, Calls: 1}, {Read: n, Calls: 1}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the clock started at the wrong read (-want +got):\n%s", diff)
			}
		})
	}
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
				`level=ERROR msg="autosync: import failed" endpoint=https://school.example/api/import/userGroups status=200 bytes=` + fmt.Sprint(len(sampleCSV)) + ` attempts=1 processed=2 created=1 updated=0 failed=1 failed_rows=1 error="client: POST https://school.example/api/import/userGroups: infiniti import failed: 2 users processed. 1 user created. 0 users updated. 1 user failed."`,
			}
			if level == slog.LevelDebug {
				want = slices.Insert(want, 1, `level=DEBUG msg="autosync: row outcome" endpoint=https://school.example/api/import/userGroups row=2 status=failed message="User mjones failed to import: Field (library-group) Library group (Year 9) does not exist."`,
					`level=DEBUG msg="autosync: import failed, in full" endpoint=https://school.example/api/import/userGroups error="client: POST https://school.example/api/import/userGroups: infiniti import failed: 2 users processed. 1 user created. 0 users updated. 1 user failed.; row 2: User mjones failed to import: Field (library-group) Library group (Year 9) does not exist."`)
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
