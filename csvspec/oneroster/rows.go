package oneroster

import (
	"errors"
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
	var meta []int // the indices of users.csv's metadata columns
	for j, h := range t.header {
		if hasPrefixFold(h, "metadata.") {
			if k := slices.IndexFunc(p.opts.Columns, func(c string) bool { return strings.EqualFold(c, h) }); k >= 0 {
				h = p.opts.Columns[k] // as the rules write it
			}
			p.header = append(p.header, h)
			meta = append(meta, j)
		}
	}
	p.src = make([]int, len(p.header))
	for i, h := range p.header {
		j, ok := t.col[h]
		switch {
		case i >= nFixed+len(p.uidTypes):
			p.src[i] = meta[i-nFixed-len(p.uidTypes)]
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
// of SeverityError (CodeToBeDeleted), so that a sync job holds it, even
// when DisabledUsers is "leaver"; without org or role, it has a row in
// its primaryOrgSourcedId's org (1.2), or one in every org.
//
// An error of the package ends the sequence: an org of orgSourcedIds
// (1.1) not in orgs.csv, an empty sourcedId, a sourcedId twice,
// malformed CSV, and, after the rows, a role or enrollment of a user
// not in users.csv.
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
		u := userRow{p: p, t: t, f: make([]string, len(p.header)), seen: make([]bool, len(p.info)), others: map[string]bool{}, id: t.index("sourcedId"), enabled: t.index("enabledUser"),
			uids: t.index("userIds"), grades: t.index("grades"), orgs: t.index("orgSourcedIds"), role: t.index("role"),
			primary: t.index("primaryOrgSourcedId")}
		for rec, line, err := t.next(); ; rec, line, err = t.next() {
			switch err {
			case io.EOF:
				u.warnNone()
				err = errStop
				if u.known < len(p.info) { // each user is once in users.csv
					err = p.dangling(u.seen)
				}
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
var errStop = errors.New("stop")

// A userRow makes the rows of one user.
type userRow struct {
	p              *Package
	t              *table
	f              []string
	id, enabled    int // the indices of users.csv's columns, or -1
	uids, grades   int
	orgs, role     int
	primary        int
	seen           []bool          // by index in p.info: whether users.csv has the user
	next           int32           // the index in p.info of the user expected next
	known          int             // how many of those users users.csv has
	others         map[string]bool // the other sourcedIds of users.csv so far
	none           int             // how many users have no org or role
	noneIDs        []string        // the first three
	noneLine       int             // the first one's line
	notPrimary     int             // SDS roles of a user's org with another role chosen, left out with Roles "primary"
	notPrimaryLine int             // the first one's roles.csv line
}

// find returns the index of user id in p.info, if it is there: at
// once when users.csv follows roles.csv or enrollments.csv's order of
// users, as exports often do, else from the index.
func (u *userRow) find(id string) (int32, bool) {
	if n := u.next; int(n) < len(u.p.ids) && u.p.ids[n] == id {
		u.next++
		return n, true
	}
	i, ok := u.p.users[id]
	if ok {
		u.next = i + 1
	}
	return i, ok
}

// warnNone warns of the users without org or role, naming the first,
// and of the SDS roles left out for not being primary.
func (u *userRow) warnNone() {
	if u.none > 0 {
		msg := fmt.Sprintf("%d users have no org or role, so no row: %q", u.none, u.noneIDs)
		u.p.warn(Error{File: u.t.name, Line: u.noneLine, Code: CodeNoMembership, Msg: msg})
	}
	if u.notPrimary > 0 {
		msg := fmt.Sprintf("%d roles are a user's second role in an org, so no row with roles primary; roles all sends them", u.notPrimary)
		u.p.warn(Error{File: "roles.csv", Line: u.notPrimaryLine, Column: "isPrimary", Code: CodeNotPrimary, Msg: msg})
	}
}

// read yields the rows of the user rec of users.csv.
func (u *userRow) read(rec []string, line int, yield func(csvspec.SourceRow, error) bool) error {
	p, t, f := u.p, u.t, u.f
	id := rec[u.id]
	if id == "" {
		return t.errorf(line, "sourcedId", CodeMissingUser, "the user has no sourcedId")
	}
	p.checkID(t, line, "sourcedId", id)
	hr, roles := int32(-1), []role(nil)
	i, ok := u.find(id)
	switch {
	case ok && u.seen[i], !ok && u.others[id]:
		return t.errorf(line, "sourcedId", CodeDuplicate, "user %q is in users.csv twice", id)
	case ok:
		u.seen[i], hr = true, p.info[i].class
		u.known++
		if p.hasRoles {
			roles = p.roles[i]
		}
	default:
		u.others[strings.Clone(id)] = true
	}
	gone := t.gone(rec)
	if p.opts.DisabledUsers == "leaver" && !gone && strings.EqualFold(strings.TrimSpace(at(rec, u.enabled)), "false") {
		return nil
	}
	clear(f)
	for i, s := range p.src {
		if s >= 0 {
			f[i] = rec[s]
		}
	}
	u.userIDs(at(rec, u.uids), line)
	f[vGrades], f[vGrade] = grades(at(rec, u.grades))
	var ps []csvspec.Problem
	if gone {
		ps = []csvspec.Problem{{Line: line, Column: "status", Code: CodeToBeDeleted, Severity: csvspec.SeverityError,
			Message: "users.csv marks the user tobedeleted in a bulk package"}}
	}
	for _, b := range p.roleBad[i] {
		if ok {
			b.Line = line
			ps = append(ps, b)
		}
	}
	if p.hasRoles && !slices.ContainsFunc(roles, func(r role) bool { return !r.out }) || !p.hasRoles && strings.TrimSpace(at(rec, u.orgs)) == "" {
		return u.held(id, hr, at(rec, u.primary), ps, line, yield)
	}
	if !p.hasRoles { // 1.0, 1.1: the orgs and role are the user's
		return u.inOrgs(id, hr, rec, ps, line, yield)
	}
	return u.inRoles(id, hr, roles, ps, line, yield)
}

// inRoles yields the rows of a 1.2 or SDS user, one for each role chosen,
// with problems ps and a problem of each role marked tobedeleted.
func (u *userRow) inRoles(id string, hr int32, roles []role, ps []csvspec.Problem, line int, yield func(csvspec.SourceRow, error) bool) error {
	p := u.p
	for i, r := range roles {
		if !p.chosen(roles, i) {
			if !r.out && p.version == "sds" && (p.only == nil || p.only[r.org]) {
				if u.notPrimary++; u.notPrimary == 1 {
					u.notPrimaryLine = int(r.line)
				}
			}
			continue
		}
		rps := ps
		if r.gone {
			rps = append(ps[:len(ps):len(ps)], csvspec.Problem{Line: line, Column: "role", Code: CodeToBeDeleted, Severity: csvspec.SeverityError,
				Message: fmt.Sprintf("roles.csv line %d marks the user's role tobedeleted in a bulk package", r.line)})
		}
		if p.version == "sds" {
			u.f[vGrades], u.f[vGrade] = grades(r.grade)
		}
		if !u.yield(id, hr, r.org, r.role, rps, line, yield) {
			return errStop
		}
	}
	return nil
}

// inOrgs yields the rows of a 1.1 user rec, one for each org of its
// orgSourcedIds, once.
func (u *userRow) inOrgs(id string, hr int32, rec []string, ps []csvspec.Problem, line int, yield func(csvspec.SourceRow, error) bool) error {
	var buf [4]int32
	done := buf[:0] // the orgs yielded, without an allocation for a few
	for o := range strings.SplitSeq(at(rec, u.orgs), ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		org, err := u.p.org(u.t, line, "orgSourcedIds", o)
		if err != nil {
			return err
		}
		if slices.Contains(done, org) {
			continue
		}
		done = append(done, org)
		if !u.yield(id, hr, org, rec[u.role], ps, line, yield) {
			return errStop
		}
	}
	return nil
}

// held yields the rows of a user without org or role that is
// tobedeleted (has problems ps), so that a sync job holds it: one in its
// primaryOrgSourcedId's org (1.2), or one in every org. Other such users
// have no row, and are counted for a warning.
func (u *userRow) held(id string, hr int32, primary string, ps []csvspec.Problem, line int, yield func(csvspec.SourceRow, error) bool) error {
	if ps == nil {
		if u.none++; u.none == 1 {
			u.noneLine = line
		}
		if u.none <= 3 {
			u.noneIDs = append(u.noneIDs, strings.Clone(id))
		}
		return nil
	}
	if o, ok := u.p.orgIdx[primary]; ok {
		if !u.yield(id, hr, o, "", ps, line, yield) {
			return errStop
		}
		return nil
	}
	for o := range u.p.orgs {
		if !u.yield(id, hr, int32(o), "", ps, line, yield) {
			return errStop
		}
	}
	return nil
}

// chosen reports whether the role rs[i] yields a row: none that has
// ended or not yet begun; else every role with Options.Roles "all"; else
// the user's primary role in its org, or its first role there when it
// has no primary one.
func (p *Package) chosen(rs []role, i int) bool {
	switch {
	case rs[i].out:
		return false
	case p.opts.Roles == "all":
		return true
	}
	first := -1 // the user's first role in the org, or its primary one
	for j, r := range rs {
		if !r.out && r.org == rs[i].org && (first < 0 || r.primary && !rs[first].primary) {
			first = j
		}
	}
	return first == i
}

// yield yields the user's row in org, unless Select left the org
// out; hr is the user's first homeroom, or -1.
func (u *userRow) yield(id string, hr int32, org int32, r string, ps []csvspec.Problem, line int, yield func(csvspec.SourceRow, error) bool) bool {
	p, f := u.p, u.f
	if p.only != nil && !p.only[org] {
		return true
	}
	o := p.orgs[org]
	f[vRole], f[vOrgID], f[vOrgName], f[vOrgIdent] = r, o.SourcedID, o.Name, o.Identifier
	f[vTitle], f[vCode] = "", ""
	c := hr
	if c >= 0 && p.homeroom[c].org != org {
		c = -1
		for _, x := range p.extra[id] {
			if p.homeroom[x].org == org {
				c = x
			}
		}
	}
	if c >= 0 {
		f[vTitle], f[vCode] = p.homeroom[c].title, p.homeroom[c].code
	}
	return yield(csvspec.SourceRow{Fields: f, Line: line, Problems: ps}, nil)
}

// userIDs sets the userIds.<Type> columns from users.csv's userIds,
// "{Type:Id},{Type:Id}": of a type twice, the first, with a warning.
func (u *userRow) userIDs(s string, line int) {
	for s != "" && len(u.p.uidTypes) > 0 {
		i := strings.IndexByte(s, '{')
		j := strings.IndexByte(s, '}')
		if i < 0 || j < i {
			return
		}
		typ, id, _ := strings.Cut(s[i+1:j], ":")
		for k, want := range u.p.uidTypes {
			switch {
			case !strings.EqualFold(strings.TrimSpace(typ), want):
			case u.f[nFixed+k] != "":
				u.p.warn(Error{File: u.t.name, Line: line, Column: "userIds", Code: CodeUserIDTwice, Msg: fmt.Sprintf("the user's userIds has the type %q twice; the first is read", want)})
			default:
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

// dangling returns the error of the first role or enrollment, by line,
// of a user not in users.csv (seen), or errStop.
func (p *Package) dangling(seen []bool) error {
	var e *Error
	check := func(file string, u string, line int) {
		if line > 0 && (e == nil || file == e.File && line < e.Line) {
			e = &Error{File: file, Line: line, Column: "userSourcedId", Code: CodeUnknownRef, Msg: fmt.Sprintf("user %q is not in users.csv", u)}
		}
	}
	for u, i := range p.users {
		if !seen[i] && p.hasRoles && p.roles[i] != nil {
			check("roles.csv", u, int(p.roles[i][0].line))
		}
	}
	for u, i := range p.users {
		if !seen[i] {
			check("enrollments.csv", u, int(p.info[i].line))
		}
	}
	if e == nil {
		return errStop
	}
	return e
}
