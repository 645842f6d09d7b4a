// Package mapping turns the rows of a Student Management System (SMS)
// export into the rows of an Infiniti import, by a small JSON rules file:
// one SMS row (a student with a year level, a house and a role) becomes
// the memberships the school wants (a year group, a house group, a system
// group).
//
// The rules file names the import, a template for the username, and row
// entries; each source row yields one output row for every entry whose
// "when" holds:
//
//	{
//	  "import": "user-groups",
//	  "username": "{Student Code}",
//	  "rows": [
//	    {"when": {"Role": "Student"}, "library-group": "Year {Year Level|nozeros}", "system-group": "Students"},
//	    {"when": {"Role": "Student", "House": {"not": ""}}, "library-group": "{House|map:houses}", "system-group": "Students"},
//	    {"when": {"Role": ["Teacher", "Staff"]}, "library-group": "Staff", "system-group": "Staff"}
//	  ],
//	  "tables": {"houses": {"RED": "Red House", "BLU": "Blue House", "*": "No House"}},
//	  "unmatched": "hold"
//	}
//
// A template is text with {Column} references, each with pipes applied
// left to right: |nozeros (drop the leading zeros of every run of digits),
// |upper, |lower, |trim, |map:TABLE (look the value up in a table; "*" is
// a table's default) and |split:SEP (one output row per part, trimmed,
// empty parts dropped and a repeated part once, so that {#}, the part's
// number from 1, is its first place). SEP is the text after the colon,
// trimmed: any text but |, { and }, such as ";" or ",". {{ and }} are
// literal braces. A reference whose value is
// empty or white space is a row problem (CodeEmptyValue).
//
// A "when" condition is a string (equal after trimming, in any case, as
// strings.EqualFold compares; tables compare their keys so too), a list
// of strings (one of them), or an object with one of "not" (any
// condition), "matches" (an RE2 expression matching the whole trimmed
// value) or "empty" (true or false). The conditions of a "when" are tested
// in the order of their keys, sorted, up to the first that fails.
//
// An entry {"when": ..., "skip": true} makes the rows it matches nobody's
// (guardians in a roster, say): a source row that any skip entry matches
// yields no row and no problem, not even the rows and problems of the
// entries before it, and the entries after it are not tried.
// "unmatched" says what becomes of a source row that no entry matches:
// "hold" (a row problem that holds its user), "skip" (nobody's, as a skip
// entry makes it) or "error" (the reading stops).
//
// A key given twice in one object of the rules is an error, as is null
// anywhere a string or a boolean goes.
//
// Values the rules cannot map are row problems, as csvspec's row checks
// make them, so that a sync job holds that user and lists the problem:
// CodeEmptyValue, CodeUnmappedValue, CodeUnmatchedRow.
package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/autosync-go/autosync/csvspec"
)

// The codes of the row problems that a Mapping finds.
const (
	// CodeEmptyValue: a reference of a template is empty, so that a bare
	// "Year " never goes out.
	CodeEmptyValue = "empty-value"
	// CodeUnmappedValue: a value has no entry in a table that has no "*".
	CodeUnmappedValue = "unmapped-value"
	// CodeUnmatchedRow: no entry of the rules matches the row, and
	// "unmatched" is "hold".
	CodeUnmatchedRow = "unmatched-row"
)

// An Error is a problem of the rules, or of a file read against them:
// Path is the JSON path in the rules ("rows[1].library-group"), empty when
// the problem is not at one place in the rules; Line is the line of the
// export, 0 when the problem is not at one line.
type Error struct {
	Path string
	Line int
	Msg  string
}

// Error returns the place of the problem and what it is.
func (e *Error) Error() string {
	s := "mapping: "
	if e.Line > 0 {
		s += fmt.Sprintf("line %d: ", e.Line)
	}
	if e.Path != "" {
		s += e.Path + ": "
	}
	return s + e.Msg
}

func errorf(path, format string, args ...any) *Error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// A Mapping is a parsed rules file. It is safe for concurrent use.
type Mapping struct {
	columns   []string // the import's columns, username first
	username  *template
	entries   []*entry
	tables    map[string]*table
	unmatched string
	names     []string // the source columns the rules name, in order
	where     []string // where each of names is first named
	inRows    []bool   // whether the entries name each of names
	ntmpl     int      // the number of templates
}

// an entry is one element of "rows".
type entry struct {
	origin string      // "rows[1]"
	when   []cond      // all must hold
	skip   bool        // the rows it matches are nobody's
	out    []*template // by output column; nil for an empty column
	split  bool        // one of out has a split
}

