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
	"crypto/x509"
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
