package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/clienttest"
)

// roundTripFunc is an in-process transport.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// fuzzStatuses are the statuses a fuzzed server answers with.
var fuzzStatuses = []int{200, 201, 301, 302, 307, 400, 401, 403, 404, 413, 429, 500, 502, 503, 504}

// fuzzServer answers with text in one of several places: the body, a
// result's summary, row message or row key, the Unauthorised summary, the
// Location or Retry-After header, or a transport error.
func fuzzServer(scenario, status uint8, text string) roundTripFunc {
	code := fuzzStatuses[int(status)%len(fuzzStatuses)]
	js := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	return func(r *http.Request) (*http.Response, error) {
		io.Copy(io.Discard, r.Body)
		resp := &http.Response{StatusCode: code, Header: http.Header{}, Request: r}
		body := text
		switch scenario % 10 {
		case 1:
			resp.StatusCode, body = 200, js(map[string]any{"success": false, "summary": text})
		case 2:
			resp.StatusCode, body = 200, js(map[string]any{"success": false, "summary": "1 user failed.", "details": map[string]string{"1": text}})
		case 3:
			body = js(map[string]any{"success": false, "summary": "Unauthorised. " + text})
		case 4:
			resp.StatusCode = 302
			resp.Header["Location"] = []string{"https://sso.example/" + text}
		case 5:
			resp.StatusCode = 503
			resp.Header["Retry-After"] = []string{text}
		case 6:
			return nil, errors.New(text)
		case 7:
			resp.StatusCode, body = 200, js(map[string]any{"success": false, "summary": "x", "details": map[string]string{text: "User Created"}})
		case 8:
			body = js(map[string]any{"success": false, "summary": text})
		case 9:
			resp.StatusCode = 401
		}
		resp.Body = io.NopCloser(strings.NewReader(body))
		return resp, nil
	}
}

// pointers matches the addresses fmt prints, which differ between runs.
var pointers = regexp.MustCompile(`0x[0-9a-f]+`)

// fuzzOutputs runs one import against srv and returns everything the
// client lets out: the error's text in every verb, its fields, the client
// printed, and the log records at Debug level, text and JSON.
func fuzzOutputs(t *testing.T, user, password string, srv roundTripFunc) string {
	t.Helper()
	var logs bytes.Buffer
	drop := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == "duration" {
			return slog.Attr{}
		}
		return a
	}
	opts := &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: drop}
	text := slog.New(slog.NewTextHandler(&logs, opts))
	jsonl := slog.New(slog.NewJSONHandler(&logs, opts))
	c, err := New("https://school.example/infiniti", WithBasicAuth(user, password), WithTenant("T1"),
		WithHTTPClient(&http.Client{Transport: srv}), WithLogger(slog.New(multiHandler{text.Handler(), jsonl.Handler()})),
		WithRetry(RetryPolicy{MaxRetries: 1}))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	_, err = c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
	var out strings.Builder
	if err != nil {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			fmt.Fprintf(&out, verb+"\n", err)
		}
		var se *StatusError
		if errors.As(err, &se) {
			fmt.Fprintf(&out, "%+v %#v %s\n", *se, *se, se.Snippet)
		}
		var re *RedirectError
		if errors.As(err, &re) {
			fmt.Fprintf(&out, "%+v %s\n", *re, re.Location)
		}
		text.Error("err", "err", err)
		jsonl.Error("err", "err", err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		fmt.Fprintf(&out, verb+" "+verb+"\n", c, *c)
	}
	text.Info("client", "c", c)
	jsonl.Info("client", "c", c)
	out.Write(logs.Bytes())
	return pointers.ReplaceAllString(out.String(), "0xPTR")
}

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

// FuzzRedaction: for a password of at least 8 bytes and server text that
// echoes it in one of its forms (raw, base64 of user:password or of the
// password alone in four encodings, query- or path-escaped, JSON-escaped),
// placed in a body, a result, a header or a transport error, no error
// string, log record or fmt output of the client holds any form of the
// password. A control run, with another password and the echo replaced by
// [REDACTED], tells the client's own words, the base URL, the username
// and the rest of the server's text (which can meet the password by
// chance) from a leak: a form counts as leaked when it shows in the run
// with the password and not in the control run.
func FuzzRedaction(f *testing.F) {
	for i, pw := range []string{clienttest.DefaultPassword, trickyPassword, "hunter2^@&$", "correct horse battery", "pässwörd\x00\xff"} {
		for scenario := range 10 {
			f.Add(pw, "<html>Login failed for autoimport: ", uint8(scenario), uint8(i*3+scenario), uint8(i+scenario))
		}
	}
	f.Add("Unauthorised", "x", uint8(3), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, password, text string, scenario, form, status uint8) {
		const user = "autoimport"
		if len(password) < 8 || len(password) > 128 || len(text) > 2048 ||
			strings.Contains("https://school.example/infiniti/api/import/userGroups?tenantId=T1", password) || strings.Contains(user, password) {
			return
		}
		forms := passwordForms(user, password)
		if leaked(text, forms) != "" {
			return // the fuzzer's own text holds the password: the control run could not tell
		}
		echo := forms[int(form)%len(forms)]
		cut := len(text) / 2
		got := fuzzOutputs(t, user, password, fuzzServer(scenario, status, text[:cut]+echo+text[cut:]))
		control := strings.Repeat("Q", len(password))
		if !isASCII(password) {
			control = "Qé" + control[3:]
		}
		if control == password {
			control = strings.Repeat("Z", len(password))
		}
		want := fuzzOutputs(t, user, control, fuzzServer(scenario, status, text[:cut]+redacted+text[cut:]))
		for _, f := range forms {
			if strings.Contains(got, f) && !strings.Contains(want, f) {
				t.Fatalf("the password shows as %q in:\n%s", f, got)
			}
		}
	})
}
