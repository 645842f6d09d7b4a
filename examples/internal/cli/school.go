package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/csvspec/mapping"
)

// The imports a School's Import names.
const (
	ImportUserGroups = "user-groups"
	ImportContacts   = "contacts"
)

// A School is what a program knows of one school's sync: sync fills it
// from its flags, multitenant from one entry of its JSON config. The JSON
// names are multitenant's config fields; Names turns them into what the
// person running a program types.
type School struct {
	Name         string `json:"name"`
	URL          string `json:"url"`
	Tenant       string `json:"tenant,omitempty"`
	User         string `json:"user"`
	PasswordEnv  string `json:"password_env,omitempty"`
	PasswordFile string `json:"password_file,omitempty"`
	File         string `json:"file"`
	Encoding     string `json:"encoding,omitempty"`
	Comma        string `json:"comma,omitempty"`
	AuthCharset  string `json:"auth_charset,omitempty"`
	CAFile       string `json:"ca_file,omitempty"`
	// Map maps canonical column names to the SMS's header names:
	// {"username": "Student Code"}.
	Map           map[string]string `json:"map,omitempty"`
	Rules         Rules             `json:"rules,omitzero"`           // the group rules, instead of Map
	LibraryGroups string            `json:"library_groups,omitempty"` // a file of the library groups defined in Infiniti
	SystemGroups  string            `json:"system_groups,omitempty"`  // a file of the system groups defined in Infiniti
	MaxRemovals   string            `json:"max_removals,omitempty"`   // the safety limit: "25" or "10%"
	Import        string            `json:"import,omitempty"`         // ImportUserGroups (the default) or ImportContacts
	ContactsMode  string            `json:"contacts_mode,omitempty"`  // the contacts import's mode
	Leavers       Leavers           `json:"leavers,omitzero"`         // what becomes of users gone from the export
	Applies       string            `json:"applies,omitempty"`        // how Infiniti applies a file: unknown (the default), add or replace
	Strict        bool              `json:"strict,omitempty"`         // stop on any row problem, as on a file problem
	Carry         []string          `json:"carry,omitempty"`          // export columns copied into the staff files, such as a student's name
	Report        string            `json:"report,omitempty"`         // the report for library staff, written on every run that plans
	Failures      string            `json:"failures,omitempty"`       // the failed rows, for library staff

	// CAPEM is more certificates to trust, such as multitenant's -ca-file
	// for every school.
	CAPEM []byte `json:"-"`
	// NoPassword says that the job posts nothing (a plan, the history):
	// no password is read, and a missing one is no error.
	NoPassword bool `json:"-"`

	rules *mapping.Mapping // the rules as LoadRules parsed them, once
}

// Leavers is what becomes of the users gone from the export: kept (the
// zero value: nothing is sent for them, and their memberships are left to
// staff), or moved, once, to a template's groups (an empty one is sent
// empty).
type Leavers struct {
	Move         bool   // send each leaver once with the template; false keeps them
	LibraryGroup string // the template's library group, sent as it is (empty too)
	SystemGroup  string // the template's system group, sent as it is (empty too)
}

// ParseLeavers reads the -leavers flag: "keep" (or "") or
// "library-group=L,system-group=S", either group may be left out or
// empty.
func ParseLeavers(v string) (Leavers, error) {
	if v == "" || v == "keep" {
		return Leavers{}, nil
	}
	l := Leavers{Move: true}
	for pair := range strings.SplitSeq(v, ",") {
		k, val, ok := strings.Cut(pair, "=")
		switch strings.TrimSpace(k) {
		case "library-group":
			l.LibraryGroup = val
		case "system-group":
			l.SystemGroup = val
		default:
			ok = false
		}
		if !ok {
			return Leavers{}, fmt.Errorf("%q is not library-group=GROUP or system-group=GROUP; give keep, or a template such as 'library-group=,system-group=Former Students'", pair)
		}
	}
	return l, nil
}

