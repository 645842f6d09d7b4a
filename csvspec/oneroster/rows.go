package oneroster

import (
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"

	"github.com/autosync-go/autosync/csvspec"
)

// The virtual columns every header starts with, in this order.
var fixedCols = []string{"sourcedId", "username", "identifier", "email", "givenName", "familyName", "enabledUser",
	"role", "grades", "grade", "org.sourcedId", "org.name", "org.identifier", "homeroom.title", "homeroom.classCode"}

const (
	vRole = iota + 7
	vGrades
	vGrade
	vOrgID
	vOrgName
	vOrgIdent
	vTitle
	vCode
	nFixed
)

// userFile returns the spec's columns of users.csv and those the
// reader needs.
func (p *Package) userFile() (name string, spec, required []string) {
	switch p.version {
	case "sds":
		spec, required = sdsUserCols, []string{"sourcedId"}
	case "1.2":
		spec, required = user12Cols, []string{"sourcedId"}
	default:
		spec, required = user11Cols, []string{"sourcedId", "orgSourcedIds", "role"}
	}
	return "users.csv", spec, append(required, p.needs("users.csv")...)
}

// openUsers checks users.csv's header and makes the header of the rows.
func (p *Package) openUsers() error {
	t, err := p.openTable(p.userFile())
	if err != nil {
		return err
	}
	defer t.close()
	p.header = append([]string{}, fixedCols...)
	for _, c := range p.opts.Columns {
		if hasPrefixFold(c, "userIds.") {
			p.uidTypes = append(p.uidTypes, c[len("userIds."):])
			p.header = append(p.header, c)
		}
	}
	for _, h := range t.header {
		if hasPrefixFold(h, "metadata.") {
			p.header = append(p.header, h)
		}
	}
	p.src = make([]int, len(p.header))
	for i, h := range p.header {
		j, ok := t.col[h]
		switch {
		case i >= nFixed+len(p.uidTypes):
			p.src[i] = slices.Index(t.header, h)
		case i < vRole && ok:
			p.src[i] = j
		default:
			p.src[i] = -1
		}
	}
	return nil
}

// Rows reads users.csv and yields one row per user per org (one per
// role with Options.Roles "all"), in users.csv's order, with the values
// of Header's columns in Fields and the user's users.csv line in Line.
// Fields is reused: it holds its values until the next row. A user with
// status "tobedeleted", or such a role, yields its rows with a problem
// of SeverityError (CodeToBeDeleted), so that a sync job holds it.
//
// An error of the package ends the sequence: an org of orgSourcedIds
// (1.1) not in orgs.csv, an empty sourcedId, malformed CSV, and, after
// the rows, a role or enrollment of a user not in users.csv.
func (p *Package) Rows() iter.Seq2[csvspec.SourceRow, error] {
	return func(yield func(csvspec.SourceRow, error) bool) {
		if p.noRows {
			return
		}
		t, err := p.openTable(p.userFile())
		if err != nil {
			yield(csvspec.SourceRow{}, err)
			return
		}
		defer t.close()
		for _, ur := range p.roles {
			ur.seen = false
		}
		for k, m := range p.inClass {
			p.inClass[k] = member{m.class, m.line, false}
		}
		u := userRow{p: p, t: t, f: make([]string, len(p.header))}
		for rec, line, err := t.next(); ; rec, line, err = t.next() {
			switch err {
			case io.EOF:
				err = p.dangling()
			case nil:
				err = u.read(rec, line, yield)
			}
			if err != nil {
				if err != errStop {
					yield(csvspec.SourceRow{}, err)
				}
				return
			}
		}
	}
}

// errStop ends Rows without an error: the sequence's consumer stopped,
// or users.csv ended and every reference was found.
var errStop = fmt.Errorf("stop")

// A userRow makes the rows of one user.
type userRow struct {
	p *Package
	t *table
	f []string
}

