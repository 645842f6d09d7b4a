package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/autosync-go/autosync/client/clienttest"
)

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
	htmlRefs := func(s, format string) string {
		var out strings.Builder
		for _, r := range s {
			fmt.Fprintf(&out, format, r)
		}
		return out.String()
	}
	q := strconv.Quote(password)
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
		{"html", html.EscapeString(password)},
		{"html, decimal references", htmlRefs(password, "&#%d;")},
		{"html, hex references", htmlRefs(password, "&#x%X;")},
		{"go %q", q[1 : len(q)-1]},
		{"json of the query escape, every character as \\u", jsonASCII(url.QueryEscape(password), false, true)},
		{"html of json", html.EscapeString(jsonGo(password))},
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
