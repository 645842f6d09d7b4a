package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// The whole body counts as handed over on the read that returns its last
// byte, and not before, however the upload is read.
func TestBodyHandedOver(t *testing.T) {
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
			csv := &counter{r: iotest.HalfReader(strings.NewReader(sampleCSV))}
			body, _ := newBody(csv, tt.size, "x.csv", true, &watchdog{limit: time.Hour, timer: time.AfterFunc(time.Hour, func() {})})
			defer body.Close()
			var n, at int64
			p := make([]byte, tt.chunk)
			for i := 0; i < 10000; i++ { // bounded: the body is a few hundred bytes
				m, err := body.Read(p)
				n += int64(m)
				if body.handedOver.Load() && at == 0 {
					at = n
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if body.length >= 0 && n != body.length {
				t.Fatalf("read %d bytes, the body's length is %d", n, body.length)
			}
			if at != n {
				t.Errorf("handed over at byte %d of %d", at, n)
			}
		})
	}
}

// genCSV produces size bytes of user-groups CSV on the fly, never holding
// more than one line.
type genCSV struct {
	size, off int64
	buf, line []byte
	n         int
}

func newGenCSV(size int64) *genCSV { return &genCSV{size: size} }

func (g *genCSV) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	total := 0
	for total < len(p) && g.off < g.size {
		if len(g.line) == 0 {
			if g.n == 0 {
				g.line = []byte("username,library-group,system-group\n")
			} else {
				g.buf = fmt.Appendf(g.buf[:0], "student%09d,Year %d Blue House,Students\n", g.n, 7+g.n%6)
				g.line = g.buf
			}
			g.n++
		}
		n := copy(p[total:], g.line)
		if rest := g.size - g.off; int64(n) > rest {
			n = int(rest)
		}
		g.line = g.line[n:]
		total += n
		g.off += int64(n)
	}
	return total, nil
}

// discardServer counts the CSV bytes of each upload and throws them away.
func discardServer(t testing.TB) (*httptest.Server, *atomic.Int64) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		mr := multipart.NewReader(r.Body, params["boundary"])
		p, err := mr.NextPart()
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		n, _ := io.Copy(io.Discard, p)
		got.Store(n)
		io.WriteString(w, okJSON)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

// A 200 MB upload from a file keeps the live heap under 16 MiB: the body
// streams. The heap is sampled during the upload.
func TestStreamingHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and posts a 200 MB file")
	}
	const size = 200 << 20
	const limit = 16 << 20
	path := uploadFile(t, size)
	srv, got := discardServer(t)
	c, _ := newClient(t, srv.URL)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	runtime.GC()
	done := make(chan struct{})
	var peak atomic.Uint64
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				peak.Store(max(peak.Load(), ms.HeapAlloc))
			}
		}
	}()
	res, err := c.ImportUserGroups(context.Background(), f)
	close(done)
	if err != nil {
		t.Fatal(collectErr(err))
	}
	if !res.Success || got.Load() != size {
		t.Fatalf("server got %d bytes (result %+v), want %d", got.Load(), res, size)
	}
	t.Logf("peak heap during a %d MiB upload: %.1f MiB", size>>20, float64(peak.Load())/(1<<20))
	if peak.Load() > limit {
		t.Errorf("peak heap %d MiB during the upload, want under %d MiB: the body does not stream", peak.Load()>>20, limit>>20)
	}
}

// uploadFile writes a generated CSV of size bytes to a temporary file.
func uploadFile(tb testing.TB, size int64) string {
	path := filepath.Join(tb.TempDir(), "user-groups.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(f, newGenCSV(size)); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// rawDiscardServer throws every request body away, counting its bytes.
func rawDiscardServer(b *testing.B) (*httptest.Server, *atomic.Int64) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
		io.WriteString(w, okJSON)
	}))
	b.Cleanup(srv.Close)
	return srv, &got
}

const uploadSize = 64 << 20

// BenchmarkUpload posts a 64 MB CSV file to a local server that discards
// it, and, as its baseline in the same run, curl -F posting the same file
// to the same server. The metric "speed/curl" is curl's time over the
// SDK's: the target is at least 1/1.1.
func BenchmarkUpload(b *testing.B) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		b.Skip("curl is not installed")
	}
	path := uploadFile(b, uploadSize)
	srv, got := rawDiscardServer(b)
	c, _ := newClient(b, srv.URL)
	b.SetBytes(uploadSize)
	b.ReportAllocs()
	var sdk, baseline time.Duration
	for b.Loop() {
		t0 := time.Now()
		if out, err := exec.Command(curl, "-sS", "-o", os.DevNull, "-F", "file=@"+path, srv.URL+UserGroupsPath).CombinedOutput(); err != nil {
			b.Fatalf("curl: %v\n%s", err, out)
		}
		t1 := time.Now()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		_, err = c.ImportUserGroups(context.Background(), f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		sdk += time.Since(t1)
		baseline += t1.Sub(t0)
		if got.Load() < uploadSize {
			b.Fatalf("server got %d bytes", got.Load())
		}
	}
	b.ReportMetric(float64(baseline)/float64(sdk), "speed/curl")
}

