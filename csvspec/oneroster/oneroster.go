// Package oneroster reads a OneRoster 1.1 or 1.2 CSV package, or a
// Microsoft School Data Sync (SDS) v2.1 package, and yields one source
// row per user per organisation, with virtual columns that the group
// rules of csvspec/mapping map to import rows:
//
//	sourcedId username identifier email givenName familyName enabledUser
//	role grades grade org.sourcedId org.name org.identifier
//	homeroom.title homeroom.classCode userIds.<Type> metadata.*
//
// role is the user's role in the org: users.csv's role in 1.1, the
// roles.csv role in 1.2 and SDS (see Options.Roles). A role of roles.csv
// that has ended or not yet begun on Options.Today (by default the
// machine's local date: a program for a school in another time zone runs
// with TZ set to the school's) is not a role of the user. grades is the user's grades joined with
// ",", and grade the grade when there is one, so that {grade|nozeros}
// makes "7" of "07"; in SDS both come from roles.csv. homeroom is the
// class of classType "homeroom" of the org that the user is enrolled in.
// userIds.<Type> is the Id of the user's {Type:Id} entry of that Type,
// for the types Options.Columns names. metadata.* are users.csv's
// metadata columns, kept as they are: a school's house usually lives
// there, for OneRoster has no house field.
//
// # Packages
//
// A package is a folder, or a zip whose files sit at its root or in its
// one top folder: files at the root and in a folder, two top folders,
// files only deeper, two entries of one name (in any case), and a path
// with ".." or from the root are refused. A zip's files may hold
// MaxZipSize bytes in all, as they declare, and archive/zip reads no
// more of an entry than it declares; a record of any file may hold
// MaxRecord bytes. Its version is manifest.csv's oneroster.version; a
// package without a manifest is 1.0, read as 1.1. Only bulk packages are
// read: a manifest that marks any file "delta" is refused, and a
// manifest that marks every file "absent" means "no updates" (NoUpdates): the
// package yields no rows. So is an SDS package's manifest, if it has
// one. Property names are read in any case; a manifest without
// oneroster.version is read as 1.1, with a warning.
//
// An SDS v2.1 package (Options.SDS) has no manifest, no identifier of
// orgs, no enabledUser, no userIds and no metadata columns, and its
// grade is in roles.csv. A TASS school's house must therefore come from
// another column or from a table of the rules keyed on sourcedId, say:
//
//	{"when": {"role": "student"}, "library-group": "{sourcedId|map:houses}"}
//
// The SDS headers this package knows are those of Microsoft's published
// v2.1 samples (github.com/OfficeDev/O365-EDU-Tools, "CSV Samples/SDS
// v2.1"), verified for users.csv (sourcedId, username, givenName,
// familyName, password, activeDirectoryMatchId, email, phone, sms),
// roles.csv (userSourcedId, orgSourcedId, role, sessionSourcedId, grade,
// isPrimary, roleStartDate, roleEndDate) and orgs.csv (sourcedId, name,
// type, parentSourcedId). Microsoft's v2.1 format page says the headers
// are case-sensitive and the files UTF-8; its table of what isPrimary
// means for a user with no primary role could not be read when this was
// written, so SDS roles are chosen as 1.2's (Options.Roles), a blank
// isPrimary stating nothing. SDS's classes.csv has no classType, so SDS
// packages have no homerooms.
//
// # Bad input
//
// Where data would be lost the package is refused with an *Error naming
// the file, line and column: files that differ from the manifest's list,
// a header without a column the reader joins on or Options.Columns
// needs, a manifest that marks users absent, a bulk file without data
// rows, a role, class or enrollment naming an unknown org, an enrollment
// naming an unknown class, a role or enrollment naming an unknown user
// (Rows finds it, after the rows), an org or a user twice, and two
// current primary roles of one user in one org. A user with status
// "tobedeleted" (or such a role) is held, even without org or role and
// with DisabledUsers "leaver": its rows carry a csvspec.Problem of
// SeverityError with CodeToBeDeleted; so are the rows of a user with a
// role date (YYYY-MM-DD, YYYYMMDD, or an ISO 8601 date-time, whose date
// part is read) or SDS isPrimary (true or false, in any case; empty
// states nothing; not read with Roles "all") that does not parse, with
// CodeBadValue, naming roles.csv's line and column. What a school
// cannot change but loses nothing is a warning, once per file and code
// (see Package.Warnings): headers out of order, in another case or
// unknown, spec columns missing, status "active" in a bulk file, a
// sourcedId outside the characters or length the spec gives, a class or
// enrollment marked "tobedeleted" (read as absent), a user in two
// homerooms of one org (the first in enrollments.csv is its homeroom), a
// type twice in a user's userIds (the first is read), users without org
// or role (how many, and the first three), and a manifest without
// oneroster.version.
//
// # Many schools, memory
//
// Open reads a package once; Select takes the rows of some of its orgs,
// so that each school of a district gets its own rows. What Open keeps
// grows with users and classes, not with enrollments: of enrollments it
// keeps each user's first homeroom and line only, and of roles.csv each
// role (its role and grade text once for the package), some 80 bytes a
// user in 1.1 and 155 in 1.2 with one role each (TestMemory, on a 64-bit
// machine), and users.csv is streamed; Rows keeps a flag of each
// user with roles or enrollments, and the sourcedIds of the others. No
// password column is ever read.
package oneroster

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/autosync-go/autosync/csvspec"
)

