package mapping

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/autosync-go/autosync/internal/suggest"
)

// A template is literal text and references, in order.
type template struct {
	id    int // its index in the mapper's memo
	memo  int // the column of its one reference, when its values are remembered; else -1
	path  string
	parts []part
	split *ref // the reference with a split, if any
	part  bool // a reference is {#}
}

// A part of a template is literal text, or a reference when ref is set.
type part struct {
	lit string
	ref *ref
}

// A ref is a {Column|pipe|...} reference.
type ref struct {
	col   int // index in Mapping.names; -1 for {#}
	name  string
	text  string // as written, between the braces
	pipes []pipe
}

// A pipe changes a value.
type pipe struct {
	kind  string // nozeros, upper, lower, trim, map, split
	table *table
	sep   string
}

const pipeList = "nozeros, upper, lower, trim, map:TABLE and split:SEP"

// parseTemplate parses the template s at path; split says whether a
// split (and {#}) is allowed.
func (m *Mapping) parseTemplate(path, s string, split bool) (*template, error) {
	t := &template{id: m.ntmpl, path: path}
	m.ntmpl++
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case (c == '{' || c == '}') && i+1 < len(s) && s[i+1] == c:
			lit.WriteByte(c)
			i++
		case c == '}':
			return nil, errorf(path, "a } at byte %d closes nothing; write }} for a brace", i+1)
		case c == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, errorf(path, "the { at byte %d is not closed; write {Column} or {{ for a brace", i+1)
			}
			r, err := m.parseRef(path, s[i+1:i+end], split)
			if err != nil {
				return nil, err
			}
			if lit.Len() > 0 {
				t.parts = append(t.parts, part{lit: lit.String()})
				lit.Reset()
			}
			t.parts = append(t.parts, part{ref: r})
			t.part = t.part || r.col < 0
			if slices.ContainsFunc(r.pipes, func(p pipe) bool { return p.kind == "split" }) {
				if t.split != nil {
					return nil, errorf(path, "a second split; an entry may split one value")
				}
				t.split = r
			}
			i += end
		default:
			lit.WriteByte(c)
		}
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, part{lit: lit.String()})
	}
	t.memo = -1
	if refs := slices.DeleteFunc(slices.Clone(t.parts), func(p part) bool { return p.ref == nil }); len(refs) == 1 && len(t.parts) > 1 &&
		refs[0].ref.col >= 0 && t.split == nil {
		t.memo = refs[0].ref.col // "Year {Year Level}" takes few values: remember them
	}
	return t, nil
}

// parseRef parses the inside of a {reference}.
func (m *Mapping) parseRef(path, s string, split bool) (*ref, error) {
	fields := strings.Split(s, "|")
	r := &ref{name: strings.TrimSpace(fields[0]), text: s}
	switch {
	case r.name == "":
		return nil, errorf(path, "{%s} names no column; write {Column}", s)
	case r.name == "#":
		if !split {
			return nil, errorf(path, "{#} numbers the parts of a split, and there is none here")
		}
		r.col = -1
	default:
		r.col = m.name(r.name, path)
	}
	for _, f := range fields[1:] {
		p, err := m.parsePipe(path, strings.TrimSpace(f), split)
		if err != nil {
			return nil, err
		}
		r.pipes = append(r.pipes, p)
	}
	switch splits := len(slices.DeleteFunc(slices.Clone(r.pipes), func(p pipe) bool { return p.kind != "split" })); {
	case splits > 0 && r.col < 0:
		return nil, errorf(path, "{#} cannot be split")
	case splits > 1:
		return nil, errorf(path, "a second split; an entry may split one value")
	}
	return r, nil
}

// parsePipe parses one pipe.
func (m *Mapping) parsePipe(path, s string, split bool) (pipe, error) {
	name, arg, hasArg := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	switch {
	case !hasArg && slices.Contains([]string{"nozeros", "upper", "lower", "trim"}, name):
		return pipe{kind: name}, nil
	case hasArg && name == "map":
		t := m.tables[strings.TrimSpace(arg)]
		if t == nil {
			return pipe{}, errorf(path, "no table %q; the tables are %s", strings.TrimSpace(arg), listOr(sortedKeys(m.tables), "none"))
		}
		return pipe{kind: "map", table: t}, nil
	case hasArg && name == "split":
		if !split {
			return pipe{}, errorf(path, "|split makes rows, and only a row entry's columns can")
		}
		if arg = strings.TrimSpace(arg); arg == "" {
			return pipe{}, errorf(path, "|split: needs a separator, such as |split:;")
		}
		return pipe{kind: "split", sep: arg}, nil
	}
	return pipe{}, errorf(path, "unknown pipe |%s; the pipes are %s", s, pipeList)
}

func listOr(names []string, none string) string {
	if len(names) == 0 {
		return none
	}
	return strings.Join(names, ", ")
}

// A table is a named map of values.
type table struct {
	name   string
	values map[string]string // by foldKey
	exact  map[string]string // by the key as written, tried first
	keys   []string          // as written, for "did you mean"
	def    string
	hasDef bool
}

// foldKey returns s trimmed and case-folded: two strings have the same
// key when strings.EqualFold, which a "when" uses, finds them equal
// trimmed ("ſ" and "S" too).
func foldKey(s string) string { return strings.ToLower(strings.ToUpper(strings.TrimSpace(s))) }