// watchedSeeker counts the Reads made after done is set.
type watchedSeeker struct {
	*strings.Reader
	done atomic.Bool
	late atomic.Int32
}

func (w *watchedSeeker) Read(p []byte) (int, error) {
	if w.done.Load() {
		w.late.Add(1)
	}
	return w.Reader.Read(p)
}

// Once an import of an io.Seeker has returned, nothing reads it, even when
// the server answered before it read the whole upload: the caller may Seek
// it at once.
func TestSeekerNotReadAfterReturn(t *testing.T) {
	url, done := earlyServer(t, 1<<20, http.StatusOK, okJSON) // part of the upload, then the answer
	c, _ := newClient(t, url)
	csv := &watchedSeeker{Reader: strings.NewReader(strings.Repeat("jsmith,Year 7,Students\n", 1<<20/2))}
	_, err := c.ImportUserGroups(context.Background(), csv)
	csv.done.Store(true)
	collectErr(err)
	<-done // the server read all the transport sent until it gave up the connection
	if n := csv.late.Load(); n != 0 {
		t.Errorf("%d Reads of the CSV after the call returned", n)
	}
}

// A connection that makes no progress for the stall limit, while the
// transport writes the upload or reads the answer's body, is cut as a
// connection error, not as the caller's cancellation. The wait for the
// answer's headers is the response-header timeout's, not the watchdog's.
func TestStalledConnection(t *testing.T) {
	const limit = 100 * time.Millisecond
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, quit <-chan struct{})
		want    string // in the error; "" for a success
		handed  bool   // Stats.HandedOver
	}{
		{
			name: "the server stops reading the upload",
			handler: func(w http.ResponseWriter, r *http.Request, quit <-chan struct{}) {
				<-quit
				hangUp(w) // the Go server would wait half a second to close
			},
			want: ": the connection stalled",
		},
		{
			name: "the server stops sending its answer",
			handler: func(w http.ResponseWriter, r *http.Request, quit <-chan struct{}) {
				io.Copy(io.Discard, r.Body)
				io.WriteString(w, `{"success":true,`)
				w.(http.Flusher).Flush()
				<-quit
			},
			want:   "200 OK, then reading the body failed: the connection stalled",
			handed: true,
		},
		{
			name: "the server takes its time to answer",
			handler: func(w http.ResponseWriter, r *http.Request, quit <-chan struct{}) {
				io.Copy(io.Discard, r.Body)
				select { // twice the limit, unless the test ends
				case <-time.After(2 * limit):
				case <-quit:
				}
				io.WriteString(w, okJSON)
			},
			handed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each waits for its limit
			quit := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tt.handler(w, r, quit) }))
			defer srv.Close()
			defer close(quit)
			c, _ := newClient(t, srv.URL)
			c.stall = limit
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var st Stats
			var body io.Reader = strings.NewReader(sampleCSV)
			if !tt.handed {
				body = newGenCSV(1 << 30) // more than the connection's buffers hold
			}
			_, err := c.ImportUserGroups(WithStats(ctx, &st), body)
			collectErr(err)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v matches the context's errors; the caller's context is live", err)
			}
			if st.HandedOver != tt.handed || st.Attempts != 1 {
				t.Errorf("%+v, want HandedOver %v after 1 attempt", st, tt.handed)
			}
		})
	}
}

// The stall limit watches the upload's last bytes too. The transport says
// the request is written before it flushes what it buffered (all of a
// small file), and starts its answer limit only after that flush. A
// connection with no buffer (net.Pipe) whose server stops reading shows
// both cases.
func TestStallLastChunk(t *testing.T) {
	tests := []struct {
		name   string
		rows   int   // of the CSV
		unread int64 // bytes of the body the server leaves unread
	}{
		{"the server stops in the middle", 20000, 1 << 16},
		{"the server stops before the last bytes", 20000, 10}, // the transport writes them after the body's last Read
		{"the server stops before a small file", 10, 1 << 20}, // the file is in the transport's last flush
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each waits for its limit
			tr, err := NewTransport(WithResponseHeaderTimeout(50 * time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			quit := make(chan struct{})
			defer close(quit)
			tr.DialContext = func(context.Context, string, string) (net.Conn, error) {
				cli, srv := net.Pipe()
				go func() {
					defer srv.Close()
					req, err := http.ReadRequest(bufio.NewReaderSize(srv, 16)) // no read-ahead to speak of
					if err == nil {
						io.CopyN(io.Discard, req.Body, max(req.ContentLength-tt.unread, 0))
					}
					<-quit
				}()
				return cli, nil
			}
			c, _ := newClient(t, "http://127.0.0.1:1", WithTransport(tr))
			c.stall = 50 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err = c.ImportUserGroups(ctx, strings.NewReader(strings.Repeat("u1,Year 7,Students\n", tt.rows)))
			if err == nil || !strings.Contains(err.Error(), "the connection stalled") || errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want the connection stalled", collectErr(err))
			}
		})
	}
}

