package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/csvspec/oneroster"
	"github.com/autosync-go/autosync/examples/internal/cli"
)

// A source is a config element {"source": {...}, "routes": [...]}: one
// OneRoster or School Data Sync package, read once and routed, org by
// org, to the schools of its routes.
type source struct {
	cli.Source
	pkg      *oneroster.Package // nil until opened, or when it could not be
	err      error              // why the package could not be opened
	unrouted []oneroster.Org    // the orgs no route names
}

// item is an element of the config as a school: a school's entry, or a
// route made into one (its "file" the package), with the route's source
// and orgs.
type item struct {
	raw json.RawMessage
	src *source
	org []string
	err error
}

// routeOnly are the school fields a route leaves out: it reads the package.
var routeOnly = []string{"file", "map", "encoding", "comma"}

// expand makes the items of one config element: the element itself, or
// each route of a source, whose package is made relative to dir.
func expand(raw json.RawMessage, dir string) []item {
	var el map[string]json.RawMessage
	if json.Unmarshal(raw, &el) != nil || el["source"] == nil {
		return []item{{raw: raw}}
	}
	src := &source{}
	err := func() error {
		for _, k := range slices.Sorted(maps.Keys(el)) {
			if k != "source" && k != "routes" {
				return fmt.Errorf("a source has the fields source and routes, not %q", k)
			}
		}
		dec := json.NewDecoder(bytes.NewReader(el["source"]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&src.Source); err != nil {
			return fmt.Errorf(`"source": %s; it is {"type": "oneroster" or "sds", "package": ..., "disabled_users": "keep" or "leaver", "roles": "primary" or "all"}`, strings.TrimPrefix(err.Error(), "json: "))
		}
		if src.Package != "" && !filepath.IsAbs(src.Package) {
			// Absolute, as the routes' "file" too.
			src.Package, _ = filepath.Abs(filepath.Join(dir, src.Package))
		}
		return src.Check(cli.ConfigFields)
	}()
	var routes []json.RawMessage
	if json.Unmarshal(el["routes"], &routes) != nil || len(routes) == 0 {
		return []item{{raw: raw, err: cmp.Or(err, errors.New(`a source needs "routes": a list of schools, each with its "org"`))}}
	}
	items := make([]item, len(routes))
	for i, r := range routes {
		items[i] = route(r, src)
		items[i].err = cmp.Or(err, items[i].err)
	}
	return items
}

// route makes one route of src an item: a school whose file is the package.
func route(raw json.RawMessage, src *source) item {
	it := item{raw: raw, src: src}
	var r map[string]json.RawMessage
	if err := json.Unmarshal(raw, &r); err != nil {
		it.err = errors.New("a route is an object: a school with its \"org\"")
		return it
	}
	if k := twice(raw); k != "" {
		it.err = fmt.Errorf("%q is given twice; give each field once", k)
		return it
	}
	// Fields are matched in any case, as encoding/json decodes a school.
	for k, v := range r {
		if lk := strings.ToLower(k); lk != k {
			delete(r, k)
			r[lk] = v
		}
	}
	for _, k := range routeOnly {
		if r[k] != nil {
			it.err = fmt.Errorf("a route reads its source's package: leave out %q", k)
			return it
		}
	}
	var one string
	switch {
	case r["org"] == nil:
		it.err = errors.New(`lacks org: the identifier or sourcedId of the package's org, or a list of them`)
	case json.Unmarshal(r["org"], &one) == nil && one != "":
		it.org = []string{one}
	case json.Unmarshal(r["org"], &it.org) != nil || len(it.org) == 0 || slices.Contains(it.org, ""):
		it.err = errors.New(`"org" is an org's identifier or sourcedId, or a list of them, e.g. ["HS-001", "HS-002"]`)
	}
	delete(r, "org")
	r["file"], _ = json.Marshal(src.Package)
	it.raw, _ = json.Marshal(r)
	if it.err == nil && r["rules"] == nil {
		it.err = errors.New("lacks rules: a route's rows are made by its group rules")
	}
	return it
}

// open opens each source of entries once, for the columns all its routes'
// rules name, selects each route's orgs (an org named by none or two is
// that route's config error), and lists the orgs no route names. It
// reads under ctx: a cancelled ctx ends each read.
func open(ctx context.Context, entries []entry) []*source {
	var sources []*source
	listed := make(map[[2]string]bool)     // unrouted orgs listed, as routedBy's keys
	routedBy := make(map[[2]string]string) // package and org sourcedId: the school
	columns := make(map[*source][]string)
	for i := range entries {
		e := &entries[i]
		if e.src == nil {
			continue
		}
		if !slices.Contains(sources, e.src) {
			sources = append(sources, e.src)
		}
		if m, err := e.LoadRules(cli.ConfigFields); err == nil && m != nil && e.err == nil {
			for _, c := range append(m.Columns(), e.Carry...) {
				if !slices.Contains(columns[e.src], c) {
					columns[e.src] = append(columns[e.src], c)
				}
			}
		}
	}
	for _, src := range sources {
		if src.Check(cli.ConfigFields) != nil {
			continue // each route has the error
		}
		if src.pkg, src.err = src.Open(columns[src]); src.err != nil {
			continue
		}
		src.route(entries, routedBy)
		src.read(ctx, entries)
	}
	// An org is unrouted when no route of any source on its package names
	// it.
	for _, src := range sources {
		if src.pkg == nil {
			continue
		}
		for _, o := range src.pkg.Orgs() {
			key := [2]string{src.Package, o.SourcedID}
			if _, ok := routedBy[key]; !ok && !listed[key] {
				src.unrouted, listed[key] = append(src.unrouted, o), true
			}
		}
	}
	return sources
}

// route selects the orgs of each of src's routes in entries, and notes in
// routedBy which school each org went to: an org two schools name is the
// second one's config error.
func (src *source) route(entries []entry, routedBy map[[2]string]string) {
	orgs := src.pkg.Orgs()
	for i := range entries {
		e := &entries[i]
		if e.src != src {
			continue
		}
		for _, v := range e.org {
			j := orgIndex(orgs, v)
			if j < 0 {
				continue
			}
			key := [2]string{src.Package, orgs[j].SourcedID}
			if by, ok := routedBy[key]; ok && by != e.Name && e.err == nil {
				e.err = fmt.Errorf("org %s is routed to %q already; route each org once", v, by)
			}
			routedBy[key] = e.Name
		}
		if e.err == nil {
			sel, err := src.pkg.Select(e.org...)
			if err != nil {
				e.err = fmt.Errorf("org: %s", strings.TrimPrefix(err.Error(), "oneroster: "))
			}
			e.pkg = sel
		}
	}
}

// rowsOf is a package's Rows; a test counts its calls.
var rowsOf = (*oneroster.Package).Rows

// read reads the rows of src's package once, and gives each of its
// routes in entries the rows of its orgs, and the error that ended the
// rows, if any (ctx's, when it is done): each route's rows are kept
// until its school's job reads them (routed).
func (src *source) read(ctx context.Context, entries []entry) {
	var routes []*entry
	byOrg := make(map[string]*entry) // by org sourcedId
	orgs := src.pkg.Orgs()
	for i := range entries {
		if e := &entries[i]; e.src == src && e.err == nil && e.pkg != nil {
			routes = append(routes, e)
			for _, v := range e.org {
				if j := orgIndex(orgs, v); j >= 0 { // none in a package of no updates
					byOrg[orgs[j].SourcedID] = e
				}
			}
		}
	}
	if len(routes) == 0 {
		return
	}
	col := slices.Index(src.pkg.Header(), "org.sourcedId")
	for row, err := range rowsOf(src.pkg) {
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			for _, e := range routes {
				e.rowsErr = err
			}
			return
		}
		if e := byOrg[row.Fields[col]]; e != nil {
			row.Fields = slices.Clone(row.Fields)
			e.rows = append(e.rows, row)
		}
	}
}

