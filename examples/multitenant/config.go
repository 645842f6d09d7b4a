package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/examples/internal/cli"
)

// readConfig reads the config: a JSON array of schools. It returns an
// error only when the file cannot be read or is not a JSON array; a
// mistake in one school's entry (an unknown or missing field, a name listed
// twice) is that entry's err. Relative paths are made relative to the
// config's folder. state is -state, "" if not given.
func readConfig(path string, state string) ([]entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// Notepad and PowerShell 5 save UTF-8 with a byte order mark.
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %s", path, configError(b, err))
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s lists no school", path)
	}
	dir := filepath.Dir(path)
	var items []item
	for _, r := range raw {
		items = append(items, expand(r, dir)...)
	}
	entries := make([]entry, len(items))
	seen := make(map[string]int)
	keys := make(map[syncjob.Key]int) // the first entry of each journal key
	staff := make(map[string]int)     // the first entry of each staff file
	for i, it := range items {
		e := &entries[i]
		e.src, e.org, e.err = it.src, it.org, it.err
		if err := decodeSchool(it.raw, &e.School, state != "", dir); e.err == nil {
			e.err = err
		}
		for _, p := range []*string{&e.File, &e.PasswordFile, &e.CAFile, &e.LibraryGroups, &e.SystemGroups, &e.Report, &e.Failures} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(dir, *p)
			}
		}
		checkStaff(entries, i, staff, state)
		if e.Name == "" {
			e.Name = fmt.Sprintf("school %d", i+1)
		}
		if first, dup := seen[e.Name]; dup && e.err == nil {
			e.err = fmt.Errorf("the name %q is listed twice (schools %d and %d); give each school its own name", e.Name, first, i+1)
		} else if !dup {
			seen[e.Name] = i + 1
		}
		if e.err == nil {
			// The same school and import twice would lock each other
			// out, or post two exports in turn: neither runs.
			if k, ok := e.Key(); ok {
				if first, dup := keys[k]; dup {
					e.err = fmt.Errorf("the same school and import as entry %d (%q): %s; list each school once per import", first, entries[first-1].Name, k)
					if entries[first-1].err == nil {
						entries[first-1].err = fmt.Errorf("the same school and import as entry %d (%q): %s; list each school once per import", i+1, e.Name, k)
					}
				} else {
					keys[k] = i + 1
				}
			}
		}
	}
	return entries, nil
}

// checkStaff checks the staff files of entries[i], and that no other
// entry writes them: staff holds the first entry (from 1) of each file.
func checkStaff(entries []entry, i int, staff map[string]int, state string) {
	e := &entries[i]
	for _, sf := range []struct{ field, path string }{{"report", e.Report}, {"failures", e.Failures}} {
		if sf.path == "" || e.err != nil {
			continue
		}
		if e.err = e.CheckStaffPath(cli.ConfigFields, sf.field, sf.path, state); e.err != nil {
			break
		}
		// Two schools writing one file would each overwrite the
		// other's: neither runs.
		if first, dup := staff[sf.path]; dup {
			e.err = fmt.Errorf("%q %s is also written by entry %d (%q); give each school its own file", sf.field, sf.path, first, entries[first-1].Name)
			if first == i+1 {
				e.err = errors.New(`"report" and "failures" name the same file; give each its own`)
			} else if entries[first-1].err == nil {
				entries[first-1].err = fmt.Errorf("%s is also written by entry %d (%q); give each school its own file", sf.path, i+1, e.Name)
			}
			break
		}
		staff[sf.path] = i + 1
	}
}

// configError says, for a person, why b, a config that json could not
// read into an array, is wrong: err is json's error.
func configError(b []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
		return fmt.Sprintf("line %d: this is not valid JSON (%s); %s", line, strings.TrimPrefix(se.Error(), "json: "), wantArray)
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		return "the file holds one JSON object; " + wantArray
	}
	return wantArray
}

// decodeSchool decodes one entry of the config into s and checks it. On
// an error s holds what could be read, its name at least if it has one.
func decodeSchool(raw json.RawMessage, s *cli.School, journal bool, dir string) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(s); err != nil {
		// Read the name alone, leniently, for the summary table.
		var named struct{ Name string }
		_ = json.Unmarshal(raw, &named)
		s.Name = named.Name
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute) && ute.Field == "":
			return fmt.Errorf("the entry is a JSON %s; each school is an object with the fields %s", ute.Value, strings.Join(fields, ", "))
		case errors.As(err, &ute) && (ute.Field == "map" || strings.HasPrefix(ute.Field, "map.")):
			return fmt.Errorf(`"map" must be an object of column names and the SMS's header names, e.g. {"username": "Student Code"}`)
		case errors.As(err, &ute) && ute.Field == "carry":
			return fmt.Errorf(`"carry" must be a list of the export's column names, e.g. ["Given Name", "Surname"]`)
		case errors.As(err, &ute) && ute.Field == "strict":
			return fmt.Errorf(`"strict" must be true or false, without quotes`)
		case errors.As(err, &ute):
			return fmt.Errorf("%q must be a JSON string, in quotes, not a JSON %s", ute.Field, ute.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return fmt.Errorf("%v; the fields are %s", strings.TrimPrefix(err.Error(), "json: "), strings.Join(fields, ", "))
		}
		return err
	}
	if k := twice(raw); k != "" {
		return fmt.Errorf("%q is given twice; give each field once", k)
	}
	var missing []string
	for field, v := range map[string]string{"name": s.Name, "url": s.URL, "user": s.User, "file": s.File} {
		if v == "" {
			missing = append(missing, field)
		}
	}
	slices.Sort(missing)
	switch {
	case len(missing) > 0:
		return fmt.Errorf("lacks %s", strings.Join(missing, ", "))
	case s.PasswordEnv == "" && s.PasswordFile == "":
		return errors.New("lacks password_env or password_file: name the environment variable or the file that holds the password")
	case s.PasswordEnv != "" && s.PasswordFile != "":
		return errors.New("has both password_env and password_file; give one of them")
	case s.MaxRemovals != "" && !journal:
		return errors.New("max_removals needs the journal: give -state DIR")
	case s.Report != "" && !journal:
		return errors.New("report needs the journal: give -state DIR")
	}
	return checkSchool(s, dir)
}

// twice returns the first field that the JSON object raw gives twice, or
// "": encoding/json would silently keep the last.
func twice(raw json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	seen := make(map[string]bool)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		k, _ := t.(string)
		if seen[k] {
			return k
		}
		seen[k] = true
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
	return ""
}