// The codes of an *Error. Those marked (a warning) are only ever in
// Package.Warnings.
const (
	CodeOption        = "bad-option"          // an Options field has a value it does not take
	CodeZip           = "bad-zip"             // the zip cannot be read
	CodeUnsafePath    = "unsafe-path"         // a zip entry's path is absolute or has ".."
	CodeZipName       = "zip-name"            // two zip entries have one name, or names equal but for case
	CodeLayout        = "zip-layout"          // the zip has files at its root and in a folder, in two top folders, or only deeper
	CodeTooLarge      = "too-large"           // the zip's files hold more than MaxZipSize bytes, or a record more than MaxRecord
	CodeMissingFile   = "missing-file"        // a file the reader needs is not in the package
	CodeFileList      = "file-list"           // the package's files differ from the manifest's list
	CodeVersion       = "unknown-version"     // oneroster.version is neither 1.0, 1.1 nor 1.2
	CodeDelta         = "delta"               // the manifest marks a file delta
	CodeUsersAbsent   = "users-absent"        // a bulk manifest marks users.csv absent
	CodeNoRows        = "no-rows"             // a file the manifest marks bulk has no data rows
	CodeCSV           = "malformed-csv"       // a record of a file is not CSV, or has the wrong field count
	CodeRead          = "read-error"          // a file could not be read (a truncated zip, say)
	CodeMissingColumn = "missing-column"      // a header lacks a column the reader needs
	CodeUnknownRef    = "unknown-reference"   // a sourcedId names no user, org or class of the package
	CodeTwoPrimary    = "two-primary-roles"   // a user has two primary roles in one org
	CodeNoOrg         = "no-such-org"         // an org Select is given names no org, or two
	CodeMissingUser   = "missing-sourcedid"   // a user has an empty sourcedId
	CodeDuplicate     = "duplicate-sourcedid" // two users, or two orgs, have one sourcedId
	CodeBadValue      = "bad-value"           // the code of the csvspec.Problem of a user whose role's date, or SDS isPrimary, does not parse

	CodeHeaderOrder  = "header-order"        // the header's spec columns are out of order (a warning)
	CodeHeaderCase   = "header-case"         // a header name differs from the spec's in case (a warning)
	CodeUnknownCol   = "unknown-column"      // a header name is neither the spec's nor metadata.* (a warning)
	CodeOptionalCol  = "optional-column"     // a spec column the reader may read is missing (a warning)
	CodeActive       = "status-active"       // status is "active" in a bulk file (a warning)
	CodeSourcedID    = "sourcedid-format"    // a sourcedId has characters or a length outside the spec (a warning)
	CodeNoMembership = "no-membership"       // users have no org (1.1) or no role (1.2, SDS), so no row (a warning)
	CodeNoVersion    = "no-version"          // the manifest has no oneroster.version, so the package is read as 1.1 (a warning)
	CodeToBeDeleted  = "tobedeleted"         // the code of the csvspec.Problem of a user or role marked tobedeleted
	CodeIgnored      = "tobedeleted-ignored" // a class or enrollment is tobedeleted, so read as absent (a warning)
	CodeTwoHomerooms = "two-homerooms"       // a user is in two homerooms of one org; the first is used (a warning)
	CodeUserIDTwice  = "userids-twice"       // a user's userIds has a type twice; the first is used (a warning)
	CodeNotPrimary   = "not-primary"         // SDS roles of an org where the user has another role, so no row with Roles "primary" (a warning)
)

