// Package clienttest provides a fake Infiniti autoSync import server, in
// memory and over TLS, for testing programs that use the client package
// without a school: in the manner of net/http/httptest.
//
// The server speaks the protocol as Infiniti does, as far as it is known:
// it serves only the import paths it knows (ImportUserGroupsPath and
// ImportContactsPath, below an optional WithPathPrefix), checks HTTP Basic
// Auth (answering Infiniti's "Unauthorised. Check credentials." result),
// takes the first file part of a multipart POST as the CSV, applies the
// user-groups rules against the groups and users it is given, keeps the
// memberships in memory (Memberships), and answers with Infiniti's summary
// wording and, when a row fails, the details of every row. A contacts
// import replaces the contacts of the users it names (Contacts); its
// answer is the fake's invention, see ImportContactsPath. It records each
// request, and it can inject faults: a status code for the next requests,
// a Retry-After header, a delay, a connection dropped in the middle of an
// upload.
//
// The fake reads uploads with its own code on encoding/csv, not with the
// SDK's csvspec package, so that a bug in csvspec's Reader or Writer shows
// up in tests that use the fake instead of being mirrored by it. Like
// Infiniti it requires the header names exactly (in any order, other
// columns ignored: the fake's choice), strips a UTF-8 byte order mark,
// skips blank lines and numbers the data rows from 1, header excluded.
//
// Where Infiniti's behaviour is not documented the fake makes a choice of
// its own, noted on the option or method concerned; test against a real
// site before relying on those details. In short, the fake's choices: it
// answers 404 (text) for a path it does not serve and 405 for a method
// other than POST; 404 with a result for a tenant WithTenants does not
// list; 401 with the "Unauthorised" result for bad credentials; 400 with a
// result for a request with no file part or a CSV whose header is wrong;
// and 200 with a result once the rows have been applied. It checks the
// path (as sent, percent-encoding included, so "%2F" is not a slash),
// then the method, the tenant and the credentials, in that order.
package clienttest

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/autosync-go/autosync/result"
)

// The import paths the server serves, below its WithPathPrefix. Any other
// path is answered 404.
const (
	// ImportUserGroupsPath is the user-groups import.
	ImportUserGroupsPath = "/api/import/userGroups"
	// ImportContactsPath is the contacts import with its mode, the one
	// mode seen in the field: replace the contacts of the users in the
	// file. The fake answers 404 for any other mode, since other mode
	// names are not published (the fake's choice).
	//
	// The fake checks the header (username, type, role, primary,
	// addressee, contact, sms, scenarios, spelled exactly) and that each
	// row's user exists (WithUsers), and no value: the pre-flight check is
	// csvspec's. The rows of a user that pass become that user's contacts,
	// replacing those an earlier file set; users the file does not name,
	// or whose rows all fail, keep theirs. Its answer is its own
	// invention, since Infiniti's is not documented: in the user-groups
	// wording, each row counted as a user, "User Updated" for a row
	// applied (a contacts import creates no user) and a failure otherwise,
	// with the details of every row when one fails.
	ImportContactsPath = "/api/import/userContacts/" + contactsMode
	contactsMode       = "replaceDeclaredPatronsKeepCustomContacts"
)

// The account a Server accepts unless WithAccount says otherwise.
const (
	// DefaultUsername is the username a Server accepts unless WithAccount
	// says otherwise.
	DefaultUsername = "autoimport"
	// DefaultPassword is the password a Server accepts unless WithAccount
	// says otherwise. It holds non-ASCII and URL-special characters, so
	// that a client's encoding of the credentials is tested.
	DefaultPassword = "s3cret^@&$-Passwört"
)

// maxRecordedCSV bounds how much of each upload Request.CSV keeps.
const maxRecordedCSV = 1 << 20

// An Option configures a Server.
type Option func(*Server)

// WithAccount sets the only credentials the server accepts. A request
// without an Authorization header is refused whatever they are, even
// WithAccount("", "").
func WithAccount(username, password string) Option {
	return func(s *Server) { s.username, s.password = username, password }
}