// MarshalJSON writes the leavers as UnmarshalJSON reads them.
func (l Leavers) MarshalJSON() ([]byte, error) {
	if !l.Move {
		return json.Marshal("keep")
	}
	return json.Marshal(map[string]string{"library-group": l.LibraryGroup, "system-group": l.SystemGroup})
}

// UnmarshalJSON reads multitenant's "leavers": "keep", or a template
// object {"library-group": "", "system-group": "Former Students"}.
func (l *Leavers) UnmarshalJSON(b []byte) error {
	var keep string
	if json.Unmarshal(b, &keep) == nil {
		if keep != "keep" {
			return fmt.Errorf(`"leavers" is "keep" or an object such as {"library-group": "", "system-group": "Former Students"}, not %q`, keep)
		}
		*l = Leavers{}
		return nil
	}
	var t map[string]string
	if err := json.Unmarshal(b, &t); err != nil {
		return fmt.Errorf(`"leavers" is "keep" or an object such as {"library-group": "", "system-group": "Former Students"}`)
	}
	*l = Leavers{Move: true}
	for k, v := range t {
		switch k {
		case "library-group":
			l.LibraryGroup = v
		case "system-group":
			l.SystemGroup = v
		default:
			return fmt.Errorf(`"leavers" has no field %q; its fields are "library-group" and "system-group"`, k)
		}
	}
	return nil
}

// Check returns an error, naming the setting in n's words, for a value
// that cannot be used: an unknown import or encoding, a separator,
// charset or limit that cannot be read, a contacts mode that cannot be
// sent, group lists with contacts or a contacts mode without them. It
// leaves Import ImportUserGroups when it was empty.
func (s *School) Check(n Names) error {
	switch s.Import {
	case "", ImportUserGroups:
		s.Import = ImportUserGroups
		if s.ContactsMode != "" {
			return fmt.Errorf("%s is the mode of the contacts import: give it with %s, or leave it out", n.Name("contacts_mode"), n.Set("import", ImportContacts))
		}
	case ImportContacts:
		for _, g := range []struct{ field, value string }{{"library_groups", s.LibraryGroups}, {"system_groups", s.SystemGroups}} {
			if g.value != "" {
				return fmt.Errorf("%s checks user groups, which a contacts file does not have: leave it out with %s", n.Name(g.field), n.Set("import", ImportContacts))
			}
		}
		if err := client.ContactsMode(s.ContactsMode).Validate(); s.ContactsMode != "" && err != nil {
			return fmt.Errorf("%s: %s", n.Name("contacts_mode"), n.Message(err))
		}
		if s.Leavers.Move {
			return fmt.Errorf("%s: a contacts file has no groups to move leavers to; leave it out (keep) with %s", n.Name("leavers"), n.Set("import", ImportContacts))
		}
		if s.Applies != "" && s.Applies != "replace" {
			return fmt.Errorf("%s: the one known contacts mode replaces; leave it out, or give replace, with %s", n.Name("applies"), n.Set("import", ImportContacts))
		}
	default:
		return fmt.Errorf("%s: unknown import %q; use %s (the default) or %s", n.Name("import"), s.Import, ImportUserGroups, ImportContacts)
	}
	if err := CheckEncoding(s.Encoding); err != nil {
		return fmt.Errorf("%s: %v", n.Name("encoding"), err)
	}
	if _, err := ParseComma(s.Comma); err != nil {
		return fmt.Errorf("%s: %v", n.Name("comma"), err)
	}
	if _, err := ParseAuthCharset(s.AuthCharset); err != nil {
		return fmt.Errorf("%s: %v", n.Name("auth_charset"), err)
	}
	var a syncjob.Applies
	if err := a.UnmarshalText([]byte(s.Applies)); s.Applies != "" && err != nil {
		return fmt.Errorf("%s: %q is not a mode; give unknown (the default), add or replace", n.Name("applies"), s.Applies)
	}
	if s.MaxRemovals != "" {
		if _, err := syncjob.ParseLimit(s.MaxRemovals); err != nil {
			return fmt.Errorf("%s: %s", n.Name("max_removals"), strings.TrimPrefix(err.Error(), "syncjob: "))
		}
	}
	return nil
}