// lookup returns the table's value for v; or a problem message.
func (t *table) lookup(v string) (string, string) {
	if out, ok := t.exact[v]; ok {
		return out, ""
	}
	if out, ok := t.values[foldKey(v)]; ok {
		return out, ""
	}
	if t.hasDef {
		return t.def, ""
	}
	msg := fmt.Sprintf("is not in table %q, which has no \"*\"", t.name)
	if near, ok := suggest.Nearest(v, t.keys); ok && strings.TrimSpace(v) != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	return "", msg
}

// A cond is one condition of a "when": a column, with pipes, and a test.
type cond struct {
	key  *ref
	text string // the key as written
	test *test
}

// A test is a condition on a value.
type test struct {
	any   []string // equal to one of these, trimmed, in any case
	not   *test
	re    *regexp.Regexp
	empty *bool
}

// parseWhen parses a "when" object; its conditions are tested in the
// order of their keys, sorted (as Explain shows them).
func (m *Mapping) parseWhen(path string, raw json.RawMessage) ([]cond, error) {
	o, err := object(path, raw)
	if err != nil {
		return nil, err
	}
	if o == nil {
		return nil, errorf(path, "not an object; write {\"Column\": \"value\"}")
	}
	var cs []cond
	for _, k := range slices.Sorted(slices.Values(o.keys)) {
		p := path + "." + k
		r, err := m.parseRef(p, k, false)
		if err != nil {
			return nil, err
		}
		t, err := parseTest(p, o.vals[k])
		if err != nil {
			return nil, err
		}
		cs = append(cs, cond{key: r, text: k, test: t})
	}
	return cs, nil
}

// parseTest parses a condition's value.
func parseTest(path string, raw json.RawMessage) (*test, error) {
	switch kind(raw) {
	case '"':
		s, err := str(path, raw)
		return &test{any: []string{strings.TrimSpace(s)}}, err
	case '[':
		var list []json.RawMessage
		_ = json.Unmarshal(raw, &list)
		t := &test{}
		for _, v := range list {
			s, err := str(path, v)
			if err != nil {
				break
			}
			t.any = append(t.any, strings.TrimSpace(s))
		}
		if len(list) == 0 || len(t.any) < len(list) {
			return nil, errorf(path, "write a list of one or more strings, such as [\"Teacher\", \"Staff\"]")
		}
		return t, nil
	case '{':
		return parseOp(path, raw)
	case 'n':
		return nil, errorf(path, "null is not a condition; write a string, a list of strings or an object with not, matches or empty")
	}
	return nil, errorf(path, "%s is not a condition; write a string (\"%s\"), a list of strings or an object with not, matches or empty", raw, raw)
}

// parseOp parses an object condition: exactly one of not, matches, empty.
func parseOp(path string, raw json.RawMessage) (*test, error) {
	o, err := object(path, raw)
	if err != nil {
		return nil, err
	}
	if len(o.keys) != 1 {
		return nil, errorf(path, "write an object with exactly one of not, matches or empty")
	}
	op, v := o.keys[0], o.vals[o.keys[0]]
	p := path + "." + op
	switch op {
	case "not":
		t, err := parseTest(p, v)
		return &test{not: t}, err
	case "matches":
		if kind(v) != '"' {
			return nil, errorf(p, "%s is not a string; write a regular expression in double quotes", v)
		}
		s, _ := str(p, v)
		if _, err := regexp.Compile(s); err != nil {
			return nil, errorf(p, "%v", err)
		}
		return &test{re: regexp.MustCompile(`^(?:` + s + `)$`)}, nil
	case "empty":
		b, err := boolean(p, v)
		return &test{empty: &b}, err
	}
	return nil, errorf(p, "unknown operator; the operators are not, matches and empty")
}

// holds reports whether the test holds for v.
func (t *test) holds(v string) bool {
	v = strings.TrimSpace(v)
	switch {
	case t.not != nil:
		return !t.not.holds(v)
	case t.re != nil:
		return t.re.MatchString(v)
	case t.empty != nil:
		return (v == "") == *t.empty
	}
	for _, s := range t.any {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// String returns the test as the rules write it.
func (t *test) String() string {
	switch {
	case t.not != nil:
		return "not " + t.not.String()
	case t.re != nil:
		s := t.re.String()
		return "matches " + strconv.Quote(s[4:len(s)-2])
	case t.empty != nil && *t.empty:
		return "empty"
	case t.empty != nil:
		return "not empty"
	case len(t.any) == 1:
		return strconv.Quote(t.any[0])
	}
	q := make([]string, len(t.any))
	for i, s := range t.any {
		q[i] = strconv.Quote(s)
	}
	return "one of " + strings.Join(q, ", ")
}

// A problem is what stops a reference from making a value: its code and
// a message.
type problem struct{ code, msg string }

// apply returns v with the pipes applied, stopping before a split; or the
// problem of an unmapped value.
func (r *ref) apply(v string, pipes []pipe) (string, *problem) {
	for _, p := range pipes {
		switch p.kind {
		case "nozeros":
			v = suggest.NoZeros(v)
		case "upper":
			v = strings.ToUpper(v)
		case "lower":
			v = strings.ToLower(v)
		case "trim":
			v = strings.TrimSpace(v)
		case "map":
			out, msg := p.table.lookup(v)
			if msg != "" {
				return "", &problem{CodeUnmappedValue, fmt.Sprintf("%s %q %s", r.name, v, msg)}
			}
			v = out
		case "split":
			return v, nil
		}
	}
	return v, nil
}

// afterSplit returns the pipes after the split.
func (r *ref) afterSplit() []pipe {
	i := slices.IndexFunc(r.pipes, func(p pipe) bool { return p.kind == "split" })
	return r.pipes[i+1:]
}
