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
// a table's default) and |split:SEP (one output row per part; {#} is the
// part's number, from 1). {{ and }} are literal braces.
//
// A "when" condition is a string (equal after trimming, in any case), a
// list of strings (one of them), or an object with one of "not" (any
// condition), "matches" (an RE2 expression matching the whole trimmed
// value) or "empty" (true or false). An entry {"when": ..., "skip": true}
// makes the rows it matches nobody's. "unmatched" says what becomes of a
// source row that no entry matches: "hold" (a row problem that holds its
// user), "skip" or "error" (the reading stops).
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
// there.
func ParseMapping(data []byte) (*Mapping, error) {
	var top map[string]json.RawMessage
	if err := strictJSON(data, &top); err != nil {
		return nil, syntaxError(data, "", err)
	}
	if top == nil {
		return nil, errorf("", "the rules are null; write an object with import, username and rows")
	}
	m := &Mapping{tables: map[string]*table{}, unmatched: "hold"}
	for k := range top {
		if !slices.Contains([]string{"import", "username", "rows", "tables", "unmatched"}, k) {
			return nil, errorf(k, "unknown key; the keys are import, username, rows, tables and unmatched")
		}
	}
	var imp string
	if err := str(top, "import", &imp); err != nil {
		return nil, err
	}
	switch imp {
	case "user-groups":
		m.columns = csvspec.Header()
	case "contacts":
		m.columns = csvspec.ContactHeader()
	default:
		return nil, errorf("import", "%q is not an import; write \"user-groups\" or \"contacts\"", imp)
	}
	if err := str(top, "unmatched", &m.unmatched); err != nil {
		return nil, err
	}
	if !slices.Contains([]string{"hold", "skip", "error"}, m.unmatched) {
		return nil, errorf("unmatched", "%q is not allowed; write \"hold\", \"skip\" or \"error\"", m.unmatched)
	}
	if err := m.parseTables(top["tables"]); err != nil {
		return nil, err
	}
	var user string
	if err := str(top, "username", &user); err != nil {
		return nil, err
	}
	if user == "" {
		return nil, errorf("username", "missing; write a template such as \"{Student Code}\"")
	}
	t, err := m.parseTemplate("username", user, false)
	if err != nil {
		return nil, err
	}
	m.username = t
	if err := m.parseRows(top["rows"]); err != nil {
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
	if dec.More() {
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

// str decodes the string at key of obj into s, if the key is there.
func str(obj map[string]json.RawMessage, key string, s *string) error {
	raw, ok := obj[key]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, s); err != nil || raw[0] != '"' {
		return errorf(key, "%s is not a string; write it in double quotes", raw)
	}
	return nil
}

// parseRows parses the "rows" array.
func (m *Mapping) parseRows(raw json.RawMessage) error {
	var rows []map[string]json.RawMessage
	if raw == nil {
		return errorf("rows", "missing; write a list of row entries")
	}
	if err := json.Unmarshal(raw, &rows); err != nil || raw[0] != '[' {
		return errorf("rows", "not a list of objects; write [{\"when\": {...}, %q: \"...\"}]", m.columns[1])
	}
	if len(rows) == 0 {
		return errorf("rows", "empty; write at least one row entry")
	}
	for i, obj := range rows {
		e, err := m.parseEntry(fmt.Sprintf("rows[%d]", i), obj)
		if err != nil {
			return err
		}
		m.entries = append(m.entries, e)
	}
	return nil
}

// parseEntry parses one row entry at path.
func (m *Mapping) parseEntry(path string, obj map[string]json.RawMessage) (*entry, error) {
	if obj == nil {
		return nil, errorf(path, "null; write an object")
	}
	e := &entry{origin: path, out: make([]*template, len(m.columns))}
	if raw, ok := obj["skip"]; ok {
		if err := json.Unmarshal(raw, &e.skip); err != nil {
			return nil, errorf(path+".skip", "%s is not allowed; write true or false", raw)
		}
	}
	if raw, ok := obj["when"]; ok {
		var err error
		if e.when, err = m.parseWhen(path+".when", raw); err != nil {
			return nil, err
		}
	}
	var split *template
	for _, k := range sortedKeys(obj) {
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
		var s string
		if err := json.Unmarshal(obj[k], &s); err != nil || obj[k][0] != '"' {
			return nil, errorf(p, "%s is not a string; write it in double quotes", obj[k])
		}
		t, err := m.parseTemplate(p, s, true)
		if err != nil {
			return nil, err
		}
		if t.split != nil {
			if split != nil {
				return nil, errorf(p, "a second split; an entry may split one value")
			}
			split = t
		}
		e.out[ci] = t
	}
	if !e.skip && !slices.ContainsFunc(e.out, func(t *template) bool { return t != nil }) {
		return nil, errorf(path, "names no column; write one of %s, or \"skip\": true", strings.Join(m.columns[1:], ", "))
	}
	e.split = split != nil
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
	var tables map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &tables); err != nil || raw[0] != '{' {
		return errorf("tables", "not an object of tables; write {\"houses\": {\"RED\": \"Red House\"}}")
	}
	for _, name := range sortedKeys(tables) {
		t := &table{name: name, values: map[string]string{}, exact: map[string]string{}}
		path := "tables." + name
		if tables[name] == nil {
			return errorf(path, "not an object; write {\"KEY\": \"value\"}")
		}
		for _, k := range sortedKeys(tables[name]) {
			v := tables[name][k]
			var s string
			if err := json.Unmarshal(v, &s); err != nil || v[0] != '"' {
				return errorf(path+"."+k, "%s is not a string; write it in double quotes", v)
			}
			if k == "*" {
				t.def, t.hasDef = s, true
				continue
			}
			fk := foldKey(k)
			if _, dup := t.values[fk]; dup {
				return errorf(path+"."+k, "the key is there twice (keys are compared trimmed, in any case)")
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
