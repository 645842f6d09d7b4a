// Package clienttest provides a fake Infiniti autoSync import server, in
// memory and over TLS, for testing programs that use the client package
// without a school: in the manner of net/http/httptest.
//
// The server speaks the protocol as Infiniti does, as far as it is known:
// it checks HTTP Basic Auth (answering Infiniti's "Unauthorised. Check
// credentials." result), takes the first file part of a multipart POST as
// the CSV, applies the user-groups rules against the groups and users it
// is given, keeps the memberships in memory, and answers with Infiniti's
// summary wording and, when a row fails, the details of every row. It
// records each request, and it can inject faults: a status code for the
// next requests, a Retry-After header, a delay, a connection dropped in the
// middle of an upload.
//
// Where Infiniti's behaviour is not documented the fake makes a choice of
// its own, noted on the option or method concerned; test against a real
// site before relying on those details.
package clienttest

import (
	"bytes"
	"crypto/x509"
	stdcsv "encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
)

// The account a Server accepts unless WithAccount says otherwise.
const (
	DefaultUsername = "autoimport"
	DefaultPassword = "s3cret^@&$-Passwört"
)

// maxRecordedCSV bounds how much of each upload Request.CSV keeps.
const maxRecordedCSV = 1 << 20

// An Option configures a Server.
type Option func(*Server)

// WithAccount sets the only credentials the server accepts.
func WithAccount(username, password string) Option {
	return func(s *Server) { s.username, s.password = username, password }
}

// WithLibraryGroups defines the library groups; a row naming another fails.
// Without this option any library group is accepted.
func WithLibraryGroups(names ...string) Option {
	return func(s *Server) { s.libraryGroups = set(names) }
}

// WithSystemGroups defines the system groups; a row naming another fails.
// Without this option any system group is accepted.
func WithSystemGroups(names ...string) Option {
	return func(s *Server) { s.systemGroups = set(names) }
}

// WithUsers defines the users that exist; a row naming another fails.
// Without this option any username is accepted.
func WithUsers(usernames ...string) Option {
	return func(s *Server) { s.users = set(usernames) }
}

// WithPathPrefix serves the imports below prefix, such as "/infiniti", as a
// site behind a reverse proxy does: prefix + "/api/import/userGroups".
func WithPathPrefix(prefix string) Option {
	return func(s *Server) { s.prefix = "/" + strings.Trim(prefix, "/") }
}

// ApplyMode is how the fake applies a user-groups file to the memberships it
// keeps. The vendor does not document which one Infiniti's autoSync import
// uses (its interactive import offers both, as "Add" and "Replace – Patrons
// In File"), so both are the fake's choices, for testing code that must be
// right either way.
type ApplyMode int

const (
	// ApplyAdd adds each successful row's groups to the user's memberships
	// and removes nothing. It is the default.
	ApplyAdd ApplyMode = iota
	// ApplyReplace replaces the groups of every user named in a successful
	// row with the groups of that user's successful rows in the file. Users
	// the file does not name keep their groups.
	ApplyReplace
)

// String returns "add" or "replace".
func (m ApplyMode) String() string {
	switch m {
	case ApplyAdd:
		return "add"
	case ApplyReplace:
		return "replace"
	}
	return fmt.Sprintf("ApplyMode(%d)", int(m))
}

// WithApplyMode sets how the server applies a user-groups file: ApplyAdd
// (the default) or ApplyReplace. NewServer panics on any other value, as a
// programming mistake.
func WithApplyMode(m ApplyMode) Option {
	if m != ApplyAdd && m != ApplyReplace {
		panic(fmt.Sprintf("clienttest: WithApplyMode(%v): want ApplyAdd or ApplyReplace", m))
	}
	return func(s *Server) { s.mode = m }
}

