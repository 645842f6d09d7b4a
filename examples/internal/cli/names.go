package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
)

// Names maps a School's settings, by their JSON names ("tenant",
// "ca_file"), to what the person running a program types: a flag
// ("-tenant") or a config field. The key "password" says where the
// password comes from.
type Names map[string]string

// Flags are sync's and quickstart's names: their flags.
var Flags = Names{
	"url": "-url", "tenant": "-tenant", "user": "-user", "password_file": "-password-file",
	"password": PasswordEnv + " or -password-file", "auth_charset": "-auth-charset",
	"file": "-file", "encoding": "-encoding", "comma": "-comma", "map": "-map",
	"library_groups": "-library-groups", "system_groups": "-system-groups", "ca_file": "-ca-file",
	"max_removals": "-max-removals", "import": "-import", "contacts_mode": "-contacts-mode",
	"timeout": "-timeout", "force": "-force", "full": "-full", "leavers": "-leavers", "applies": "-applies",
	"strict": "-strict", "carry": "-carry", "report": "-report", "failures": "-failures",
	"rules": "-rules", "type": "-source", "package": "-file", "org": "-org",
	"disabled_users": "-disabled-users", "roles": "-roles",
}

// ConfigFields are multitenant's names: the fields of a school's entry.
var ConfigFields = Names{
	"password": "password_env or password_file", "timeout": "-timeout", "ca_file": "ca_file (or -ca-file)",
	"force": "examples/sync -force and the same -state", "full": "examples/sync -full",
}

// Name returns what the person types for the setting field: a flag such
// as -tenant, or a config field such as tenant.
func (n Names) Name(field string) string {
	if name, ok := n[field]; ok {
		return name
	}
	return field
}

// Set returns how the person gives field the value v: -comma ';' or
// "comma": ";".
func (n Names) Set(field, v string) string {
	name := n.Name(field)
	if strings.HasPrefix(name, "-") {
		if v == "" || strings.ContainsAny(v, " ;|'\"\t") {
			v = "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
		}
		return name + " " + v
	}
	return fmt.Sprintf("%q: %q", field, v)
}

// optionFields are the settings that set each of the SDK's options.
var optionFields = map[string]string{
	"WithTenant": "tenant", "WithRootCAs": "ca_file", "WithHTTPClient": "ca_file", "WithBasicAuth": "user",
	"WithAuthCharset": "auth_charset", "WithHeaderMap": "map", "WithComma": "comma",
}

// Message returns err's text for the person running the program, with
// advice keyed on the error's type: a *client.ConfigError names the
// setting of its Option, a status or transport error says what happened
// without Go's words ("dial tcp", "x509", "context deadline exceeded") and
// what to check. Other errors keep their own text.
func (n Names) Message(err error) string {
	var (
		ce *client.ConfigError
		se *client.StatusError
		he x509.HostnameError
		de *net.DNSError
		oe *net.OpError
		le *syncjob.LimitError
		lk *syncjob.LockedError
	)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, client.ErrUnauthorized):
		msg := "Infiniti refused the credentials; check " + n.Name("user") + " and " + n.Name("password")
		if errors.As(err, &ce) && ce.Option == "WithAuthCharset" {
			msg += "; a password with non-ASCII characters may need the other " + n.Name("auth_charset") + " (utf-8 or latin1)"
		}
		return msg
	case errors.Is(err, client.ErrForbidden):
		return "Infiniti refused the import (403 Forbidden): give " + n.Name("user") + " system administration privileges in Infiniti"
	case errors.Is(err, client.ErrNotFound):
		return "Infiniti has no import at this address (404 Not Found); check " + n.Name("url")
	case errors.Is(err, client.ErrTooLarge):
		return "the server refused the size of the upload (413)"
	case errors.As(err, &he):
		return fmt.Sprintf("the server's certificate is for another host (%s); check %s", certNames(he.Certificate), n.Name("url"))
	case errors.Is(err, client.ErrCertificate):
		return "the server's certificate is not trusted; if the school uses a private certificate authority, trust it with " + n.Name("ca_file")
	case errors.Is(err, client.ErrResponseTimeout):
		return "the file was sent, but no answer came in time; Infiniti may still be importing it"
	case errors.As(err, &se):
		return n.statusMessage(err, se)
	case errors.As(err, &le):
		return "refused: " + n.Limit(le) + ". Nothing was sent. " + n.limitFix(le)
	case errors.As(err, &ce):
		return n.configMessage(ce)
	case errors.As(err, &lk):
		// The programs' journal is a folder: its lock dies with its process.
		return strings.TrimPrefix(lk.Error(), "syncjob: ") + "; wait for it to finish (the lock of a killed run is released when its process ends, for a folder or a database journal alike)"
	case errors.Is(err, context.DeadlineExceeded):
		return "gave up: the time allowed ran out; raise " + n.Name("timeout") + " if the file is large or Infiniti is slow to answer"
	case errors.Is(err, context.Canceled):
		return "stopped before the end"
	case errors.As(err, &de):
		return fmt.Sprintf("cannot find the server %s; check %s", de.Name, n.Name("url"))
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the server refused the connection; check " + n.Name("url")
	case errors.As(err, &oe):
		return "cannot reach the server; check " + n.Name("url") + " and the network"
	}
	msg := err.Error()
	// Go's package and option names mean nothing to a technician.
	for _, pkg := range []string{"client: ", "csvspec: ", "syncjob: "} {
		msg = strings.ReplaceAll(msg, pkg, "")
	}
	for opt, field := range optionFields {
		msg = strings.ReplaceAll(msg, opt+": ", n.Name(field)+": ")
	}
	// The group rules' errors are of the rules, or of the export against them.
	return strings.ReplaceAll(msg, "mapping: ", n.Name("rules")+": ")
}