// An Error is a problem of a package: its file ("" for the package),
// line (0 when not at one), column (the header name, "" when not at
// one) and a stable Code. Err is the error of reading a file, if that
// was the problem.
type Error struct {
	File   string
	Line   int
	Column string
	Code   string
	Msg    string
	Err    error
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Error returns the place of the problem and what it is.
func (e *Error) Error() string {
	s := "oneroster: "
	if e.File != "" {
		s += e.File
		if e.Line > 0 {
			s += fmt.Sprintf(":%d", e.Line)
		}
		if e.Column != "" {
			s += " column " + e.Column
		}
		s += ": "
	}
	return s + e.Msg
}

// Options say how to read a package; the zero Options read a OneRoster
// package with primary roles, and disabled users kept.
type Options struct {
	// SDS reads a School Data Sync v2.1 package instead of OneRoster.
	SDS bool
	// Roles is "primary" (the default, ""): one row per user per org,
	// with the user's primary role there (1.2 roleType primary, SDS
	// isPrimary true), or its first current role there when it has no
	// primary one; in SDS, the roles left out are counted in a warning
	// (CodeNotPrimary). "all": one row per role. 1.1 has one role a user.
	Roles string
	// DisabledUsers is "keep" (the default, ""): users with enabledUser
	// false are yielded as any other; or "leaver": they are left out, so
	// that the sync job treats them as gone from the export (its leaver
	// rule applies).
	DisabledUsers string
	// Today is the run's date, against which roles.csv's dates are
	// read (1.2 beginDate and endDate, SDS roleStartDate and
	// roleEndDate): a role that has ended or not yet begun is not a role
	// of the user. The zero Today is the day Open runs in the machine's
	// local time zone: a program run for a school in another zone sets
	// TZ (or Today).
	Today time.Time
	// Columns names the columns the caller maps (a mapping's Columns()):
	// each userIds.<Type> among them becomes a column of the header, and
	// a column whose source column the package lacks is an error.
	Columns []string
}

// An Org is an organisation of a package (a school, a district).
type Org struct{ SourcedID, Name, Identifier string }

// A Package is an opened package. Its orgs, homeroom classes, homeroom
// enrollments and roles are in memory; users.csv is read as Rows runs.
// A Package is not safe for concurrent use, but the Packages Select
// makes of one may each run Rows at once.
type Package struct {
	arc      *archive
	opts     Options
	version  string
	noRows   bool                        // the manifest marks every file absent
	bulk     map[string]bool             // files the manifest marks bulk
	orgs     []Org                       // in orgs.csv's order
	orgIdx   map[string]int32            // by sourcedId
	only     []bool                      // by org: whether Select selected it (nil: all)
	classes  map[string]int32            // by sourcedId: the index in homerooms, or -1
	homeroom []class                     // the homeroom classes
	users    map[string]int32            // by sourcedId of a user with roles or enrollments: its index in info
	ids      []string                    // their sourcedIds, by that index
	info     []user                      // their enrollments, by that index
	roles    [][]role                    // their roles, by that index (1.2 and SDS)
	roleBad  map[int32][]csvspec.Problem // by that index: the problems of roles with a value that does not parse
	today    string                      // Options.Today, YYYY-MM-DD
	extra    map[string][]int32          // by user: its homerooms of other orgs
	hasRoles bool                        // 1.2 and SDS: roles come from roles.csv
	header   []string
	src      []int // for each header column, the users.csv column, or -1
	uidTypes []string
	warned   map[string]bool
	warnings []Error
}

type class struct {
	title, code string
	org         int32
}

// A user is what enrollments.csv says of a user: its first homeroom
// (or -1) and its first enrollment's line (0 when it has none).
type user struct{ class, line int32 }

type role struct {
	org     int32
	role    string
	grade   string // SDS
	line    int32
	primary bool
	gone    bool // tobedeleted
	out     bool // ended, or not yet begun
}

// Open opens the package at name, a folder or a zip file, and reads all
// of it but users.csv: the manifest, orgs, homeroom classes and their
// enrollments, and roles. Its errors are *Error values, or errors of the
// file system.
func Open(name string, opts Options) (*Package, error) {
	arc, err := openArchive(name)
	if err != nil {
		return nil, err
	}
	p, err := open(arc, opts)
	if err != nil {
		_ = arc.close()
		return nil, err
	}
	return p, nil
}

func open(arc *archive, opts Options) (*Package, error) {
	p := &Package{arc: arc, opts: opts, version: "1.0", bulk: map[string]bool{}, warned: map[string]bool{}}
	if !slices.Contains([]string{"", "primary", "all"}, opts.Roles) {
		return nil, &Error{Code: CodeOption, Msg: fmt.Sprintf("roles %q is neither primary nor all", opts.Roles)}
	}
	if !slices.Contains([]string{"", "keep", "leaver"}, opts.DisabledUsers) {
		return nil, &Error{Code: CodeOption, Msg: fmt.Sprintf("disabled users %q is neither keep nor leaver", opts.DisabledUsers)}
	}
	if opts.SDS {
		p.version = "sds"
	}
	p.today = cmp.Or(opts.Today, time.Now()).Format("2006-01-02")
	if err := p.readManifest(); err != nil {
		return nil, err
	}
	p.hasRoles = p.version == "1.2" || p.version == "sds"
	if p.noRows { // no updates: a header the rules accept, and no rows
		p.header = slices.Clone(fixedCols)
		for _, c := range opts.Columns {
			if !slices.ContainsFunc(p.header, func(h string) bool { return strings.EqualFold(h, c) }) {
				p.header = append(p.header, c)
			}
		}
		return p, nil
	}
	for _, f := range []string{"users.csv", "orgs.csv"} {
		if _, ok := arc.names[f]; !ok {
			return nil, &Error{File: f, Code: CodeMissingFile, Msg: "the package has no " + f}
		}
	}
	// Room for a user a 128 bytes of users.csv, so that the index of
	// users rarely grows (a guess: a file of shorter records grows it).
	n := int(min(arc.size(arc.names["users.csv"])/128, 1<<20))
	p.users, p.ids, p.info = make(map[string]int32, n), make([]string, 0, n), make([]user, 0, n)
	for _, step := range []func() error{p.readOrgs, p.readClasses, p.readRoles, p.openUsers} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Close closes the package's zip file; close the Package that Open
// returned once the Packages that Select made of it are done.
func (p *Package) Close() error { return p.arc.close() }

// Select returns a Package whose Rows yields only the rows of orgs, each
// an org's identifier or its sourcedId, sharing what Open read: one
// package, read once, routed to many schools. A value that names no
// org, or two (one's identifier and another's sourcedId, say), is an
// *Error (CodeNoOrg).
func (p *Package) Select(orgs ...string) (*Package, error) {
	q := *p
	q.warned, q.warnings = map[string]bool{}, nil
	if p.noRows {
		return &q, nil
	}
	q.only = make([]bool, len(p.orgs))
	for _, v := range orgs {
		var by []int
		for i, o := range p.orgs {
			if o.Identifier == v || o.SourcedID == v {
				by = append(by, i)
			}
		}
		if len(by) != 1 {
			msg := fmt.Sprintf("%d orgs have the identifier or sourcedId %q", len(by), v)
			for _, i := range by {
				msg += fmt.Sprintf(", org %q (%q)", p.orgs[i].SourcedID, p.orgs[i].Identifier)
			}
			return nil, &Error{File: "orgs.csv", Code: CodeNoOrg, Msg: msg}
		}
		q.only[by[0]] = true
	}
	return &q, nil
}

// NoUpdates reports whether the package means "no updates": its
// manifest marks every file absent, so Rows yields no rows. A sync job
// runs such a night with Job.RunUnchanged, not with the empty rows,
// which its guard refuses as an empty export.
func (p *Package) NoUpdates() bool { return p.noRows }

// Version returns the package's version: "1.0" (no manifest, read as
// 1.1), "1.1", "1.2", or "sds".
func (p *Package) Version() string { return p.version }

// Orgs returns the package's orgs, in orgs.csv's order.
func (p *Package) Orgs() []Org { return slices.Clone(p.orgs) }

// Header returns the names of the columns of the rows Rows yields.
func (p *Package) Header() []string { return slices.Clone(p.header) }

// Warnings returns the warnings found so far, each code once per file:
// by Open, and by Rows when it has run.
func (p *Package) Warnings() []Error { return slices.Clone(p.warnings) }

// warn adds a warning, if its code is new for its file.
func (p *Package) warn(e Error) {
	if k := e.File + "\x00" + e.Code; !p.warned[k] {
		p.warned[k] = true
		p.warnings = append(p.warnings, e)
	}
}

// The columns of the files the reader reads, in the spec's order.
var (
	orgCols     = []string{"sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"}
	classCols   = []string{"sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods"}
	enrolCols   = []string{"sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate", "endDate"}
	roleCols    = []string{"sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId"}
	user11Cols  = []string{"sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password"}
	user12Cols  = []string{"sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password", "userMasterIdentifier", "resourceSourcedIds", "preferredGivenName", "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns"}
	sdsOrgCols  = []string{"sourcedId", "name", "type", "parentSourcedId"}
	sdsUserCols = []string{"sourcedId", "username", "givenName", "familyName", "password", "activeDirectoryMatchId", "email", "phone", "sms"}
	sdsRoleCols = []string{"userSourcedId", "orgSourcedId", "role", "sessionSourcedId", "grade", "isPrimary", "roleStartDate", "roleEndDate"}
)

// needs returns the columns of file that the virtual columns of
// Options.Columns read.
func (p *Package) needs(file string) []string {
	var cols []string
	for _, c := range p.opts.Columns {
		if f, col := p.source(c); strings.EqualFold(f, file) && col != "" {
			cols = append(cols, col)
		}
	}
	return cols
}

// source returns the file and column that the virtual column c is read
// from; "" for a column that is not virtual.
func (p *Package) source(c string) (file, col string) {
	lc := strings.ToLower(c)
	switch {
	case strings.HasPrefix(lc, "org."):
		return "orgs.csv", c[4:]
	case strings.HasPrefix(lc, "homeroom."):
		return "classes.csv", c[9:]
	case strings.HasPrefix(lc, "userids."):
		return "users.csv", "userIds"
	case strings.HasPrefix(lc, "metadata."):
		return "users.csv", c
	case lc == "role" && p.version != "1.0" && p.version != "1.1":
		return "roles.csv", "role"
	case (lc == "grades" || lc == "grade") && p.version == "sds":
		return "roles.csv", "grade"
	case lc == "grade":
		return "users.csv", "grades"
	case slices.Contains([]string{"sourcedid", "username", "identifier", "email", "givenname", "familyname", "enableduser", "role", "grades"}, lc):
		return "users.csv", c
	}
	return "", ""
}