func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// A Fault is something to go wrong with a request, for Server.Fail.
type Fault struct {
	// Status, if not 0, is answered instead of processing the upload,
	// after the upload has been read.
	Status int
	// RetryAfter is sent as the Retry-After header with Status.
	RetryAfter string
	// Body is sent with Status; if empty, a short text body is.
	Body string
	// ContentType is the Content-Type of Body; default "text/plain".
	ContentType string
	// Location is sent as the Location header with Status, for redirects.
	Location string
	// Delay waits before anything else is done with the request, or until
	// the client gives up.
	Delay time.Duration
	// DropConnection closes the connection without an answer, after
	// reading the first kilobyte of the upload.
	DropConnection bool
}

// A Request is what the server recorded of one request. It never holds
// the password.
type Request struct {
	Method          string
	Path            string
	TenantID        string // the tenantId query parameter, "" if absent
	HasTenantID     bool   // whether tenantId was in the query at all
	Username        string // the Basic Auth username, "" if none
	Authorized      bool   // whether the credentials were right
	Header          http.Header
	FormName        string // form name of the first file part
	FileName        string // file name of the first file part
	PartContentType string // Content-Type of the first file part
	CSV             []byte // the first 1 MiB of the CSV
	CSVSize         int64  // the size of the whole CSV
	Status          int    // the status the server answered; 0 if it sent none (a dropped connection, or a client that gave up)
	Result          *result.Result
}

// Membership is the groups a user is in.
type Membership struct {
	LibraryGroups []string // sorted
	SystemGroups  []string // sorted
}

// Server is a fake Infiniti import server. Create it with NewServer and
// close it with Close.
type Server struct {
	// URL is the base URL of the server, https://127.0.0.1:port, to pass to
	// client.New.
	URL string

	ts *httptest.Server

	username, password string
	prefix             string
	libraryGroups      map[string]bool // nil: any
	systemGroups       map[string]bool // nil: any
	users              map[string]bool // nil: any
	mode               ApplyMode

	mu       sync.Mutex
	members  map[string]*members
	requests []Request
	faults   []Fault
}

type members struct{ library, system map[string]bool }

// NewServer starts a server over TLS on a loopback address. It accepts the
// account DefaultUsername and DefaultPassword unless WithAccount says
// otherwise. Use Server.Client for an *http.Client that trusts its
// certificate.
func NewServer(opts ...Option) *Server {
	s := &Server{username: DefaultUsername, password: DefaultPassword, members: make(map[string]*members)}
	for _, opt := range opts {
		opt(s)
	}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	// A client that rejects the certificate is a test case, not news.
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.ts.StartTLS()
	s.URL = s.ts.URL
	return s
}

// Client returns an *http.Client that trusts the server's certificate, to
// pass to client.WithHTTPClient.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Certificate returns the server's self-signed TLS certificate, for a
// program that takes a CA file rather than an *http.Client.
func (s *Server) Certificate() *x509.Certificate { return s.ts.Certificate() }

// Close shuts the server down and waits for the requests in progress.
func (s *Server) Close() { s.ts.Close() }

// Fail makes the next n requests meet fault f, after the faults already
// queued.
func (s *Server) Fail(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Memberships returns every user's groups, as imports have set them.
func (s *Server) Memberships() map[string]Membership {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Membership, len(s.members))
	for u, m := range s.members {
		out[u] = Membership{LibraryGroups: keys(m.library), SystemGroups: keys(m.system)}
	}
	return out
}

func keys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