// routed yields the route's rows, then the error that ended them, and
// drops each row once yielded: a job reads its rows once.
func (e *entry) routed(yield func(csvspec.SourceRow, error) bool) {
	for i, row := range e.rows {
		e.rows[i] = csvspec.SourceRow{}
		if !yield(row, nil) {
			return
		}
	}
	e.rows = nil
	if e.rowsErr != nil {
		yield(csvspec.SourceRow{}, e.rowsErr)
	}
}

// orgIndex returns the index of the org v names, as Select finds it: by
// identifier first, then by sourcedId; -1 if none.
func orgIndex(orgs []oneroster.Org, v string) int {
	if i := slices.IndexFunc(orgs, func(o oneroster.Org) bool { return o.Identifier == v }); i >= 0 {
		return i
	}
	return slices.IndexFunc(orgs, func(o oneroster.Org) bool { return o.SourcedID == v })
}

// unrouted is an org of a package that no route names: -json's
// "unrouted".
type unrouted struct {
	Package    string `json:"package"`
	SourcedID  string `json:"sourced_id"`
	Identifier string `json:"identifier,omitempty"`
	Name       string `json:"name"`
}

// finish closes the sources, prints their warnings, each once, on stderr
// and lists their unrouted orgs on w, returning them for -json.
func finish(sources []*source, entries []entry, w, stderr io.Writer) []unrouted {
	var list []unrouted
	for _, src := range sources {
		if src.pkg == nil {
			continue
		}
		pkgs := []*oneroster.Package{src.pkg}
		for _, e := range entries {
			if e.src == src && e.pkg != nil {
				pkgs = append(pkgs, e.pkg)
			}
		}
		cli.Warnings(stderr, prog+": "+src.Package, pkgs...)
		src.pkg.Close()
		for _, o := range src.unrouted {
			list = append(list, unrouted{Package: src.Package, SourcedID: o.SourcedID, Identifier: o.Identifier, Name: o.Name})
			fmt.Fprintf(w, "%s: %s: org %s (%s) has no route; nothing of it is sent\n", prog, src.Package, cmp.Or(o.Identifier, o.SourcedID), o.Name)
		}
	}
	return list
}
