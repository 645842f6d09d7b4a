package oneroster

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/autosync-go/autosync/csvspec"
)

// readManifest reads manifest.csv, if the package has one, and checks
// the package's files against it.
func (p *Package) readManifest() error {
	if _, ok := p.arc.names["manifest.csv"]; !ok {
		return nil // no file is said to be bulk
	}
	t, err := p.openTable("manifest.csv", []string{"propertyName", "value"}, []string{"propertyName", "value"})
	if err != nil {
		return err
	}
	defer t.close()
	listed := map[string]int{} // "users.csv": the manifest's line
	absent, usersAbsent, version := 0, 0, false
	for rec, line, err := t.next(); err != io.EOF; rec, line, err = t.next() {
		if err != nil {
			return err
		}
		prop, val := strings.TrimSpace(t.get(rec, "propertyName")), strings.ToLower(strings.TrimSpace(t.get(rec, "value")))
		switch {
		case strings.EqualFold(prop, "oneroster.version") && p.version != "sds":
			if !slices.Contains([]string{"1.0", "1.1", "1.2"}, val) {
				return &Error{File: "manifest.csv", Line: line, Column: "value", Code: CodeVersion, Msg: fmt.Sprintf("oneroster.version %q is not 1.0, 1.1 or 1.2", val)}
			}
			p.version, version = val, true
		case hasPrefixFold(prop, "file."):
			f := strings.ToLower(prop[len("file."):]) + ".csv"
			switch val {
			case "delta":
				return &Error{File: "manifest.csv", Line: line, Column: "value", Code: CodeDelta, Msg: prop + " is delta: send a bulk package; deltas are not supported yet"}
			case "absent":
				absent++
				if f == "users.csv" {
					usersAbsent = line
				}
			case "bulk":
				listed[f] = line
				p.bulk[f] = true
			default:
				return &Error{File: "manifest.csv", Line: line, Column: "value", Code: CodeFileList, Msg: fmt.Sprintf("%s is %q, not bulk, delta or absent", prop, val)}
			}
		}
	}
	if !version && p.version != "sds" {
		p.version = "1.1"
		p.warn(Error{File: "manifest.csv", Code: CodeNoVersion, Msg: "the manifest has no oneroster.version; the package is read as 1.1"})
	}
	if usersAbsent > 0 && len(listed) > 0 {
		return &Error{File: "manifest.csv", Line: usersAbsent, Column: "value", Code: CodeUsersAbsent, Msg: "file.users is absent in a bulk package"}
	}
	return p.checkList(listed, absent)
}

// checkList checks that the package's CSV files are those the manifest
// marks bulk, each with a data row.
func (p *Package) checkList(listed map[string]int, absent int) error {
	for _, f := range slices.Sorted(maps.Keys(listed)) {
		line := listed[f]
		if _, ok := p.arc.names[f]; !ok {
			return &Error{File: "manifest.csv", Line: line, Column: "value", Code: CodeFileList, Msg: fmt.Sprintf("the manifest lists %s, which the package lacks", f)}
		}
		t, err := p.openTable(f, nil, nil)
		if err != nil {
			return err
		}
		t.close()
	}
	for _, n := range slices.Sorted(maps.Keys(p.arc.names)) {
		if _, ok := listed[n]; !ok && strings.HasSuffix(n, ".csv") && n != "manifest.csv" {
			f := path.Base(p.arc.names[n])
			return &Error{File: f, Code: CodeFileList, Msg: "the manifest does not list " + f + " as bulk"}
		}
	}
	p.noRows = len(listed) == 0 && absent > 0
	return nil
}

// readOrgs reads orgs.csv.
func (p *Package) readOrgs() error {
	cols := orgCols
	if p.version == "sds" {
		cols = sdsOrgCols
	}
	t, err := p.openTable("orgs.csv", cols, append([]string{"sourcedId"}, p.needs("orgs.csv")...))
	if err != nil {
		return err
	}
	defer t.close()
	p.orgIdx = map[string]int32{}
	for rec, line, err := t.next(); err != io.EOF; rec, line, err = t.next() {
		if err != nil {
			return err
		}
		id := t.get(rec, "sourcedId")
		p.checkID(t, line, "sourcedId", id)
		if _, ok := p.orgIdx[id]; ok {
			return t.errorf(line, "sourcedId", CodeDuplicate, "org %q is in orgs.csv twice", id)
		}
		p.orgIdx[id] = int32(len(p.orgs))
		p.orgs = append(p.orgs, Org{SourcedID: id, Name: t.get(rec, "name"), Identifier: t.get(rec, "identifier")})
	}
	return nil
}