// read yields the rows of the user rec of users.csv.
func (u *userRow) read(rec []string, line int, yield func(csvspec.SourceRow, error) bool) error {
	p, t, f := u.p, u.t, u.f
	id := t.get(rec, "sourcedId")
	if id == "" {
		return t.errorf(line, "sourcedId", CodeMissingUser, "the user has no sourcedId")
	}
	p.checkID(t, line, "sourcedId", id)
	ur := p.roles[id]
	if ur != nil {
		ur.seen = true
	}
	if m, ok := p.inClass[id]; ok {
		p.inClass[id] = member{m.class, m.line, true}
	}
	if p.opts.DisabledUsers == "leaver" && strings.EqualFold(strings.TrimSpace(t.get(rec, "enabledUser")), "false") {
		return nil
	}
	clear(f)
	for i, s := range p.src {
		if s >= 0 {
			f[i] = rec[s]
		}
	}
	u.userIDs(t.get(rec, "userIds"))
	f[vGrades], f[vGrade] = grades(t.get(rec, "grades"))
	var ps []csvspec.Problem
	if t.status(rec) == "tobedeleted" {
		ps = []csvspec.Problem{{Line: line, Column: "status", Code: CodeToBeDeleted, Severity: csvspec.SeverityError,
			Message: "users.csv marks the user tobedeleted in a bulk package"}}
	}
	if ur == nil && p.roles != nil || p.roles == nil && strings.TrimSpace(t.get(rec, "orgSourcedIds")) == "" {
		p.warn(Error{File: t.name, Line: line, Code: CodeNoMembership, Msg: fmt.Sprintf("user %q has no org or role, so no row", id)})
		return nil
	}
	if p.roles == nil { // 1.0, 1.1: the orgs and role are the user's
		r := t.get(rec, "role")
		for o := range strings.SplitSeq(t.get(rec, "orgSourcedIds"), ",") {
			org, err := p.org(t, line, "orgSourcedIds", strings.TrimSpace(o))
			if err != nil {
				return err
			}
			if !u.yield(id, org, r, ps, line, yield) {
				return errStop
			}
		}
		return nil
	}
	for i, r := range ur.roles {
		if !p.chosen(ur.roles, i) {
			continue
		}
		rps := ps
		if r.gone {
			rps = append(ps[:len(ps):len(ps)], csvspec.Problem{Line: line, Column: "role", Code: CodeToBeDeleted, Severity: csvspec.SeverityError,
				Message: fmt.Sprintf("roles.csv line %d marks the user's role tobedeleted in a bulk package", r.line)})
		}
		if p.version == "sds" {
			f[vGrades], f[vGrade] = grades(r.grade)
		}
		if !u.yield(id, r.org, r.role, rps, line, yield) {
			return errStop
		}
	}
	return nil
}

// chosen reports whether the role rs[i] yields a row: every role with
// Options.Roles "all" or in SDS; else the user's primary role in its
// org, or its first role there when it has no primary one.
func (p *Package) chosen(rs []role, i int) bool {
	if p.opts.Roles == "all" || p.version == "sds" {
		return true
	}
	for j, r := range rs {
		if r.org == rs[i].org && (r.primary || j == i) {
			return j == i
		}
	}
	return false
}

// yield yields the user's row in org, unless Options.Orgs leaves the
// org out.
func (u *userRow) yield(id string, org int32, r string, ps []csvspec.Problem, line int, yield func(csvspec.SourceRow, error) bool) bool {
	p, f := u.p, u.f
	if p.only != nil && !p.only[org] {
		return true
	}
	o := p.orgs[org]
	f[vRole], f[vOrgID], f[vOrgName], f[vOrgIdent] = r, o.SourcedID, o.Name, o.Identifier
	f[vTitle], f[vCode] = "", ""
	if c, ok := p.homeroomOf(id, org); ok {
		f[vTitle], f[vCode] = p.homeroom[c].title, p.homeroom[c].code
	}
	return yield(csvspec.SourceRow{Fields: f, Line: line, Problems: ps}, nil)
}

// homeroomOf returns the user's homeroom class in org.
func (p *Package) homeroomOf(id string, org int32) (int32, bool) {
	m, ok := p.inClass[id]
	if !ok {
		return 0, false
	}
	if p.homeroom[m.class].org == org {
		return m.class, true
	}
	for _, c := range p.extra[id] {
		if p.homeroom[c].org == org {
			return c, true
		}
	}
	return 0, false
}

// userIDs sets the userIds.<Type> columns from users.csv's userIds,
// "{Type:Id},{Type:Id}".
func (u *userRow) userIDs(s string) {
	for s != "" && len(u.p.uidTypes) > 0 {
		i := strings.IndexByte(s, '{')
		j := strings.IndexByte(s, '}')
		if i < 0 || j < i {
			return
		}
		typ, id, _ := strings.Cut(s[i+1:j], ":")
		for k, want := range u.p.uidTypes {
			if strings.EqualFold(strings.TrimSpace(typ), want) {
				u.f[nFixed+k] = strings.TrimSpace(id)
			}
		}
		s = s[j+1:]
	}
}

// grades returns a list of grades joined with ",", and the grade when
// the list has one.
func grades(s string) (all, one string) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, ",") {
		return s, s
	}
	var parts []string
	for g := range strings.SplitSeq(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			parts = append(parts, g)
		}
	}
	if len(parts) == 1 {
		return parts[0], parts[0]
	}
	return strings.Join(parts, ","), ""
}

// dangling returns the error of the first role or homeroom enrollment,
// by line, of a user not in users.csv, or errStop.
func (p *Package) dangling() error {
	var e *Error
	for u, ur := range p.roles {
		if l := ur.roles[0].line; !ur.seen && (e == nil || l < e.Line) {
			e = &Error{File: "roles.csv", Line: l, Column: "userSourcedId", Code: CodeUnknownRef, Msg: fmt.Sprintf("user %q is not in users.csv", u)}
		}
	}
	if e != nil {
		return e
	}
	for u, m := range p.inClass {
		if !m.seen && (e == nil || m.line < e.Line) {
			e = &Error{File: "enrollments.csv", Line: m.line, Column: "userSourcedId", Code: CodeUnknownRef, Msg: fmt.Sprintf("user %q is not in users.csv", u)}
		}
	}
	if e != nil {
		return e
	}
	return errStop
}