// ParseMapping parses a rules file. Its error is an *Error whose Path
// names the place in the rules and whose message says what is allowed
// there. A UTF-8 byte order mark is dropped; a key given twice in one
// object is an error.
func ParseMapping(data []byte) (*Mapping, error) {
	var raw json.RawMessage
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if err := strictJSON(data, &raw); err != nil {
		return nil, syntaxError(data, "", err)
	}
	top, err := object("", raw)
	if err != nil {
		return nil, err
	}
	if top == nil {
		return nil, errorf("", "the rules are not an object; write an object with import, username and rows")
	}
	m := &Mapping{tables: map[string]*table{}, unmatched: "hold"}
	for _, k := range top.keys {
		if !slices.Contains([]string{"import", "username", "rows", "tables", "unmatched"}, k) {
			return nil, errorf(k, "unknown key; the keys are import, username, rows, tables and unmatched")
		}
	}
	var imp, user string
	for i, s := range []*string{&imp, &m.unmatched, &user} {
		k := []string{"import", "unmatched", "username"}[i]
		if raw, ok := top.vals[k]; ok {
			if *s, err = str(k, raw); err != nil {
				return nil, err
			}
		}
	}
	switch imp {
	case "user-groups":
		m.columns = csvspec.Header()
	case "contacts":
		m.columns = csvspec.ContactHeader()
	default:
		return nil, errorf("import", "%q is not an import; write \"user-groups\" or \"contacts\"", imp)
	}
	if !slices.Contains([]string{"hold", "skip", "error"}, m.unmatched) {
		return nil, errorf("unmatched", "%q is not allowed; write \"hold\", \"skip\" or \"error\"", m.unmatched)
	}
	if err := m.parseTables(top.vals["tables"]); err != nil {
		return nil, err
	}
	if user == "" {
		return nil, errorf("username", "missing; write a template such as \"{Student Code}\"")
	}
	if m.username, err = m.parseTemplate("username", user, false); err != nil {
		return nil, err
	}
	if err := m.parseRows(top.vals["rows"]); err != nil {
		return nil, err
	}
	return m, nil
}

// Import returns the import the rules make rows of: "user-groups" or
// "contacts".
func (m *Mapping) Import() string {
	if len(m.columns) == len(csvspec.Header()) {
		return "user-groups"
	}
	return "contacts"
}

// Columns returns the source columns that the rules name, each once, in
// the order the rules first name them.
func (m *Mapping) Columns() []string { return slices.Clone(m.names) }

// strictJSON decodes data into v, refusing anything after the value.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("more after the rules' closing brace")
	}
	return nil
}

// syntaxError returns the error of JSON that does not decode, at path.
func syntaxError(data []byte, path string, err error) error {
	var se *json.SyntaxError
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf(path, "the rules end before their closing brace")
	}
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return errorf("", "line %d of the rules: %v", line, se)
	}
	return errorf(path, "%v", err)
}

// An obj is a JSON object: its keys in the order written, and their values.
type obj struct {
	keys []string
	vals map[string]json.RawMessage
}

