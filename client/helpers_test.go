package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

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
// record or fmt output may hold (issue 8's list): the password as it is;
// base64 of user:password and of the password alone, standard, URL-safe
// and unpadded; query- and path-percent-encoded; JSON-escaped. It is the
// tests' own list, independent of the client's.
func passwordForms(user, password string) []string {
	forms := []string{password, url.QueryEscape(password), url.PathEscape(password)}
	j, _ := json.Marshal(password)
	forms = append(forms, string(j[1:len(j)-1]))
	for _, plain := range []string{user + ":" + password, password} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			forms = append(forms, enc.EncodeToString([]byte(plain)))
		}
	}
	return forms
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
