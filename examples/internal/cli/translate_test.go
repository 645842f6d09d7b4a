package cli

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client"
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

// readerError returns the error a csvspec Reader with opts gives.
func readerError(t *testing.T, opts ...csvspec.ReaderOption) error {
	t.Helper()
	_, err := csvspec.NewReader(strings.NewReader("username\nx\n"), opts...).Read()
	if err == nil {
		t.Fatal("the reader accepted its options")
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

// TestMessage translates the SDK's own error texts, as they are today:
// when a text changes, this test shows it.
func TestMessage(t *testing.T) {
	const https = "https://school.example"
	certErr := fmt.Errorf("POST %s/api/import/userGroups: %w: x509: certificate signed by unknown authority; if the school uses a private certificate authority, trust it with WithRootCAs (or WithHTTPClient)", https, client.ErrCertificate)
	tests := []struct {
		name  string
		err   error
		flags string // Message with Flags
		conf  string // Message with ConfigFields
	}{
		{
			name:  "query in the URL",
			err:   sdkError(t, https+"?tenantId=x"),
			flags: "the base URL has a query (from ?); give only the site, such as https://yourschool.concordinfiniti.com; give the tenant with -tenant, not in the URL",
			conf:  `the base URL has a query (from ?); give only the site, such as https://yourschool.concordinfiniti.com; give the tenant with the "tenant" field, not in the URL`,
		},
		{
			name:  "plain http",
			err:   sdkError(t, "http://school.example"),
			flags: "the base URL uses plain http to school.example, which would send the password and the school's data in clear text; use https",
			conf:  "the base URL uses plain http to school.example, which would send the password and the school's data in clear text; use https",
		},
		{
			name:  "URL does not parse",
			err:   sdkError(t, "https://a:b@c@d%zz"),
			flags: "the base URL does not parse as a URL; it should look like https://yourschool.concordinfiniti.com, and a password in it must be percent-encoded (@ as %40, / as %2F)",
			conf:  "the base URL does not parse as a URL; it should look like https://yourschool.concordinfiniti.com, and a password in it must be percent-encoded (@ as %40, / as %2F)",
		},
		{
			name:  "an @ in the URL's path",
			err:   sdkError(t, "https://school.example/a@b"),
			flags: "the base URL has an @ after its host, as when a password in it holds an unencoded / ? or #; percent-encode the password (/ as %2F, ? as %3F, # as %23); or give the account with -user and the password in INFINITI_PASSWORD or -password-file",
			conf:  `the base URL has an @ after its host, as when a password in it holds an unencoded / ? or #; percent-encode the password (/ as %2F, ? as %3F, # as %23); or give the account with the "user" field and the password in the "password_env" or "password_file" field`,
		},
		{
			name:  "credentials twice",
			err:   sdkError(t, "https://u:p@school.example", client.WithBasicAuth("u", "p")),
			flags: "the credentials are given twice, in the URL (user:password@) and with -user; give them once, with -user and the password in INFINITI_PASSWORD or -password-file",
			conf:  `the credentials are given twice, in the URL (user:password@) and with the "user" field; give them once, with the "user" field and the password in the "password_env" or "password_file" field`,
		},
		{
			name:  "empty user",
			err:   sdkError(t, https, client.WithBasicAuth("", "p")),
			flags: "-user: the username is empty; give the Infiniti account to post as, such as autoimport",
			conf:  `the "user" field: the username is empty; give the Infiniti account to post as, such as autoimport`,
		},
		{
			name:  "empty tenant",
			err:   sdkError(t, https, client.WithTenant(" ")),
			flags: "-tenant: the tenant is empty; leave it out if the site has no tenants",
			conf:  `the "tenant" field: the tenant is empty; leave it out if the site has no tenants`,
		},
		{
			name:  "not a certificate",
			err:   sdkError(t, https, client.WithRootCAs([]byte("hello"))),
			flags: "-ca-file: no PEM certificate found; give the authority's certificate in PEM form (-----BEGIN CERTIFICATE-----)",
			conf:  `the "ca_file" field: no PEM certificate found; give the authority's certificate in PEM form (-----BEGIN CERTIFICATE-----)`,
		},
		{
			name:  "a password Latin-1 cannot hold",
			err:   sdkError(t, https, client.WithBasicAuth("u", "p€"), client.WithAuthCharset(client.AuthLatin1)),
			flags: "the username or password has characters that ISO-8859-1 (Latin-1) cannot hold, or is not valid UTF-8; try -auth-charset utf-8",
			conf:  `the username or password has characters that ISO-8859-1 (Latin-1) cannot hold, or is not valid UTF-8; try "auth_charset": "utf-8"`,
		},
		{
			name:  "the other charset, inside an import error",
			err:   fmt.Errorf("client: POST x: 401 Unauthorized: refused; %w", &client.ConfigError{Option: "WithAuthCharset", Reason: "the password has non-ASCII characters, which were sent in UTF-8; a server that reads them as ISO-8859-1 (Latin-1), as Tomcat does by default, refuses the password"}),
			flags: "POST x: 401 Unauthorized: refused; -auth-charset: the password has non-ASCII characters, which were sent in UTF-8; a server that reads them as ISO-8859-1 (Latin-1), as Tomcat does by default, refuses the password",
			conf:  `POST x: 401 Unauthorized: refused; the "auth_charset" field: the password has non-ASCII characters, which were sent in UTF-8; a server that reads them as ISO-8859-1 (Latin-1), as Tomcat does by default, refuses the password`,
		},
		{
			name:  "untrusted certificate",
			err:   certErr,
			flags: "POST https://school.example/api/import/userGroups: the server's TLS certificate is not trusted: x509: certificate signed by unknown authority; if the school uses a private certificate authority, trust it with -ca-file",
			conf:  `POST https://school.example/api/import/userGroups: the server's TLS certificate is not trusted: x509: certificate signed by unknown authority; if the school uses a private certificate authority, trust it with the "ca_file" field`,
		},
		{
			name:  "untrusted certificate, without advice",
			err:   fmt.Errorf("POST x: %w", client.ErrCertificate),
			flags: "POST x: the server's TLS certificate is not trusted; if the school uses a private certificate authority, trust it with -ca-file",
			conf:  `POST x: the server's TLS certificate is not trusted; if the school uses a private certificate authority, trust it with the "ca_file" field`,
		},
		{
			name:  "header map key",
			err:   readerError(t, csvspec.WithHeaderMap(map[string]string{"user": "Student Code"})),
			flags: `-map: "user" is not a column of a user-groups file; use one of "username", "library-group", "system-group" as the key`,
			conf:  `the "map" field: "user" is not a column of a user-groups file; use one of "username", "library-group", "system-group" as the key`,
		},
		{
			name:  "response timeout",
			err:   errors.New("client: POST x: the file was sent, but no response came within 10m0s (the response-header timeout); Infiniti may still be processing it, so it was not sent again: check the import in Infiniti, and raise the limit with WithResponseHeaderTimeout if large files take longer"),
			flags: "POST x: the file was sent, but no response came within 10m0s (the response-header timeout); Infiniti may still be processing it, so it was not sent again: check the import in Infiniti",
			conf:  "POST x: the file was sent, but no response came within 10m0s (the response-header timeout); Infiniti may still be processing it, so it was not sent again: check the import in Infiniti",
		},
		{
			name:  "response too large",
			err:   errors.New("client: POST x: the response is larger than the client reads: more than 1024 bytes (WithMaxResponseBytes raises the limit)"),
			flags: "POST x: the response is larger than the client reads: more than 1024 bytes",
			conf:  "POST x: the response is larger than the client reads: more than 1024 bytes",
		},
		{
			name:  "a refusal",
			err:   refusal(t, "0", "username,library-group,system-group\nann,Red,\n"),
			flags: "refused: 1 of the 2 users Infiniti last accepted (50.0%) would lose something (1 gone from the export, 0 losing a membership), more than the limit of 0 (at most 0 users). Nothing was sent. Check the export; if the change is intended, run once with -force, or raise -max-removals",
			conf:  `refused: 1 of the 2 users Infiniti last accepted (50.0%) would lose something (1 gone from the export, 0 losing a membership), more than the limit of 0 (at most 0 users). Nothing was sent. Check the export; if the change is intended, run once with examples/sync -force and the same -state, or raise the school's "max_removals"`,
		},
		{
			name:  "an empty export",
			err:   refusal(t, "10%", ""),
			flags: "refused: the export has no rows, but Infiniti last accepted 2 users; this is usually a broken export. Nothing was sent. Check the export; if the school really has no users to sync, run once with -force",
			conf:  "refused: the export has no rows, but Infiniti last accepted 2 users; this is usually a broken export. Nothing was sent. Check the export; if the school really has no users to sync, run once with examples/sync -force and the same -state",
		},
		{
			name:  "a lost state",
			err:   errors.New("syncjob: refused: the journal has no last accepted state, but its run log shows that a run committed one; the state was deleted, lost or damaged, and without it the limits cannot guard this run. Nothing was sent. Check the export, then run once with full and force to send every row and keep a new state"),
			flags: "refused: the journal has no last accepted state, but its run log shows that a run committed one; the state was deleted, lost or damaged, and without it the limits cannot guard this run. Nothing was sent. Check the export, then run once with -full -force to send every row and keep a new state",
			conf:  "refused: the journal has no last accepted state, but its run log shows that a run committed one; the state was deleted, lost or damaged, and without it the limits cannot guard this run. Nothing was sent. Check the export, then run once with examples/sync -full -force and the same -state to send every row and keep a new state",
		},
		{
			name:  "a response timeout with the caller's own client",
			err:   errors.New("client: POST x: no response came within 10m0s, and raise the timeouts of the *http.Client given with WithHTTPClient if large files take longer"),
			flags: "POST x: no response came within 10m0s",
			conf:  "POST x: no response came within 10m0s",
		},
		{
			name:  "an option no program has",
			err:   errors.New("client: WithFrobnicate: bad"),
			flags: "a setting: bad",
			conf:  "a setting: bad",
		},
		{name: "nil", err: nil, flags: "", conf: ""},
	}
	goName := regexp.MustCompile(`With[A-Z]`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				names Names
				want  string
			}{{Flags, tt.flags}, {ConfigFields, tt.conf}} {
				got := c.names.Message(tt.err)
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("Message (-want +got):\n%s", diff)
				}
				if goName.MatchString(got) {
					t.Errorf("Message names a Go option: %s", got)
				}
			}
		})
	}
}