// Key returns the journal key of the school's import, and whether its URL
// can be read.
func (s School) Key() (syncjob.Key, bool) {
	var opts []client.Option
	if s.Tenant != "" {
		opts = append(opts, client.WithTenant(s.Tenant))
	}
	c, err := client.New(s.URL, opts...)
	if err != nil {
		return syncjob.Key{}, false
	}
	return (&syncjob.Job{Client: c, Import: s.imp()}).Key(), true
}

// imp returns the syncjob import of Import and ContactsMode.
func (s School) imp() *syncjob.Import {
	if s.Import != ImportContacts {
		return syncjob.UserGroups()
	}
	mode := client.ContactsReplaceDeclaredPatronsKeepCustomContacts
	if s.ContactsMode != "" {
		mode = client.ContactsMode(s.ContactsMode)
	}
	return syncjob.Contacts(mode)
}

// NewJob returns the sync job of a school that passed Check: its client
// (with copts after the SDK's settings), import, rules and reader
// options. getenv reads PasswordEnv. Errors name the setting in n's words
// (show them with n.Message) and never hold the password. The caller sets the Journal, Full and
// Force.
func NewJob(s School, n Names, getenv func(string) string, copts ...client.Option) (*syncjob.Job, error) {
	job := &syncjob.Job{Import: s.imp(), Source: s.File}
	var err error
	if job.Rules.LibraryGroups, err = ReadNames(s.LibraryGroups); err != nil {
		return nil, fmt.Errorf("%s: %w", n.Name("library_groups"), err)
	}
	if job.Rules.SystemGroups, err = ReadNames(s.SystemGroups); err != nil {
		return nil, fmt.Errorf("%s: %w", n.Name("system_groups"), err)
	}
	if sep, _ := ParseComma(s.Comma); sep != ',' {
		job.ReaderOptions = append(job.ReaderOptions, csvspec.WithComma(sep))
	}
	if s.Map != nil {
		job.ReaderOptions = append(job.ReaderOptions, csvspec.WithHeaderMap(s.Map))
	}
	if s.MaxRemovals != "" {
		job.Limits.MaxRemovals, _ = syncjob.ParseLimit(s.MaxRemovals)
	}
	if s.Applies != "" {
		_ = job.Applies.UnmarshalText([]byte(s.Applies))
	}
	if s.Leavers.Move {
		job.Leavers = &csvspec.UserGroup{LibraryGroup: s.Leavers.LibraryGroup, SystemGroup: s.Leavers.SystemGroup}
	}
	job.Carry, job.Strict = s.Carry, s.Strict
	if s.URL == "" {
		return job, nil // a check of the file only
	}
	opts := []client.Option{}
	if s.User != "" && !s.NoPassword {
		password, err := Password(getenv, s.PasswordEnv, s.PasswordFile, n)
		if err != nil {
			return nil, err
		}
		charset, _ := ParseAuthCharset(s.AuthCharset)
		opts = append(opts, client.WithBasicAuth(s.User, password), client.WithAuthCharset(charset))
	}
	if s.Tenant != "" {
		opts = append(opts, client.WithTenant(s.Tenant))
	}
	pem := s.CAPEM
	if s.CAFile != "" {
		b, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.Name("ca_file"), err)
		}
		pem = append(slices.Clip(pem), b...)
	}
	if pem != nil {
		opts = append(opts, client.WithRootCAs(pem))
	}
	if job.Client, err = client.New(s.URL, append(opts, copts...)...); err != nil {
		return nil, err
	}
	return job, nil
}
