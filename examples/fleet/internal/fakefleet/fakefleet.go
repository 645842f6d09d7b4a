// Package fakefleet is a fake Infiniti for a fleet of schools, for the
// fleet module's tests: one clienttest.Server per school, each serving
// only its school's tenant and keeping its memberships apart, behind one
// plain-HTTP listener on 127.0.0.1 that routes a post by its tenantId.
//
// In front of the schools it counts the posts in flight per tenant and
// records the most ever seen at once; it can hold each answer for a while
// after the school has applied the file, so that a worker killed then
// leaves a post applied but unanswered; and it serves a JSON Report at
// /report (/report?memberships=1 with every school's memberships).
//
// A test runs it as a process of its own, as a worker sees a real site:
// Start runs the test binary again, whose TestMain calls ServeIfChild.
package fakefleet

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/autosync-go/autosync/client/clienttest"
)

// SchoolID returns the ID of school i, which is also its tenant:
// school-0001 for 1.
func SchoolID(i int) string { return fmt.Sprintf("school-%04d", i) }

// A Report is what the fake saw.
type Report struct {
	Tenants map[string]*Tenant `json:"tenants"`
	// InFlightPorts is the client's port of each post in flight, so that
	// a test can tell which worker process sends it.
	InFlightPorts []int `json:"in_flight_ports"`
}

// Tenant is what the fake saw of one school.
type Tenant struct {
	Posts       int `json:"posts"`         // posts received
	Answered    int `json:"answered"`      // posts the school answered, having read the whole file
	InFlight    int `json:"in_flight"`     // posts not yet answered
	MaxInFlight int `json:"max_in_flight"` // the most posts ever in flight at once
	Cut         int `json:"cut"`           // posts whose client left before the answer
	// Memberships is the school's users and their groups, with
	// /report?memberships=1 only.
	Memberships map[string]clienttest.Membership `json:"memberships,omitempty"`
}

// Fleet is the fake's HTTP handler. Create it with New and close it with
// Close.
type Fleet struct {
	hold    time.Duration
	schools map[string]*clienttest.Server
	client  *http.Client

	mu       sync.Mutex
	tenants  map[string]*Tenant
	inFlight map[int]int // client port: posts in flight from it
}

// New returns a fleet of n schools, SchoolID(1) to SchoolID(n), each
// accepting clienttest's default account and applying a file as
// clienttest.ApplyReplace does. Each answer is held for hold after the
// school has applied the file.
func New(n int, hold time.Duration) *Fleet {
	f := &Fleet{hold: hold, schools: map[string]*clienttest.Server{}, tenants: map[string]*Tenant{}, inFlight: map[int]int{}}
	pool := x509.NewCertPool()
	for i := 1; i <= n; i++ {
		id := SchoolID(i)
		s := clienttest.NewServer(clienttest.WithTenants(id), clienttest.WithApplyMode(clienttest.ApplyReplace))
		pool.AddCert(s.Certificate())
		f.schools[id], f.tenants[id] = s, &Tenant{}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = pool
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 0, 4
	f.client = &http.Client{Transport: tr}
	return f
}

// Close closes the schools' servers.
func (f *Fleet) Close() {
	for _, s := range f.schools {
		s.Close()
	}
	f.client.CloseIdleConnections()
}

// ServeHTTP serves /report, and passes any other request to the school
// its tenantId names (404 for none).
func (f *Fleet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/report" {
		writeJSON(w, f.Report(r.URL.Query().Get("memberships") == "1"))
		return
	}
	id := r.URL.Query().Get("tenantId")
	s, ok := f.schools[id]
	if !ok {
		http.Error(w, fmt.Sprintf("no school has the tenant %q", id), http.StatusNotFound)
		return
	}
	_, p, _ := net.SplitHostPort(r.RemoteAddr)
	port, _ := strconv.Atoi(p)
	f.enter(id, port, 1)
	defer f.enter(id, port, -1)
	status, header, body, err := f.forward(s, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	f.count(func() { f.tenants[id].Answered++ })
	select {
	case <-time.After(f.hold):
	case <-r.Context().Done():
		f.count(func() { f.tenants[id].Cut++ })
		return
	}
	for _, k := range []string{"Content-Type", "Retry-After"} {
		if v := header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// forward passes r to the school's server and reads its whole answer. As
// a server would, the school goes on with a file it has begun to read
// when the client leaves.
func (f *Fleet) forward(s *clienttest.Server, r *http.Request) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, s.URL+r.URL.RequestURI(), r.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	req.ContentLength = r.ContentLength
	for _, k := range []string{"Authorization", "Content-Type", "User-Agent"} {
		req.Header[k] = r.Header[k]
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

func (f *Fleet) count(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// enter counts a post from port to tenant id in (d = 1) or out (d = -1)
// of flight.
func (f *Fleet) enter(id string, port, d int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tenants[id]
	t.InFlight += d
	if d > 0 {
		t.Posts++
		t.MaxInFlight = max(t.MaxInFlight, t.InFlight)
	}
	if f.inFlight[port] += d; f.inFlight[port] == 0 {
		delete(f.inFlight, port)
	}
}

// Report returns what the fake has seen, with every school's memberships
// if memberships is true.
func (f *Fleet) Report(memberships bool) Report {
	f.mu.Lock()
	rep := Report{Tenants: make(map[string]*Tenant, len(f.tenants))}
	for id, t := range f.tenants {
		c := *t
		rep.Tenants[id] = &c
	}
	for port := range f.inFlight {
		rep.InFlightPorts = append(rep.InFlightPorts, port)
	}
	f.mu.Unlock()
	if memberships {
		for id, t := range rep.Tenants {
			t.Memberships = f.schools[id].Memberships()
		}
	}
	return rep
}