// readClasses reads the classes, keeping the homerooms, and the
// enrollments.
func (p *Package) readClasses() error {
	p.classes, p.extra = map[string]int32{}, map[string][]int32{}
	_, hasClasses := p.arc.names["classes.csv"]
	if p.version == "sds" || !hasClasses {
		if cols := p.needs("classes.csv"); len(cols) > 0 {
			return &Error{File: "classes.csv", Code: CodeMissingFile, Msg: fmt.Sprintf("the package has no homeroom classes, whose %s the rules read", cols[0])}
		}
		return nil
	}
	t, err := p.openTable("classes.csv", classCols, append([]string{"sourcedId", "classType", "schoolSourcedId"}, p.needs("classes.csv")...))
	if err != nil {
		return err
	}
	defer t.close()
	for rec, line, err := t.next(); err != io.EOF; rec, line, err = t.next() {
		if err != nil {
			return err
		}
		id := strings.Clone(t.get(rec, "sourcedId"))
		p.classes[id] = -1
		org, err := p.org(t, line, "schoolSourcedId", t.get(rec, "schoolSourcedId"))
		if err != nil {
			return err
		}
		if t.gone(rec) {
			p.warn(Error{File: t.name, Line: line, Column: "status", Code: CodeIgnored, Msg: fmt.Sprintf("class %q is tobedeleted in a bulk file, so it is no homeroom", id)})
		} else if strings.EqualFold(t.get(rec, "classType"), "homeroom") {
			p.classes[id] = int32(len(p.homeroom))
			p.homeroom = append(p.homeroom, class{title: t.get(rec, "title"), code: t.get(rec, "classCode"), org: org})
		}
	}
	if _, ok := p.arc.names["enrollments.csv"]; !ok {
		return nil
	}
	return p.readEnrollments()
}

// readEnrollments checks each enrollment's class and school, and keeps
// of each user its first enrollment's line, for Rows to check the user,
// and its homerooms, the first of each org.
func (p *Package) readEnrollments() error {
	t, err := p.openTable("enrollments.csv", enrolCols, []string{"classSourcedId", "userSourcedId"})
	if err != nil {
		return err
	}
	defer t.close()
	ci, ui, si := t.col["classSourcedId"], t.col["userSourcedId"], t.index("schoolSourcedId")
	school, last := "", "" // the last school found, the last user kept
	for rec, line, err := t.next(); err != io.EOF; rec, line, err = t.next() {
		if err != nil {
			return err
		}
		c, ok := p.classes[rec[ci]]
		if !ok {
			return t.errorf(line, "classSourcedId", CodeUnknownRef, "class %q is not in classes.csv", rec[ci])
		}
		if s := at(rec, si); s != "" && s != school {
			o, err := p.org(t, line, "schoolSourcedId", s)
			if err != nil {
				return err
			}
			school = p.orgs[o].SourcedID // kept already: no copy of s
		}
		if t.gone(rec) {
			p.warn(Error{File: t.name, Line: line, Column: "status", Code: CodeIgnored, Msg: "an enrollment is tobedeleted in a bulk file, so it is left out"})
			c = -1
		}
		if c >= 0 || rec[ui] != last {
			last = p.enrol(rec[ui], c, line)
		}
	}
	return nil
}

// user returns the index in p.info of the user id, added if new, and
// id, kept.
func (p *Package) user(id string) (int32, string) {
	if i, ok := p.users[id]; ok {
		return i, id
	}
	id = strings.Clone(id)
	i := int32(len(p.info))
	p.users[id] = i
	p.ids = append(p.ids, id)
	p.info = append(p.info, user{class: -1})
	if p.hasRoles {
		p.roles = append(p.roles, nil)
	}
	return i, id
}

// enrol keeps user u's enrollment at line in class c, a homeroom or -1,
// and returns u, kept.
func (p *Package) enrol(u string, c int32, line int) string {
	i, u := p.user(u)
	m := &p.info[i]
	switch {
	case m.line == 0:
		*m = user{class: c, line: int32(line)}
	case c < 0 || c == m.class:
	case m.class < 0:
		m.class = c
	default:
		for _, x := range append([]int32{m.class}, p.extra[u]...) {
			if x == c {
				return u
			}
			if o := p.homeroom[x].org; o == p.homeroom[c].org {
				p.warn(Error{File: "enrollments.csv", Line: line, Column: "classSourcedId", Code: CodeTwoHomerooms,
					Msg: fmt.Sprintf("user %q is in a second homeroom of org %q; the first in the file is its homeroom", u, p.orgs[o].SourcedID)})
				return u
			}
		}
		p.extra[u] = append(p.extra[u], c)
	}
	return u
}