func (s *Server) nextFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	tenant, hasTenant := r.URL.Query()["tenantId"]
	rec := Request{Method: r.Method, Path: r.URL.Path, HasTenantID: hasTenant, Header: r.Header.Clone()}
	if hasTenant {
		rec.TenantID = tenant[0]
	}
	user, pass, _ := r.BasicAuth()
	rec.Username = user
	rec.Authorized = user == s.username && pass == s.password
	rec.Header.Del("Authorization")
	// The request is recorded before the client can see the answer, so
	// that a test that got an answer finds the request recorded.
	recorded := false
	record := func() {
		if !recorded {
			recorded = true
			s.record(rec)
		}
	}
	defer record() // for the paths that give no answer

	f, _ := s.nextFault()
	if f.DropConnection {
		_, _ = io.CopyN(io.Discard, r.Body, 1024)
		record()
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	var csv io.Reader // the CSV part, once found
	problem := ""
	if f.Status != 0 || f.Delay > 0 {
		// Read the whole upload first: the fault comes after it, and the
		// server notices a client that gives up only once it has.
		if part, p := firstFilePart(r, &rec); part != nil {
			b, _ := io.ReadAll(part)
			rec.CSV, rec.CSVSize = b[:min(len(b), maxRecordedCSV)], int64(len(b))
			csv = bytes.NewReader(b)
		} else {
			problem = p
		}
		_, _ = io.Copy(io.Discard, r.Body)
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				// The client gave up. Abort without an answer: returning
				// would send an empty 200, which a client that is still
				// closing its TLS connection could read as the answer.
				t.Stop()
				record()
				panic(http.ErrAbortHandler)
			}
		}
		if f.Status != 0 {
			ct, body := f.ContentType, f.Body
			if body == "" {
				body = http.StatusText(f.Status) + "\n"
			}
			if ct == "" {
				ct = "text/plain; charset=utf-8"
			}
			w.Header().Set("Content-Type", ct)
			if f.Location != "" {
				w.Header().Set("Location", f.Location)
			}
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			rec.Status = f.Status
			record()
			w.WriteHeader(f.Status)
			_, _ = io.WriteString(w, body)
			return
		}
	}

	reply := func(status int, res *result.Result) {
		if r.Body != nil {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		b, _ := json.Marshal(res)
		rec.Status, rec.Result = status, res
		record()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(b)
	}
	if !strings.HasPrefix(r.URL.Path, strings.TrimSuffix(s.prefix, "/")+"/api/import/") {
		rec.Status = http.StatusNotFound
		record()
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		rec.Status = http.StatusMethodNotAllowed
		record()
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !rec.Authorized {
		// Infiniti's documented answer; the status it uses is not
		// documented, the fake answers 401.
		reply(http.StatusUnauthorized, &result.Result{Success: false, Summary: "Unauthorised. Check credentials."})
		return
	}
	userGroups := r.URL.Path == strings.TrimSuffix(s.prefix, "/")+"/api/import/userGroups"
	if csv == nil && problem == "" {
		part, p := firstFilePart(r, &rec)
		if part == nil {
			problem = p
		} else {
			capture := &limitedBuffer{max: maxRecordedCSV}
			status, res := s.importCSV(io.TeeReader(part, capture), userGroups)
			rec.CSV, rec.CSVSize = capture.buf.Bytes(), capture.n
			reply(status, res)
			return
		}
	}
	if csv == nil {
		reply(http.StatusBadRequest, &result.Result{Success: false, Summary: problem})
		return
	}
	reply(s.importCSV(csv, userGroups))
}

// firstFilePart returns the content of the first file part of a multipart
// body, as Infiniti takes it, whatever its form and file names; or nil and
// a summary saying what is wrong. (Infiniti's answers to these are not
// documented; the fake answers 400 with a result.)
func firstFilePart(r *http.Request, rec *Request) (io.Reader, string) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Sprintf("The request is not multipart/form-data: %v.", err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, "The request has no file part."
		}
		if err != nil {
			return nil, fmt.Sprintf("The multipart body is malformed: %v.", err)
		}
		if p.FileName() != "" {
			rec.FormName, rec.FileName, rec.PartContentType = p.FormName(), p.FileName(), p.Header.Get("Content-Type")
			return p, ""
		}
	}
}

