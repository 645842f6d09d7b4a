package client

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/clienttest"
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
		if !strings.Contains(err.Error(), "the whole file was handed over") {
			t.Errorf("err = %v", err)
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
			var got time.Duration
			if tr, ok := c.hc.Transport.(redirectStopper).rt.(*http.Transport); ok {
				got = tr.ResponseHeaderTimeout
			}
			if got != tt.want {
				t.Errorf("%d options: timeout %v, want %v", len(tt.opts), got, tt.want)
			}
		}
	})
}

// A certificate error is never retried and never reaches the handler, and
// a caller tells a certificate for another host from one of an unknown
// authority with errors.As, so that it does not advise trusting a
// certificate that is for the wrong host.
func TestCertificateErrors(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	tests := []struct {
		name, base string
		opts       []Option
		hostname   bool // want an x509.HostnameError, else an x509.UnknownAuthorityError
		want       string
	}{
		{"unknown authority", srv.URL, nil, false, "the server's certificate is from an unknown authority"},
		{"another host", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), []Option{WithRootCAs(certPEM)}, true, "the server's certificate is for another host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, w := newClient(t, tt.base, append(tt.opts, WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))...)
			res, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV))
			collectErr(err)
			if !errors.Is(err, ErrCertificate) || res != nil {
				t.Fatalf("err = %v, want ErrCertificate", err)
			}
			if got := errors.As(err, new(x509.HostnameError)); got != tt.hostname || got == errors.As(err, new(x509.UnknownAuthorityError)) {
				t.Errorf("err = %v: HostnameError %v, want %v, and not both", err, got, tt.hostname)
			}
			if !strings.Contains(err.Error(), tt.want) || !isOneLine(err.Error()) {
				t.Errorf("err = %q, want one line with %q", err, tt.want)
			}
			if len(w.get()) != 0 || len(srv.Requests()) != 0 {
				t.Errorf("%d waits, %d requests: a certificate error must not be retried nor reach the handler", len(w.get()), len(srv.Requests()))
			}
		})
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