// statusMessage says what an HTTP status other than the ones Message
// names means.
func (n Names) statusMessage(err error, se *client.StatusError) string {
	if se.StatusCode/100 == 2 {
		return fmt.Sprintf("the server answered %d %s, but not with an import result (a login page or a proxy's?); check %s", se.StatusCode, http.StatusText(se.StatusCode), n.Name("url"))
	}
	msg := fmt.Sprintf("Infiniti answered %d %s", se.StatusCode, http.StatusText(se.StatusCode))
	if se.Attempts > 1 {
		msg += fmt.Sprintf(" after %d attempts", se.Attempts)
	}
	var ie *result.ImportError
	if errors.As(err, &ie) && ie.Result != nil {
		msg += ": " + Quote(ie.Result.Summary)
	}
	return msg
}

// configMessage names the setting of a client option that is wrong, and
// the fix where the reason alone does not say it.
func (n Names) configMessage(ce *client.ConfigError) string {
	msg := ce.Reason
	if field := optionFields[ce.Option]; field != "" {
		msg = n.Name(field) + ": " + msg
	}
	switch ce.Option {
	case "WithTenant":
		msg += "; give only the site in " + n.Name("url") + " and the tenant with " + n.Name("tenant")
	case "WithInsecurePlainHTTP":
		msg += "; use https"
	}
	return msg
}

// Limit says what a safety limit found, as a fact.
func (n Names) Limit(e *syncjob.LimitError) string {
	switch {
	case e.NoState:
		return "the journal has no last accepted state, but its run log shows that a run committed one, so the limit cannot guard this run"
	case e.Empty:
		return fmt.Sprintf("the export has no rows, but Infiniti last accepted %d users; this is usually a broken export", e.LastUsers)
	case e.WrongFile:
		return fmt.Sprintf("the export looks like the wrong file: of the %d users Infiniti last accepted, %d are gone from it, and it has %d new users", e.LastUsers, e.Gone, e.New)
	}
	pct := 0.0
	if e.LastUsers > 0 {
		pct = 100 * float64(e.Losing) / float64(e.LastUsers)
	}
	return fmt.Sprintf("%d of the %d users Infiniti last accepted (%.1f%%) would lose something (%d gone from the export, %d losing part of what they had), more than the limit of %s (at most %d users)",
		e.Losing, e.LastUsers, pct, e.Gone, e.Shrinking, e.Limit, e.Allowed)
}

// limitFix says how to go past a safety limit.
func (n Names) limitFix(e *syncjob.LimitError) string {
	switch {
	case e.NoState:
		return "Check the export, then run once with " + n.Name("full") + " " + n.Name("force") + " to send every row and keep a new state"
	case e.Empty:
		return "Check the export from the SMS and run again; force does not go past an empty export"
	case e.WrongFile:
		return "Check the export; if it is the right one, run once with " + n.Name("force")
	}
	return "Check the export; if the change is intended, run once with " + n.Name("force") + ", or raise " + n.Name("max_removals")
}