// gateReader is a CSV whose Read says so on entered, then blocks until
// gate is closed; it counts its Reads.
type gateReader struct {
	entered, gate chan struct{}
	reads         atomic.Int32
}

func newGateReader() *gateReader {
	return &gateReader{entered: make(chan struct{}, 1), gate: make(chan struct{})}
}

func (g *gateReader) Read(p []byte) (int, error) {
	g.reads.Add(1)
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.gate
	return copy(p, "x"), nil
}

// testBody is a body over r with a watchdog that never fires.
func testBody(t *testing.T, r io.Reader, hold bool) *body {
	watch := &watchdog{limit: time.Hour, timer: time.AfterFunc(time.Hour, func() {})}
	t.Cleanup(func() { watch.timer.Stop() })
	return &body{r: r, length: -1, hold: hold, watch: watch}
}

// A Read after Close fails without reading the caller's CSV.
func TestBodyReadAfterClose(t *testing.T) {
	for _, hold := range []bool{true, false} {
		t.Run(fmt.Sprintf("hold=%v", hold), func(t *testing.T) {
			g := newGateReader()
			close(g.gate)
			b := testBody(t, g, hold)
			b.Close()
			n, err := b.Read(make([]byte, 8))
			if n != 0 || err != errBodyClosed {
				t.Errorf("Read = %d, %v; want 0, %v", n, err, errBodyClosed)
			}
			if r := g.reads.Load(); r != 0 {
				t.Errorf("the CSV was read %d times after Close", r)
			}
		})
	}
}

// With hold (a seeker), Close waits for a Read in progress, whose data
// stands; without it, Close returns at once and the late Read's data is
// discarded. Either way nothing reads the CSV once Close has returned.
func TestBodyCloseDuringRead(t *testing.T) {
	tests := []struct {
		hold  bool
		wantN int
		want  error
	}{
		{hold: true, wantN: 1},
		{hold: false, want: errBodyClosed},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("hold=%v", tt.hold), func(t *testing.T) {
			g := newGateReader()
			b := testBody(t, g, tt.hold)
			type result struct {
				n   int
				err error
			}
			read := make(chan result, 1)
			go func() {
				n, err := b.Read(make([]byte, 8))
				read <- result{n, err}
			}()
			<-g.entered
			closed := make(chan struct{})
			go func() {
				b.Close()
				close(closed)
			}()
			if tt.hold {
				waitForCloseBlocked(t, closed)
			} else {
				<-closed
			}
			close(g.gate)
			got := <-read
			<-closed
			if got.n != tt.wantN || got.err != tt.want {
				t.Errorf("Read = %d, %v; want %d, %v", got.n, got.err, tt.wantN, tt.want)
			}
		})
	}
}

// waitForCloseBlocked returns once a goroutine waits in body.Close for the
// body's lock; it fails the test if Close returns first, or if no Close
// is seen waiting within a bound that only a broken Close reaches.
func waitForCloseBlocked(t *testing.T, closed <-chan struct{}) {
	t.Helper()
	buf := make([]byte, 1<<20)
	bound := time.After(30 * time.Second)
	for {
		select {
		case <-closed:
			t.Fatal("Close returned while a Read was in progress")
		case <-bound:
			t.Fatal("Close neither returned nor waited for the body's lock")
		default:
		}
		stacks := string(buf[:runtime.Stack(buf, true)])
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "(*body).Close(") && strings.Contains(g, "Mutex).lockSlow(") {
				return
			}
		}
		runtime.Gosched()
	}
}

// Once Import has returned, its body reads nothing of the caller's CSV,
// even from a transport that kept it without closing it.
func TestImportClosesBody(t *testing.T) {
	var kept io.Reader
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		kept = r.Body
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader(okJSON)), Request: r}, nil
	})}
	c, _ := newClient(t, "https://school.example", WithHTTPClient(hc))
	csv := &watchedSeeker{Reader: strings.NewReader(sampleCSV)}
	if _, err := c.ImportUserGroups(context.Background(), csv); err != nil {
		t.Fatal(collectErr(err))
	}
	csv.done.Store(true)
	if _, err := io.Copy(io.Discard, kept); err != errBodyClosed {
		t.Errorf("reading the body after Import: %v, want %v", err, errBodyClosed)
	}
	if n := csv.late.Load(); n != 0 {
		t.Errorf("%d Reads of the CSV after the call returned", n)
	}
}