type limitedBuffer struct {
	buf bytes.Buffer
	max int
	n   int64
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.n += int64(len(p))
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// rowOutcome is what the import did with one row.
type rowOutcome struct {
	rec     csvspec.Record
	failure string // "" if the row is imported
}

// failed words a failure as Infiniti does: the field, the reason, and the
// same again after "User failed to import:", with a trailing space.
func failed(field, reason string) string {
	m := fmt.Sprintf("Field (%s) %s", field, reason)
	return m + " User failed to import: " + m + " "
}

// importCSV applies the rules to every row, then the memberships of the
// rows that pass. For imports other than user groups (any other path under
// /api/import/) the fake only counts the data rows, as processed and
// updated: it does not know their rules.
func (s *Server) importCSV(csv io.Reader, userGroups bool) (int, *result.Result) {
	var rows []rowOutcome
	var contentRows int
	if userGroups {
		rd := csvspec.NewReader(csv)
		for {
			rec, err := rd.Read()
			if err == io.EOF {
				break
			}
			var pe *csvspec.ParseError
			if errors.As(err, &pe) && pe.Row == 0 {
				// The header is wrong: nothing can be imported. What
				// Infiniti answers here is not documented.
				_, _ = io.Copy(io.Discard, csv)
				return http.StatusBadRequest, &result.Result{Success: false, Summary: "The CSV header is invalid: " + strings.TrimPrefix(err.Error(), "csvspec: ")}
			}
			if err != nil && pe == nil {
				return http.StatusBadRequest, &result.Result{Success: false, Summary: "Reading the upload failed."}
			}
			o := rowOutcome{rec: rec}
			if err != nil {
				o.failure = failed("row", "is malformed: "+strings.TrimPrefix(err.Error(), "csvspec: ")+".")
			} else {
				o.failure = s.checkRow(rec.UserGroup)
			}
			rows = append(rows, o)
		}
	} else {
		cr := stdcsv.NewReader(csv)
		cr.FieldsPerRecord, cr.LazyQuotes, cr.ReuseRecord = -1, true, true
		for {
			_, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return http.StatusBadRequest, &result.Result{Success: false, Summary: "Reading the upload failed."}
			}
			contentRows++
		}
		contentRows = max(0, contentRows-1) // the header
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var created, updated, nfailed int
	var details []result.RowOutcome
	replaced := make(map[string]bool) // users whose groups this file has reset, in ApplyReplace
	for _, o := range rows {
		text, status := o.failure, result.StatusFailed
		if text == "" {
			u := o.rec.Username
			m, ok := s.members[u]
			if ok {
				text, status = "User Updated", result.StatusUpdated
				updated++
				if s.mode == ApplyReplace && !replaced[u] {
					clear(m.library)
					clear(m.system)
				}
			} else {
				m = &members{library: map[string]bool{}, system: map[string]bool{}}
				s.members[u] = m
				text, status = "User Created", result.StatusCreated
				created++
			}
			replaced[u] = true
			if g := o.rec.LibraryGroup; g != "" {
				m.library[g] = true
			}
			if g := o.rec.SystemGroup; g != "" {
				m.system[g] = true
			}
		} else {
			nfailed++
		}
		details = append(details, result.RowOutcome{Row: o.rec.Row, Status: status, Message: text})
	}
	processed := len(rows) + contentRows
	updated += contentRows
	res := &result.Result{
		Success: nfailed == 0,
		Summary: fmt.Sprintf("%s processed. %s created. %s updated. %s failed.", users(processed), users(created), users(updated), users(nfailed)),
	}
	if nfailed > 0 {
		res.Details = details
	}
	return http.StatusOK, res
}

func users(n int) string {
	if n == 1 {
		return "1 user"
	}
	return fmt.Sprintf("%d users", n)
}

func (s *Server) checkRow(g csvspec.UserGroup) string {
	switch {
	case g.Username == "":
		return failed("username", "is required.")
	case s.users != nil && !s.users[g.Username]:
		return failed("username", fmt.Sprintf("User (%s) does not exist.", g.Username))
	case g.LibraryGroup != "" && s.libraryGroups != nil && !s.libraryGroups[g.LibraryGroup]:
		return failed("library-group", fmt.Sprintf("Library group (%s) does not exist.", g.LibraryGroup))
	case g.SystemGroup != "" && s.systemGroups != nil && !s.systemGroups[g.SystemGroup]:
		return failed("system-group", fmt.Sprintf("System group (%s) does not exist.", g.SystemGroup))
	}
	return ""
}
