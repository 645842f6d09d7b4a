package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/google/go-cmp/cmp"
)

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
		{"seekable, body read", func() io.Reader { return strings.NewReader(sampleCSV) }, -1, 1, "the whole file was handed over"},
		{"plain reader, nothing read", func() io.Reader { return onlyReader{strings.NewReader(sampleCSV)} }, 0, 3, ""},
		{"plain reader, part read", func() io.Reader { return onlyReader{strings.NewReader(sampleCSV)} }, 300, 1, ""},
		{"plain reader, body read", func() io.Reader { return onlyReader{strings.NewReader(sampleCSV)} }, -1, 1, "the whole file was handed over"},
		{"rows, body read", nil, -1, 1, "the whole file was handed over"},
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
		{"client's Timeout", func(hc *http.Client) { hc.Timeout = 250 * time.Millisecond }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each waits for its timeout
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
			if !strings.Contains(fmt.Sprint(err), "the whole file was handed over") {
				t.Errorf("err = %v", err)
			}
		})
	}
}