// WithLatin1Credentials makes the server decode the Basic Auth username
// and password as ISO-8859-1, one byte per character, as Apache Tomcat's
// Basic authenticator does by default, instead of as UTF-8 (the default,
// as curl sends them). With it, a client that sends a non-ASCII password
// such as DefaultPassword in UTF-8 is refused with the "Unauthorised"
// result, as such a server refuses it, and one that sends it in ISO-8859-1
// is accepted. Which one Infiniti expects is not documented.
func WithLatin1Credentials() Option {
	return func(s *Server) { s.latin1 = true }
}

// WithTenants defines the tenants the server serves: a request whose
// tenantId query parameter is not one of ids, or that has none, is refused
// with status 404 and a result whose summary names the tenant, before its
// credentials are checked and before its upload is read. Infiniti's answer
// to an unknown tenant is not documented: 404 is the fake's choice. The
// tenants share the server's users, groups and memberships; use one Server
// per school to keep them apart. Without this option any tenant, or none,
// is accepted.
func WithTenants(ids ...string) Option {
	return func(s *Server) { s.tenants = set(ids) }
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
// Surrounding slashes in prefix do not matter; "" or "/" is no prefix.
func WithPathPrefix(prefix string) Option {
	return func(s *Server) {
		if p := strings.Trim(prefix, "/"); p != "" {
			s.prefix = "/" + p
		} else {
			s.prefix = ""
		}
	}
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
	return func(s *Server) { s.mode = m }
}

// WithUserCounts makes the summary count distinct users rather than rows:
// "2 users processed" for a file of three rows of two users. The vendor
// does not say which Infiniti counts, so a program should accept both. A
// user counts as failed if any of its rows failed, else as created if the
// file created it, else as updated. Details stay per row.
func WithUserCounts() Option {
	return func(s *Server) { s.countUsers = true }
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
	// ContentType is the Content-Type of Body; default
	// "text/plain; charset=utf-8".
	ContentType string
	// Location is sent as the Location header with Status, for redirects.
	Location string
	// Delay, if not 0, makes the server read the whole upload and then
	// wait this long before it answers: with Status, or by processing the
	// upload. It delays the answer, not the reading of the upload. A
	// client that gives up during the wait gets no answer at all.
	Delay time.Duration
	// DropConnection closes the connection without an answer, after
	// reading the first kilobyte of the upload.
	DropConnection bool
}

// A Request is what the server recorded of one request. It never holds
// the password.
type Request struct {
	Method string // the HTTP method, such as "POST"
	// Path is the request's path, percent-decoded ("/api/import/a%2Fb" is
	// recorded as "/api/import/a/b"). The server matches the import paths
	// against the path as sent, still encoded, so a request whose Path
	// reads as an import path may still have been answered 404.
	Path        string
	TenantID    string // the first tenantId query parameter, "" if absent
	HasTenantID bool   // whether tenantId was in the query at all
	// Username is the Basic Auth username, "" if none, decoded as the
	// server decodes it (ISO-8859-1 with WithLatin1Credentials; otherwise
	// the bytes sent, which should be UTF-8).
	Username   string
	Authorized bool // whether the credentials were right
	// ContentLength is the request's Content-Length: -1 when the length
	// was not declared, as in a chunked upload.
	ContentLength int64
	// TransferEncoding is the request's transfer encodings, outermost
	// first, such as ["chunked"]; nil when the body was sent with a
	// Content-Length.
	TransferEncoding []string
	// Header is the request's header, without Authorization (see
	// Username and Authorized), so that no password is recorded.
	Header          http.Header
	FormName        string // form name of the first file part
	FileName        string // file name of the first file part
	PartContentType string // Content-Type of the first file part
	CSV             []byte // the first 1 MiB of the CSV
	CSVSize         int64  // the size of the whole CSV
	Status          int    // the status the server answered; 0 if it sent none (a dropped connection, or a client that gave up)
	// Result is the result the server answered with; nil when it answered
	// with none (a fault, a 404 or 405, a dropped connection).
	Result *result.Result
}

// Membership is the groups a user is in.
type Membership struct {
	LibraryGroups []string // sorted
	SystemGroups  []string // sorted
}

// Contact is one contact of a user as the contacts import received it: the
// values of one row's columns, verbatim (not trimmed, parsed or
// validated), so that a test sees exactly what its program sent, such as
// "True" or "true" for Primary.
type Contact struct {
	Type      string // "type": email or phone
	Role      string // "role": patron or guardian
	Primary   string // "primary": a boolean
	Addressee string // "addressee": the name to address
	Contact   string // "contact": the address or number
	SMS       string // "sms": a boolean, may be empty
	Scenarios string // "scenarios": ;-separated names
}

// Server is a fake Infiniti import server. Create it with NewServer and
// close it with Close.
type Server struct {
	// URL is the base URL of the server, https://127.0.0.1:port, to pass to
	// client.New.
	URL string

	ts *httptest.Server

	username, password string
	latin1             bool            // decode Basic credentials as ISO-8859-1
	tenants            map[string]bool // nil: any
	prefix             string          // "" or "/infiniti": no trailing slash
	libraryGroups      map[string]bool // nil: any
	systemGroups       map[string]bool // nil: any
	users              map[string]bool // nil: any
	mode               ApplyMode
	countUsers         bool // the summary counts distinct users, not rows

	mu       sync.Mutex
	members  map[string]*members
	contacts map[string][]Contact
	requests []Request
	faults   []Fault
}

type members struct{ library, system map[string]bool }

// NewServer starts a server over TLS on a loopback address. It accepts the
// account DefaultUsername and DefaultPassword unless WithAccount says
// otherwise. Use Server.Client for an *http.Client that trusts its
// certificate.
func NewServer(opts ...Option) *Server {
	s := &Server{username: DefaultUsername, password: DefaultPassword, members: make(map[string]*members), contacts: make(map[string][]Contact)}
	for _, opt := range opts {
		opt(s)
	}
	if s.mode != ApplyAdd && s.mode != ApplyReplace {
		panic(fmt.Sprintf("clienttest: WithApplyMode(%v): want ApplyAdd or ApplyReplace", s.mode))
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

// Contacts returns every user's contacts, as contacts imports have set
// them: for each user, the contacts of the rows applied for that user by
// the last file that named the user, in file order.
func (s *Server) Contacts() map[string][]Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]Contact, len(s.contacts))
	for u, cs := range s.contacts {
		out[u] = slices.Clone(cs)
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
	rec := s.newRequest(r)
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
	var upload io.Reader // the CSV part, once found
	problem := ""
	if f.Status != 0 || f.Delay > 0 {
		upload, problem = s.readFirst(r, &rec, f, record)
		if f.Status != 0 {
			answerFault(w, &rec, f, record)
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
	apply, ok := s.route(w, r, &rec, record)
	if !ok {
		return
	}
	if status, summary := s.refusal(&rec); status != 0 {
		reply(status, &result.Result{Success: false, Summary: summary})
		return
	}
	if upload == nil && problem == "" {
		part, p := firstFilePart(r, &rec)
		if part == nil {
			problem = p
		} else {
			capture := &limitedBuffer{max: maxRecordedCSV}
			status, res := apply(io.TeeReader(part, capture))
			rec.CSV, rec.CSVSize = capture.buf.Bytes(), capture.n
			reply(status, res)
			return
		}
	}
	if upload == nil {
		reply(http.StatusBadRequest, &result.Result{Success: false, Summary: problem})
		return
	}
	reply(apply(upload))
}

// newRequest is what the server records of r, without the password.
func (s *Server) newRequest(r *http.Request) Request {
	tenant, hasTenant := r.URL.Query()["tenantId"]
	rec := Request{
		Method: r.Method, Path: r.URL.Path, HasTenantID: hasTenant, Header: r.Header.Clone(),
		ContentLength: r.ContentLength, TransferEncoding: slices.Clone(r.TransferEncoding),
	}
	if hasTenant {
		rec.TenantID = tenant[0]
	}
	user, pass, hasAuth := r.BasicAuth()
	if s.latin1 {
		user, pass = latin1(user), latin1(pass)
	}
	rec.Username = user
	rec.Authorized = hasAuth && user == s.username && pass == s.password
	rec.Header.Del("Authorization")
	return rec
}

// readFirst reads the whole upload before a fault's answer (the server
// notices a client that gives up only once it has), then waits out the
// fault's Delay. It returns the CSV part, or what is wrong with the body.
func (s *Server) readFirst(r *http.Request, rec *Request, f Fault, record func()) (io.Reader, string) {
	var upload io.Reader
	problem := ""
	if part, p := firstFilePart(r, rec); part != nil {
		b, _ := io.ReadAll(part)
		rec.CSV, rec.CSVSize = b[:min(len(b), maxRecordedCSV)], int64(len(b))
		upload = bytes.NewReader(b)
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
	return upload, problem
}

// answerFault answers with the fault's status, headers and body.
func answerFault(w http.ResponseWriter, rec *Request, f Fault, record func()) {
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
}

// route returns the import of r's path; for another path or method it
// answers and returns false.
func (s *Server) route(w http.ResponseWriter, r *http.Request, rec *Request, record func()) (func(io.Reader) (int, *result.Result), bool) {
	prefix := (&url.URL{Path: s.prefix}).EscapedPath()
	var apply func(io.Reader) (int, *result.Result)
	switch r.URL.EscapedPath() {
	case prefix + ImportUserGroupsPath:
		apply = s.importUserGroups
	case prefix + ImportContactsPath:
		apply = s.importContacts
	default:
		rec.Status = http.StatusNotFound
		record()
		http.NotFound(w, r)
		return nil, false
	}
	if r.Method != http.MethodPost {
		rec.Status = http.StatusMethodNotAllowed
		record()
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	return apply, true
}

// refusal returns the status and summary of the server's refusal of rec
// (an unknown tenant, or wrong credentials), or 0.
func (s *Server) refusal(rec *Request) (int, string) {
	switch {
	case s.tenants != nil && !rec.HasTenantID:
		// Not documented; the fake's choice, see WithTenants.
		return http.StatusNotFound, "No tenant: the tenantId query parameter is required."
	case s.tenants != nil && !s.tenants[rec.TenantID]:
		return http.StatusNotFound, fmt.Sprintf("Unknown tenant (%s).", rec.TenantID)
	case !rec.Authorized:
		// Infiniti's documented answer; the status it uses is not
		// documented, the fake answers 401.
		return http.StatusUnauthorized, "Unauthorised. Check credentials."
	}
	return 0, ""
}

// latin1 decodes s as ISO-8859-1: each byte is the code point of one
// character.
func latin1(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
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

// userGroupsColumns is the user-groups header, whose names Infiniti
// requires exactly.
var userGroupsColumns = []string{"username", "library-group", "system-group"}

// row is one data row of an upload: its values in the order of the
// columns asked for, or why it could not be read.
type row struct {
	n        int      // 1-based data row, header excluded
	values   []string // by column; nil if failure is set
	failure  string   // "" if the row could be read
	username string   // the username, also of a row with the wrong number of fields when its column is there
}

// errHeader is an upload whose header is wrong: nothing can be imported.
type errHeader struct{ msg string }

func (e *errHeader) Error() string { return e.msg }

// readUpload reads a CSV upload with encoding/csv, independently of the
// SDK's csvspec: a UTF-8 byte order mark is stripped, blank lines are
// skipped and not counted, the header must name each of columns exactly
// once (other columns are ignored), and each data row, numbered from 1, is
// given to each in order with its values in the order of columns. A row
// that cannot be read (quoting, or a number of fields other than the
// header's) is given with failure set, and reading goes on. The error is
// an *errHeader for a wrong header, or the upload's read error.
func readUpload(upload io.Reader, columns []string, each func(row)) error {
	cr := csv.NewReader(stripBOM(upload))
	cr.FieldsPerRecord = -1 // the fake checks the count itself, to go on after a bad row
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil // an empty file: no rows
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &errHeader{"The CSV header cannot be read: it " + malformed(pe)}
	}
	if err != nil {
		return err
	}
	index := make([]int, len(columns))
	for i, col := range columns {
		index[i] = -1
		for j, name := range header {
			if name != col {
				continue
			}
			if index[i] >= 0 {
				return &errHeader{fmt.Sprintf("The CSV header is invalid: column %q appears twice.", col)}
			}
			index[i] = j
		}
		if index[i] < 0 {
			return &errHeader{fmt.Sprintf("The CSV header is invalid: column %q is missing; the header must name the columns %s, spelled exactly.", col, strings.Join(columns, ", "))}
		}
	}
	nfields := len(header)
	for n := 1; ; n++ {
		before := cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		r := row{n: n}
		switch {
		case errors.As(err, &pe):
			if cr.InputOffset() == before {
				return err // no progress: cannot go on
			}
			r.failure = "is malformed: it " + malformed(pe)
		case err != nil:
			return err
		case len(rec) != nfields:
			line, _ := cr.FieldPos(0)
			r.failure = fmt.Sprintf("is malformed: line %d has %d fields but the header has %d.", line, len(rec), nfields)
			if index[0] < len(rec) {
				r.username = rec[index[0]]
			}
		default:
			r.values = make([]string, len(columns))
			for i, j := range index {
				r.values[i] = rec[j]
			}
			r.username = r.values[0]
		}
		each(r)
	}
}

// malformed says, in the fake's own words, what is wrong with a record
// encoding/csv cannot read, ending with a full stop.
func malformed(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf(`has a quote (") inside a value that is not quoted, on line %d, column %d.`, pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf(`starts on line %d and has a stray quote or a quoted value that is never closed (seen on line %d, column %d).`, pe.StartLine, pe.Line, pe.Column)
	}
	return fmt.Sprintf("cannot be read from line %d: %v.", pe.StartLine, pe.Err)
}

// stripBOM returns a reader of r without a leading UTF-8 byte order mark.
func stripBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); string(b) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
	}
	return br
}

// failed words a failure as Infiniti does: the field, the reason, and the
// same again after "User failed to import:", with a trailing space.
func failed(field, reason string) string {
	m := fmt.Sprintf("Field (%s) %s", field, reason)
	return m + " User failed to import: " + m + " "
}

// readFailure answers a failed upload read: the header (nothing can be
// imported; what Infiniti answers is not documented) or the body itself.
func readFailure(err error) (int, *result.Result) {
	var he *errHeader
	if errors.As(err, &he) {
		return http.StatusBadRequest, &result.Result{Success: false, Summary: he.msg}
	}
	return http.StatusBadRequest, &result.Result{Success: false, Summary: "Reading the upload failed."}
}

// userGroupRow is a user-groups row and what the import does with it.
type userGroupRow struct {
	n                                int
	username, libraryGroup, sysGroup string
	failure                          string // "" if the row is imported
}

// importUserGroups applies a user-groups upload: the rules to every row,
// then the memberships of the rows that pass, as ApplyMode says.
func (s *Server) importUserGroups(upload io.Reader) (int, *result.Result) {
	var rows []userGroupRow
	err := readUpload(upload, userGroupsColumns, func(r row) {
		o := userGroupRow{n: r.n, username: r.username}
		if r.failure != "" {
			o.failure = failed("row", r.failure)
		} else {
			o.username, o.libraryGroup, o.sysGroup = r.values[0], r.values[1], r.values[2]
			o.failure = s.checkRow(o)
		}
		rows = append(rows, o)
	})
	if err != nil {
		_, _ = io.Copy(io.Discard, upload)
		return readFailure(err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	tally := s.newTally()
	replaced := make(map[string]bool) // users whose groups this file has reset, in ApplyReplace
	for _, o := range rows {
		if o.failure != "" {
			tally.fail(o.n, o.username, o.failure)
			continue
		}
		u := o.username
		m, ok := s.members[u]
		if ok {
			tally.update(o.n, u)
			if s.mode == ApplyReplace && !replaced[u] {
				clear(m.library)
				clear(m.system)
			}
		} else {
			m = &members{library: map[string]bool{}, system: map[string]bool{}}
			s.members[u] = m
			tally.create(o.n, u)
		}
		replaced[u] = true
		if g := o.libraryGroup; g != "" {
			m.library[g] = true
		}
		if g := o.sysGroup; g != "" {
			m.system[g] = true
		}
	}
	return http.StatusOK, tally.result()
}

// contactsColumns is the contacts header, which the fake requires exactly
// (in any order), as Infiniti surely does.
var contactsColumns = []string{"username", "type", "role", "primary", "addressee", "contact", "sms", "scenarios"}

// importContacts applies a contacts upload in the one known mode, as
// ImportContactsPath describes: the rows of each user in the file that
// pass form that user's new set of contacts. The answer is worded as for
// user groups, so that the result package reads it.
func (s *Server) importContacts(upload io.Reader) (int, *result.Result) {
	type contactRow struct {
		n        int
		username string
		contact  Contact
		failure  string
	}
	var rows []contactRow
	err := readUpload(upload, contactsColumns, func(r row) {
		o := contactRow{n: r.n, username: r.username}
		switch {
		case r.failure != "":
			o.failure = failed("row", r.failure)
		case r.values[0] == "":
			o.failure = failed("username", "is required.")
		case s.users != nil && !s.users[r.values[0]]:
			o.failure = failed("username", fmt.Sprintf("User (%s) does not exist.", r.values[0]))
		default:
			v := r.values
			o.username = v[0]
			o.contact = Contact{Type: v[1], Role: v[2], Primary: v[3], Addressee: v[4], Contact: v[5], SMS: v[6], Scenarios: v[7]}
		}
		rows = append(rows, o)
	})
	if err != nil {
		_, _ = io.Copy(io.Discard, upload)
		return readFailure(err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	tally := s.newTally()
	fresh := make(map[string][]Contact) // the new sets, per user in the file
	for _, o := range rows {
		if o.failure != "" {
			tally.fail(o.n, o.username, o.failure)
			continue
		}
		fresh[o.username] = append(fresh[o.username], o.contact)
		tally.update(o.n, o.username)
	}
	for u, cs := range fresh {
		s.contacts[u] = cs
	}
	return http.StatusOK, tally.result()
}

// tally counts the outcomes of an import's rows and makes its result.
type tally struct {
	created, updated, failed int
	details                  []result.RowOutcome
	byUser                   map[string]result.Status // with WithUserCounts: each user's outcome
}

func (s *Server) newTally() *tally {
	if s.countUsers {
		return &tally{byUser: make(map[string]result.Status)}
	}
	return &tally{}
}

func (t *tally) create(row int, user string) {
	t.add(row, user, result.StatusCreated, "User Created")
}

func (t *tally) update(row int, user string) {
	t.add(row, user, result.StatusUpdated, "User Updated")
}

func (t *tally) fail(row int, user, text string) {
	t.add(row, user, result.StatusFailed, text)
}

// add counts a row, and with byUser its user's outcome: failed if any of
// its rows failed, else created if this file created it, else updated.
func (t *tally) add(row int, user string, st result.Status, text string) {
	t.details = append(t.details, result.RowOutcome{Row: row, Status: st, Message: text})
	if user == "" {
		user = fmt.Sprintf("\x00row %d", row) // rows without a username are users of their own
	}
	switch {
	case t.byUser == nil:
	case t.byUser[user] == result.StatusUnknown, st == result.StatusFailed:
		t.byUser[user] = st
	}
	switch st {
	case result.StatusCreated:
		t.created++
	case result.StatusUpdated:
		t.updated++
	default:
		t.failed++
	}
}

// result words the result as Infiniti does: the summary, singular or
// plural, and the details of every row only when some row failed.
func (t *tally) result() *result.Result {
	created, updated, failed := t.created, t.updated, t.failed
	if t.byUser != nil {
		created, updated, failed = 0, 0, 0
		for _, st := range t.byUser {
			switch st {
			case result.StatusCreated:
				created++
			case result.StatusUpdated:
				updated++
			default:
				failed++
			}
		}
	}
	processed := created + updated + failed
	res := &result.Result{
		Success: t.failed == 0,
		Summary: fmt.Sprintf("%s processed. %s created. %s updated. %s failed.", users(processed), users(created), users(updated), users(failed)),
	}
	if t.failed > 0 {
		res.Details = t.details
	}
	return res
}

func users(n int) string {
	if n == 1 {
		return "1 user"
	}
	return fmt.Sprintf("%d users", n)
}

func (s *Server) checkRow(g userGroupRow) string {
	switch {
	case g.username == "":
		return failed("username", "is required.")
	case s.users != nil && !s.users[g.username]:
		return failed("username", fmt.Sprintf("User (%s) does not exist.", g.username))
	case g.libraryGroup != "" && s.libraryGroups != nil && !s.libraryGroups[g.libraryGroup]:
		return failed("library-group", fmt.Sprintf("Library group (%s) does not exist.", g.libraryGroup))
	case g.sysGroup != "" && s.systemGroups != nil && !s.systemGroups[g.sysGroup]:
		return failed("system-group", fmt.Sprintf("System group (%s) does not exist.", g.sysGroup))
	}
	return ""
}
