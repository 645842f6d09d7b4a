package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
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
	"github.com/google/go-cmp/cmp"
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
// requests; https to a school goes through the environment's proxy. So
// does a transport from NewTransport.
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
			shared, _ := NewTransport()
			for _, tr := range []*http.Transport{c.own, shared} {
				calls.Store(0)
				req, _ := http.NewRequest("POST", c.BaseURL()+UserGroupsPath, nil)
				got, err := tr.Proxy(req)
				if err != nil {
					t.Fatal(err)
				}
				if (got != nil) != tt.proxy || (calls.Load() == 1) != tt.proxy {
					t.Errorf("proxy %v (environment asked %d times), want a proxy: %v", got, calls.Load(), tt.proxy)
				}
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
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
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

// NewTransport builds the transport that New builds for a client itself,
// with the same options, and refuses bad input.
func TestNewTransport(t *testing.T) {
	type shape struct {
		Timeout    time.Duration
		RootCAs    bool
		MinVersion uint16
		Pool       [3]any // MaxIdleConns, MaxIdleConnsPerHost, IdleConnTimeout
	}
	shapeOf := func(tr *http.Transport) shape {
		pool := [3]any{tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.IdleConnTimeout}
		return shape{tr.ResponseHeaderTimeout, tr.TLSClientConfig.RootCAs != nil, tr.TLSClientConfig.MinVersion, pool}
	}
	pool := [3]any{100, 100, 90 * time.Second}
	tests := []struct {
		name   string
		opts   []TransportOption
		want   shape
		option string // the ConfigError's Option; "" for none
	}{
		{"defaults", nil, shape{DefaultResponseHeaderTimeout, false, tls.VersionTLS12, pool}, ""},
		{"answer limit", []TransportOption{WithResponseHeaderTimeout(time.Minute)}, shape{time.Minute, false, tls.VersionTLS12, pool}, ""},
		{"no answer limit", []TransportOption{WithResponseHeaderTimeout(0)}, shape{0, false, tls.VersionTLS12, pool}, ""},
		{"root CAs", []TransportOption{nil, WithRootCAs(testCertPEM)}, shape{DefaultResponseHeaderTimeout, true, tls.VersionTLS12, pool}, ""},
		{"negative answer limit", []TransportOption{WithResponseHeaderTimeout(-time.Second)}, shape{}, "WithResponseHeaderTimeout"},
		{"no certificate", []TransportOption{WithRootCAs([]byte("not PEM"))}, shape{}, "WithRootCAs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := NewTransport(tt.opts...)
			var opts []Option
			for _, o := range tt.opts {
				opts = append(opts, o)
			}
			c, cerr := New("https://school.example", opts...)
			if tt.option != "" {
				var ce, cce *ConfigError
				if !errors.As(collectErr(err), &ce) || ce.Option != tt.option || tr != nil || !errors.As(cerr, &cce) || cce.Option != tt.option {
					t.Fatalf("NewTransport: %v, New: %v; want *ConfigErrors naming %s", err, cerr, tt.option)
				}
				return
			}
			if err != nil || cerr != nil {
				t.Fatalf("NewTransport: %v, New: %v", collectErr(err), collectErr(cerr))
			}
			if diff := cmp.Diff(tt.want, shapeOf(tr)); diff != "" {
				t.Errorf("NewTransport (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, shapeOf(c.own)); diff != "" {
				t.Errorf("a client's own transport (-want +got):\n%s", diff)
			}
		})
	}
}

// connServer is a plain-http server on 127.0.0.1 that answers every
// import with okJSON and counts the connections made to it.
func connServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, okJSON)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// One transport from NewTransport serves many clients: they share its
// connections, and each reports its answer limit.
func TestWithTransport(t *testing.T) {
	srv, conns := connServer(t)
	tr, err := NewTransport(WithResponseHeaderTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"T1", "T2", "T3"} {
		c, _ := newClient(t, srv.URL, WithTransport(tr), WithTenant(tenant))
		if _, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV)); err != nil {
			t.Fatalf("%s: %v", tenant, collectErr(err))
		}
		if got := c.ResponseHeaderTimeout(); got != time.Minute {
			t.Errorf("%s: ResponseHeaderTimeout() = %v, want the transport's 1m0s", tenant, got)
		}
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("three clients on one transport made %d connections, want 1", got)
	}
	// A shared transport tuned after New: the client reports its limit as
	// it is now, which the sync job's in-flight rule reads.
	c, _ := newClient(t, srv.URL, WithTransport(tr))
	tr.ResponseHeaderTimeout = 30 * time.Minute
	if got := c.ResponseHeaderTimeout(); got != 30*time.Minute {
		t.Errorf("after tuning the shared transport, ResponseHeaderTimeout() = %v, want 30m0s", got)
	}
}

// A transport from NewTransport keeps the idle connections of many
// clients of one host: two rounds of ten imports at once, each held at the
// server until all ten arrived, make ten connections, not eighteen as with
// Go's default of two idle connections per host.
func TestSharedTransportKeepsIdleConnections(t *testing.T) {
	const n = 10
	var mu sync.Mutex
	arrived, gate := 0, make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		g := gate
		if arrived++; arrived%n == 0 { // the round is complete
			close(gate)
			gate = make(chan struct{})
		}
		mu.Unlock()
		<-g
		io.WriteString(w, okJSON)
	}))
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	tr, _ := NewTransport()
	for range 2 {
		var wg sync.WaitGroup
		for i := range n {
			c, _ := newClient(t, srv.URL, WithTransport(tr), WithTenant(fmt.Sprint("T", i)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV)); err != nil {
					t.Error(collectErr(err))
				}
			}()
		}
		wg.Wait()
	}
	if got := conns.Load(); got != n {
		t.Errorf("two rounds of %d imports at once made %d connections, want %d", n, got, n)
	}
}

// CloseIdleConnections closes a transport the client built itself, and
// leaves alone one it was given, which other clients may be using.
func TestCloseIdleConnections(t *testing.T) {
	tests := []struct {
		name   string
		shared bool
		want   int32 // connections for two imports with a close between
	}{
		{"own transport", false, 2},
		{"shared transport", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, conns := connServer(t)
			var opts []Option
			if tt.shared {
				tr, _ := NewTransport()
				opts = append(opts, WithTransport(tr))
			}
			c, _ := newClient(t, srv.URL, opts...)
			for range 2 {
				if _, err := c.ImportUserGroups(context.Background(), strings.NewReader(sampleCSV)); err != nil {
					t.Fatal(collectErr(err))
				}
				c.CloseIdleConnections()
			}
			if got := conns.Load(); got != tt.want {
				t.Errorf("%d connections, want %d", got, tt.want)
			}
		})
	}
}