// object decodes raw, valid JSON at path, as an object; it returns nil
// when raw is not an object, and an error for a key given twice.
func object(path string, raw json.RawMessage) (*obj, error) {
	if kind(raw) != '{' {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	o := &obj{vals: map[string]json.RawMessage{}}
	_, err := dec.Token()
	for err == nil && dec.More() {
		var t json.Token
		var v json.RawMessage
		if t, err = dec.Token(); err == nil {
			err = dec.Decode(&v)
		}
		k, _ := t.(string)
		if _, dup := o.vals[k]; dup && err == nil {
			return nil, errorf(join(path, k), "the key is there twice")
		}
		o.keys, o.vals[k] = append(o.keys, k), bytes.TrimSpace(v)
	}
	if err != nil {
		return nil, errorf(path, "%v", err)
	}
	return o, nil
}

// join returns the path of key in the object at path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// kind returns the first byte of the JSON value raw: '{', '[', '"', 'n'
// for null, and so on; 0 for none.
func kind(raw json.RawMessage) byte {
	if raw = bytes.TrimSpace(raw); len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// str returns the JSON string raw at path.
func str(path string, raw json.RawMessage) (string, error) {
	var s string
	switch kind(raw) {
	case '"':
		err := json.Unmarshal(raw, &s)
		return s, err
	case 'n':
		return "", errorf(path, "null is not allowed; write a string in double quotes, or leave the key out")
	}
	return "", errorf(path, "%s is not a string; write it in double quotes", raw)
}

// boolean returns the JSON true or false raw at path.
func boolean(path string, raw json.RawMessage) (bool, error) {
	if s := string(raw); s == "true" || s == "false" {
		return s == "true", nil
	}
	return false, errorf(path, "%s is not allowed; write true or false", raw)
}

// parseRows parses the "rows" array.
func (m *Mapping) parseRows(raw json.RawMessage) error {
	var rows []json.RawMessage
	if raw == nil {
		return errorf("rows", "missing; write a list of row entries")
	}
	if kind(raw) != '[' || json.Unmarshal(raw, &rows) != nil {
		return errorf("rows", "not a list of objects; write [{\"when\": {...}, %q: \"...\"}]", m.columns[1])
	}
	if len(rows) == 0 {
		return errorf("rows", "empty; write at least one row entry")
	}
	for i, raw := range rows {
		e, err := m.parseEntry(fmt.Sprintf("rows[%d]", i), raw)
		if err != nil {
			return err
		}
		m.entries = append(m.entries, e)
	}
	return nil
}

// parseEntry parses one row entry at path.
func (m *Mapping) parseEntry(path string, raw json.RawMessage) (*entry, error) {
	o, err := object(path, raw)
	if err != nil {
		return nil, err
	}
	if o == nil {
		return nil, errorf(path, "not an object; write {\"when\": {...}, %q: \"...\"}", m.columns[1])
	}
	e := &entry{origin: path, out: make([]*template, len(m.columns))}
	if raw, ok := o.vals["skip"]; ok {
		if e.skip, err = boolean(path+".skip", raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := o.vals["when"]; ok {
		if e.when, err = m.parseWhen(path+".when", raw); err != nil {
			return nil, err
		}
	}
	for _, k := range o.keys {
		if k == "when" || k == "skip" {
			continue
		}
		p := path + "." + k
		ci := slices.Index(m.columns, k)
		if ci <= 0 {
			if k == "username" {
				return nil, errorf(p, "the username is one template for every row, at the top of the rules")
			}
			return nil, errorf(p, "unknown key; an entry has when, skip and the columns %s", strings.Join(m.columns[1:], ", "))
		}
		if e.skip {
			return nil, errorf(p, "a skip entry yields no row; remove the column or the skip")
		}
		s, err := str(p, o.vals[k])
		if err != nil {
			return nil, err
		}
		if s == "" {
			continue // as if omitted
		}
		t, err := m.parseTemplate(p, s, true)
		if err != nil {
			return nil, err
		}
		if t.split != nil && e.split {
			return nil, errorf(p, "a second split; an entry may split one value")
		}
		e.out[ci], e.split = t, e.split || t.split != nil
	}
	if !e.skip && !slices.ContainsFunc(e.out, func(t *template) bool { return t != nil }) {
		return nil, errorf(path, "names no column; write one of %s, or \"skip\": true", strings.Join(m.columns[1:], ", "))
	}
	for ci, t := range e.out {
		if t != nil && t.part && !e.split {
			return nil, errorf(path+"."+m.columns[ci], "{#} numbers the parts of a split, and the entry has none")
		}
	}
	return e, nil
}

// parseTables parses the "tables" object.
func (m *Mapping) parseTables(raw json.RawMessage) error {
	if raw == nil {
		return nil
	}
	tables, err := object("tables", raw)
	if err != nil {
		return err
	}
	if tables == nil {
		return errorf("tables", "not an object of tables; write {\"houses\": {\"RED\": \"Red House\"}}")
	}
	for _, name := range tables.keys {
		path := "tables." + name
		if name == "" || strings.TrimSpace(name) != name || strings.ContainsAny(name, "|:{}") {
			return errorf(path, "not a table name; a name is not empty and has no surrounding space, |, :, { or }")
		}
		o, err := object(path, tables.vals[name])
		if err != nil {
			return err
		}
		if o == nil {
			return errorf(path, "not an object; write {\"KEY\": \"value\"}")
		}
		t := &table{name: name, values: map[string]string{}, exact: map[string]string{}}
		for _, k := range o.keys {
			s, err := str(path+"."+k, o.vals[k])
			if err != nil {
				return err
			}
			fk := foldKey(k)
			if _, dup := t.values[fk]; dup || fk == "*" && t.hasDef {
				return errorf(path+"."+k, "the key is there twice (keys are compared trimmed, in any case)")
			}
			if fk == "*" {
				t.def, t.hasDef = s, true
				continue
			}
			t.values[fk], t.exact[k] = s, s
			t.keys = append(t.keys, k)
		}
		m.tables[name] = t
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// name returns the index in m.names of the source column name, adding it.
func (m *Mapping) name(col, path string) int {
	for i, n := range m.names {
		if strings.EqualFold(n, col) {
			m.inRows[i] = m.inRows[i] || strings.HasPrefix(path, "rows[")
			return i
		}
	}
	defer func() { m.inRows[len(m.names)-1] = strings.HasPrefix(path, "rows[") }()
	m.names = append(m.names, col)
	m.where = append(m.where, path)
	m.inRows = append(m.inRows, false)
	return len(m.names) - 1
}