// certNames returns the names a certificate is for.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return "unknown names"
	}
	names := c.DNSNames
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return c.Subject.CommonName
	}
	return strings.Join(names, ", ")
}

// Advice returns what the person can do about a check problem of code,
// in n's words, or "". s is the school's settings.
func (n Names) Advice(code string, s School) string {
	switch code {
	case csvspec.CodeSeparator:
		if s.Comma != "" && s.Comma != "," {
			return "check " + n.Name("comma") + " (a comma-separated file needs none)"
		}
		return "give the file's separator with " + n.Set("comma", ";") + " or " + n.Set("comma", "tab") + "; the file is posted with commas"
	case csvspec.CodeEncoding:
		return "save it as \"CSV UTF-8\", or read it with " + n.Set("encoding", "utf-16")
	case csvspec.CodeWrongImport:
		if s.Import == ImportContacts {
			return "for user groups, give " + n.Set("import", ImportUserGroups)
		}
		return "for contacts, give " + n.Set("import", ImportContacts)
	case csvspec.CodeBooleanSpelling, csvspec.CodeScenarioFormat:
		return "this program posts the file rewritten in the form Infiniti reads"
	}
	return ""
}

// dialect returns the one fix for a file in another dialect, from the
// facts a separator or encoding ParseError carries: "run again with
// -comma ';' -encoding windows-1252"; "" when it knows one fact or none.
func (n Names) dialect(pe *csvspec.ParseError) string {
	if pe.Comma == 0 || pe.Encoding == "" {
		return ""
	}
	comma := string(pe.Comma)
	if pe.Comma == '\t' {
		comma = "tab"
	}
	enc := pe.Encoding
	switch enc {
	case "utf-16le", "utf-16be":
		enc = "utf-16"
	case "windows-1252":
	default:
		return "save it as \"CSV UTF-8\" with commas"
	}
	return "run again with " + n.Set("comma", comma) + " " + n.Set("encoding", enc) + "; the file is posted as UTF-8 with commas"
}

// headerCodes are the codes of the header's problems.
var headerCodes = map[string]bool{
	csvspec.CodeSeparator: true, csvspec.CodeEncoding: true, csvspec.CodeWrongImport: true, csvspec.CodeMissingColumn: true,
	csvspec.CodeHeaderMap: true, csvspec.CodeMissingCarry: true, csvspec.CodeExtraColumn: true,
}

// Problem returns p for the person: "line 3, library-group: error:
// message [code]" (row numbers are -json's), with the advice for its code,
// which stands in for any advice of the library's own (what follows the
// first "; " of its message). err is the run's error: when it is the
// *csvspec.ParseError that p reports, its text and facts are used, so
// that a file in another dialect gets one fix naming both flags.
func (n Names) Problem(p csvspec.Problem, s School, err error) string {
	advice := n.Advice(p.Code, s)
	header := headerCodes[p.Code]
	var pe *csvspec.ParseError
	if errors.As(err, &pe) && pe.Code == p.Code && pe.Line == p.Line {
		header = header || pe.Row == 0
		bare := *pe
		bare.Line, bare.Row = 0, 0
		p.Message = strings.TrimPrefix(bare.Error(), "csvspec: ")
		if d := n.dialect(pe); d != "" {
			advice = d
		}
	}
	if advice != "" {
		fact, _, _ := strings.Cut(p.Message, "; ")
		p.Message = fact + "; " + advice
	}
	var b strings.Builder
	fmt.Fprintf(&b, "line %d", p.Line)
	if header {
		b.WriteString(" (header)")
	}
	if p.Column != "" {
		b.WriteString(", " + p.Column)
	}
	fmt.Fprintf(&b, ": %v: %s [%s]", p.Severity, p.Message, p.Code)
	return b.String()
}

// ParseAuthCharset returns the charset an -auth-charset flag or
// auth_charset config field names: "utf-8" (the default, also for "") or
// "latin1" ("iso-8859-1"), in any case. It returns an error naming the
// accepted values for anything else.
func ParseAuthCharset(s string) (client.AuthCharset, error) {
	switch strings.ToLower(s) {
	case "", "utf-8", "utf8":
		return client.AuthUTF8, nil
	case "latin1", "latin-1", "iso-8859-1":
		return client.AuthLatin1, nil
	}
	return 0, fmt.Errorf("unknown charset %q; use utf-8 (the default) or latin1", s)
}