// checkMessages returns the messages of the problems Check finds in
// content read with opts.
func checkMessages(t *testing.T, content string, opts ...csvspec.ReaderOption) []string {
	t.Helper()
	rep, err := csvspec.Check(strings.NewReader(content), csvspec.Rules{}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range rep.Problems {
		out = append(out, p.Message)
	}
	return out
}

// contactMessages returns the messages of the problems CheckContacts
// finds in content.
func contactMessages(t *testing.T, content string) []string {
	t.Helper()
	rep, err := csvspec.CheckContacts(strings.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range rep.Problems {
		out = append(out, p.Message)
	}
	return out
}

// TestText translates csvspec's problems, as they are today.
func TestText(t *testing.T) {
	smsMap := csvspec.WithHeaderMap(map[string]string{"username": "Student code", "library-group": "House", "system-group": "Year"})
	tests := []struct {
		name   string
		msgs   []string
		flags  []string
		config []string
	}{
		{
			name:   "semicolons",
			msgs:   checkMessages(t, "username;library-group;system-group\r\na;b;c\r\n"),
			flags:  []string{`the header is separated by semicolons (";"), not commas (","); run again with -comma ';' (the file is posted rewritten with commas, the only separator Infiniti reads)`},
			config: []string{`the header is separated by semicolons (";"), not commas (","); set "comma": ";" in the school's entry (the file is posted rewritten with commas, the only separator Infiniti reads)`},
		},
		{
			name:   "tabs",
			msgs:   checkMessages(t, "username\tlibrary-group\tsystem-group\na\tb\tc\n"),
			flags:  []string{`the header is separated by tabs, not commas (","); run again with -comma 'tab' (the file is posted rewritten with commas, the only separator Infiniti reads)`},
			config: []string{`the header is separated by tabs, not commas (","); set "comma": "tab" in the school's entry (the file is posted rewritten with commas, the only separator Infiniti reads)`},
		},
		{
			name:   "commas read with -comma",
			msgs:   checkMessages(t, "username,library-group,system-group\na,b,c\n", csvspec.WithComma(';')),
			flags:  []string{`the header is separated by commas (","), not semicolons (";"); leave out -comma, since a comma is the default`},
			config: []string{`the header is separated by commas (","), not semicolons (";"); leave out the "comma" field, since a comma is the default`},
		},
		{
			name: "a mistyped map",
			msgs: checkMessages(t, "Student Code,House,Year\na,b,c\n", smsMap),
			flags: []string{
				`-map names "Student code" as the "username" column, but the file's header has no such column (did you mean "Student Code"? header names must match exactly); correct -map. The file's header is: "Student Code", "House", "Year"`,
			},
			config: []string{
				`the "map" field names "Student code" as the "username" column, but the file's header has no such column (did you mean "Student Code"? header names must match exactly); correct the "map" field. The file's header is: "Student Code", "House", "Year"`,
			},
		},
		{
			name:   "a contacts file for user groups",
			msgs:   checkMessages(t, "username,type,role,primary,addressee,contact,sms,scenarios\na,email,patron,True,A,a@example.com,,ANY\n"),
			flags:  []string{`the header is a contacts file's (username,type,role,…), not a user-groups file's; run again with -import contacts`},
			config: []string{`the header is a contacts file's (username,type,role,…), not a user-groups file's; set "import": "contacts" in the school's entry`},
		},
		{
			name:   "a missing column",
			msgs:   checkMessages(t, "username,library-group\na,b\n"),
			flags:  []string{`the header has no "system-group" column; add it (Infiniti requires username, library-group and system-group, even when empty), or name the file's own column for it with -map`},
			config: []string{`the header has no "system-group" column; add it (Infiniti requires username, library-group and system-group, even when empty), or name the file's own column for it with the "map" field`},
		},
		{
			name: "contacts: the programs post the rewritten file",
			msgs: contactMessages(t, "username,type,role,primary,addressee,contact,sms,scenarios\nS1,email,patron,Y,Ann,ann@example.com,,OVERDUE ;OVERDUE_ESCALATION_ONE\n"),
			flags: []string{
				`the primary value "Y" is read as true, but whether Infiniti reads this spelling is not known; this program posts the file rewritten, with True`,
				`the scenarios "OVERDUE ;OVERDUE_ESCALATION_ONE" have an empty name or spaces around a ';'; this program posts the file rewritten without them`,
			},
			config: []string{
				`the primary value "Y" is read as true, but whether Infiniti reads this spelling is not known; this program posts the file rewritten, with True`,
				`the scenarios "OVERDUE ;OVERDUE_ESCALATION_ONE" have an empty name or spaces around a ';'; this program posts the file rewritten without them`,
			},
		},
		{
			name:   "UTF-16 without a byte order mark",
			msgs:   checkMessages(t, "u\x00s\x00e\x00r\x00\n\x00"),
			flags:  []string{`the header holds NUL bytes, which UTF-8 text does not: the file looks like UTF-16 or UTF-32 without a byte order mark; save it as "CSV UTF-8"`},
			config: []string{`the header holds NUL bytes, which UTF-8 text does not: the file looks like UTF-16 or UTF-32 without a byte order mark; save it as "CSV UTF-8"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				names Names
				want  []string
			}{{Flags, tt.flags}, {ConfigFields, tt.config}} {
				var got []string
				for _, m := range tt.msgs {
					if g := c.names.Text(m); !strings.Contains(g, "is not a user-groups column") {
						got = append(got, g)
					}
				}
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("Text (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// refusal returns the error of a plan from a state of two users to export
// under the limit.
func refusal(t *testing.T, limit, export string) error {
	t.Helper()
	l, err := syncjob.ParseLimit(limit)
	if err != nil {
		t.Fatal(err)
	}
	last, err := syncjob.ReadSnapshot(strings.NewReader("username,library-group,system-group\nann,Red,\nbob,Blue,\n"))
	if err != nil {
		t.Fatal(err)
	}
	next, err := syncjob.ReadSnapshot(strings.NewReader(export))
	if err != nil {
		t.Fatal(err)
	}
	err = syncjob.Diff(last, next).Check(syncjob.Limits{MaxRemovals: l})
	if err == nil {
		t.Fatal("the plan was not refused")
	}
	return err
}
