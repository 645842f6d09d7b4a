package cli

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
)

// sdkError returns the error client.New gives for url and opts.
func sdkError(t *testing.T, url string, opts ...client.Option) error {
	t.Helper()
	_, err := client.New(url, opts...)
	if err == nil {
		t.Fatalf("client.New(%q) accepted it", url)
	}
	return err
}

func TestParseAuthCharset(t *testing.T) {
	tests := []struct {
		in      string
		want    client.AuthCharset
		wantErr bool
	}{
		{"", client.AuthUTF8, false}, {"utf-8", client.AuthUTF8, false}, {"UTF8", client.AuthUTF8, false},
		{"latin1", client.AuthLatin1, false}, {"ISO-8859-1", client.AuthLatin1, false}, {"Latin-1", client.AuthLatin1, false},
		{"ascii", 0, true}, {"utf-16", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseAuthCharset(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseAuthCharset(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestMessage: advice is keyed on the error's type and a ConfigError's
// Option, in each program's words, and Go's own words never show.
func TestMessage(t *testing.T) {
	hostErr := fmt.Errorf("post: %w: %w", client.ErrCertificate, x509.HostnameError{Certificate: &x509.Certificate{DNSNames: []string{"other.example"}}, Host: "school.example"})
	tests := []struct {
		name  string
		err   error
		flags string // a fragment of Message with Flags
		conf  string // a fragment of Message with ConfigFields
		not   string // what neither may hold
	}{
		{name: "empty tenant", err: sdkError(t, "https://s.example", client.WithTenant(" ")), flags: "-tenant: ", conf: `tenant: `, not: "With"},
		{name: "not a certificate", err: sdkError(t, "https://s.example", client.WithRootCAs([]byte("x"))), flags: "-ca-file: ", conf: `ca_file (or -ca-file): `, not: "With"},
		{name: "empty user", err: sdkError(t, "https://s.example", client.WithBasicAuth("", "p")), flags: "-user: ", conf: `user: `, not: "With"},
		{name: "untrusted certificate", err: fmt.Errorf("x: %w: x509: certificate signed by unknown authority", client.ErrCertificate), flags: "trust it with -ca-file", conf: `trust it with ca_file`, not: "x509"},
		{name: "certificate for another host", err: hostErr, flags: "for another host (other.example); check -url", conf: `check url`, not: "ca-file"},
		{name: "refused connection", err: fmt.Errorf("post: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), flags: "refused the connection; check -url", conf: `check url`, not: "dial tcp"},
		{name: "no such host", err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "nowhere.example", Err: "no such host"}}, flags: "cannot find the server nowhere.example", conf: "nowhere.example", not: "dial tcp"},
		{name: "deadline", err: fmt.Errorf("post: %w", context.DeadlineExceeded), flags: "raise -timeout", conf: "raise -timeout", not: "context deadline exceeded"},
		{name: "unauthorized", err: fmt.Errorf("x: %w", client.ErrUnauthorized), flags: "check -user and INFINITI_PASSWORD or -password-file", conf: `check user and password_env or password_file`, not: "client:"},
		{name: "not found", err: fmt.Errorf("x: %w", client.ErrNotFound), flags: "check -url", conf: `check url`, not: "client:"},
		{name: "other errors keep their text", err: errors.New("the export: a fact"), flags: "the export: a fact", conf: "the export: a fact", not: "With"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				names Names
				want  string
			}{{Flags, tt.flags}, {ConfigFields, tt.conf}} {
				got := c.names.Message(tt.err)
				if !strings.Contains(got, c.want) || strings.Contains(got, tt.not) {
					t.Errorf("Message = %q; want it to hold %q and not %q", got, c.want, tt.not)
				}
			}
		})
	}
}

// TestMessageStatus: a status other than 2xx says the status, and
// Infiniti's summary as one line.
func TestMessageStatus(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	srv.Fail(1, clienttest.Fault{Status: 500, Body: `{"success":false,"summary":"broken\n\x1b[31mFAKE","details":[]}`})
	c, err := client.New(srv.URL, client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword), client.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ImportUserGroups(context.Background(), strings.NewReader("username,library-group,system-group\nu,,Staff\n"))
	got := Flags.Message(err)
	if !strings.HasPrefix(got, "Infiniti answered 500 Internal Server Error") || strings.ContainsAny(got, "\n\x1b") {
		t.Errorf("Message = %q; want the status, on one line without escapes", got)
	}
	if o := OutcomeOf(err); o != syncjob.OutcomeNoAnswer || Exit(o) != ExitTransport {
		t.Errorf("OutcomeOf = %s, exit %d; want %s, %d", o, Exit(o), syncjob.OutcomeNoAnswer, ExitTransport)
	}
}

func TestAdvice(t *testing.T) {
	tests := []struct {
		code  string
		s     School
		names Names
		want  string
	}{
		{csvspec.CodeSeparator, School{}, Flags, "-comma ';'"},
		{csvspec.CodeSeparator, School{}, ConfigFields, `"comma": ";"`},
		{csvspec.CodeSeparator, School{Comma: ";"}, Flags, "check -comma"},
		{csvspec.CodeWrongImport, School{Import: ImportUserGroups}, Flags, "-import contacts"},
		{csvspec.CodeWrongImport, School{Import: ImportContacts}, ConfigFields, `"import": "user-groups"`},
		{csvspec.CodeEncoding, School{}, Flags, "-encoding utf-16"},
		{csvspec.CodeFieldCount, School{}, Flags, ""},
	}
	for _, tt := range tests {
		got := tt.names.Advice(tt.code, tt.s)
		if !strings.Contains(got, tt.want) || (tt.want == "") != (got == "") {
			t.Errorf("Advice(%s, %+v) = %q; want it to hold %q", tt.code, tt.s, got, tt.want)
		}
	}
}

func TestSchoolCheck(t *testing.T) {
	tests := []struct {
		name  string
		s     School
		names Names
		want  string
	}{
		{"good", School{}, Flags, ""},
		{"unknown import", School{Import: "x"}, Flags, "-import: unknown import"},
		{"contacts mode without contacts", School{ContactsMode: "m"}, ConfigFields, `contacts_mode is the mode of the contacts import: give it with "import": "contacts"`},
		{"groups with contacts", School{Import: ImportContacts, LibraryGroups: "g.txt"}, Flags, "-library-groups checks user groups"},
		{"encoding", School{Encoding: "ebcdic"}, ConfigFields, `encoding: unknown encoding`},
		{"comma", School{Comma: "ab"}, Flags, "-comma: "},
		{"limit", School{MaxRemovals: "lots"}, Flags, "-max-removals: "},
	}
	for _, tt := range tests {
		err := tt.s.Check(tt.names)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, tt.want) || (tt.want == "") != (err == nil) {
			t.Errorf("%s: Check = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestMessageFromClient: the client's own errors for a certificate of
// another host, a refused connection and a 2xx page that is no result get
// the advice of their type.
func TestMessageFromClient(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsSrv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw})
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html>Sign in</html>")
	}))
	defer page.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name, url string
		opts      []client.Option
		want, not string
	}{
		// httptest's certificate is for example.com and 127.0.0.1.
		{"another host", strings.Replace(tlsSrv.URL, "127.0.0.1", "localhost", 1), []client.Option{client.WithRootCAs(ca)}, "for another host (example.com, ", "-ca-file"},
		{"untrusted", tlsSrv.URL, nil, "trust it with -ca-file", "x509"},
		{"refused", closed.URL, nil, "check -url", "dial tcp"},
		{"a page, not a result", page.URL, nil, "not with an import result", "invalid character"},
	}
	for _, tt := range tests {
		c, err := client.New(tt.url, append(tt.opts, client.WithBasicAuth("u", "p"))...)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		_, err = c.ImportUserGroups(context.Background(), strings.NewReader(""))
		if got := Flags.Message(err); !strings.Contains(got, tt.want) || strings.Contains(got, tt.not) {
			t.Errorf("%s: Message = %q; want it to hold %q and not %q", tt.name, got, tt.want, tt.not)
		}
	}
}