// readRoles reads roles.csv (1.2 and SDS).
func (p *Package) readRoles() error {
	if !p.hasRoles {
		return nil
	}
	if _, ok := p.arc.names["roles.csv"]; !ok {
		return &Error{File: "roles.csv", Code: CodeMissingFile, Msg: "the package has no roles.csv"}
	}
	cols, req := roleCols, []string{"userSourcedId", "orgSourcedId", "role", "roleType"}
	primary, begin, end := "roleType", "beginDate", "endDate"
	if p.version == "sds" {
		cols, req = sdsRoleCols, []string{"userSourcedId", "orgSourcedId", "role"}
		primary, begin, end = "isPrimary", "roleStartDate", "roleEndDate"
	}
	t, err := p.openTable("roles.csv", cols, append(req, p.needs("roles.csv")...))
	if err != nil {
		return err
	}
	defer t.close()
	names := map[string]string{} // roles and grades, kept once
	p.roleBad = map[int32][]csvspec.Problem{}
	for rec, line, err := t.next(); err != io.EOF; rec, line, err = t.next() {
		if err != nil {
			return err
		}
		org, err := p.org(t, line, "orgSourcedId", t.get(rec, "orgSourcedId"))
		if err != nil {
			return err
		}
		i, u := p.user(t.get(rec, "userSourcedId"))
		ur := p.roles[i]
		r := role{org: org, role: intern(names, t.get(rec, "role")), grade: intern(names, t.get(rec, "grade")), line: int32(line), gone: t.gone(rec)}
		var bad *csvspec.Problem
		if primary == "roleType" || p.opts.Roles != "all" {
			r.primary, bad = t.isPrimary(rec, line, primary)
		}
		out, badDate := t.datedOut(rec, line, begin, end)
		if bad = cmp.Or(bad, badDate); bad != nil {
			p.roleBad[i] = append(p.roleBad[i], *bad) // the role counts, and holds the user
		} else {
			r.out = out
		}
		if r.primary && !r.out && slices.ContainsFunc(ur, func(o role) bool { return o.primary && !o.out && o.org == org }) {
			return t.errorf(line, primary, CodeTwoPrimary, "user %q has a second primary role in org %q", u, p.orgs[org].SourcedID)
		}
		p.roles[i] = append(ur, r)
	}
	return nil
}

// intern returns s as kept in names, so that a value of a few (a role,
// a grade) is kept once, not with the record it was read from.
func intern(names map[string]string, s string) string {
	v, ok := names[s]
	if !ok {
		v = strings.Clone(s)
		names[v] = v
	}
	return v
}

// isPrimary reads whether the role rec at line is primary: roleType
// "primary" (1.2), or isPrimary "true" in any case (SDS; empty is not
// stated, as false). Other text of isPrimary is a problem of the role.
func (t *table) isPrimary(rec []string, line int, col string) (bool, *csvspec.Problem) {
	v := strings.TrimSpace(t.get(rec, col))
	switch {
	case col == "roleType":
		return strings.EqualFold(v, "primary"), nil
	case strings.EqualFold(v, "true"):
		return true, nil
	case v == "" || strings.EqualFold(v, "false"):
		return false, nil
	}
	return false, roleProblem(line, col, v, "true or false")
}

// datedOut reports whether the role rec at line has ended or not yet
// begun on the package's today, by its columns begin and end: dates
// YYYY-MM-DD or YYYYMMDD, or ISO 8601 date-times (their date part), each
// day included; empty is no bound. Other text is a problem of the role.
func (t *table) datedOut(rec []string, line int, begin, end string) (bool, *csvspec.Problem) {
	var d [2]string
	for k, col := range []string{begin, end} {
		v := strings.TrimSpace(t.get(rec, col))
		if v == "" {
			continue
		}
		date, _, _ := strings.Cut(v, "T")
		tm, err := time.Parse("2006-01-02", date)
		if err != nil {
			if tm, err = time.Parse("20060102", date); err != nil {
				return false, roleProblem(line, col, v, "a date (YYYY-MM-DD)")
			}
		}
		d[k] = tm.Format("2006-01-02")
	}
	return d[0] != "" && d[0] > t.p.today || d[1] != "" && d[1] < t.p.today, nil
}

// roleProblem is the problem of a user whose role at line of roles.csv
// has in col the value v, which is not want: a problem of SeverityError,
// so that a sync job holds the user. Rows sets its Line.
func roleProblem(line int, col, v, want string) *csvspec.Problem {
	return &csvspec.Problem{Column: col, Code: CodeBadValue, Severity: csvspec.SeverityError,
		Message: fmt.Sprintf("roles.csv line %d: %s %q is not %s", line, col, v, want)}
}

// org returns the index of the org id that col of line names.
func (p *Package) org(t *table, line int, col, id string) (int32, error) {
	o, ok := p.orgIdx[id]
	if !ok {
		return 0, t.errorf(line, col, CodeUnknownRef, "org %q is not in orgs.csv", id)
	}
	return o, nil
}
