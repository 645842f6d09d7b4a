package syncjob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"iter"
	"slices"
	"strings"

	"github.com/autosync-go/autosync/csvspec"
)

// export is the export as a run read it.
type export struct {
	snap     *snapshot
	check    *csvspec.Report   // every problem found, the first csvspec.MaxProblemsPerCode of each code kept
	held     map[string]bool   // users held for row problems
	problem  map[string]string // the first problem of each of them
	noName   int               // rows with a problem and no username: they hold nobody
	carry    map[string][]string
	warns    []csvspec.Problem // the header's warnings (columns the import does not read)
	fileErr  error             // a problem of the file as a whole
	nErr     int               // problems of SeverityError, all counted
	encoding bool              // a value is not UTF-8: the file's encoding is wrong
	nWarn    int               // problems of SeverityWarning, all counted
}

// readError is the error of an export that could not be read (an I/O
// error of the reader), as opposed to one that is not a valid export.
type readError struct{ err error }

func (e *readError) Error() string { return "syncjob: reading the export: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// err returns the error that stops the run before it plans: a problem of
// the file, more than 10% of the users held for row problems (at least
// percentFloor users), or, with strict, any row problem.
func (e *export) err(strict bool) error {
	if e.fileErr != nil {
		return e.fileErr
	}
	if e.encoding {
		return fmt.Errorf("the export is not UTF-8: %w", e.check.Err())
	}
	held := len(e.held) + e.noName
	if held == 0 {
		return nil
	}
	if strict {
		return e.check.Err()
	}
	users := e.snap.Users() + e.noName
	for u := range e.held {
		if e.snap.find(u) < 0 {
			users++
		}
	}
	if allowed := PercentLimit(10).Max(users); held > allowed {
		return fmt.Errorf("%s of %s have row problems, more than %d: the file looks broken: %w", count(held, "user", "users"), commas(users), allowed, e.check.Err())
	}
	return nil
}

// hashReader hashes what is read through it and stops at a done context.
type hashReader struct {
	ctx context.Context
	r   io.Reader
	h   hash.Hash
	err error // an error of r, not io.EOF
}

func (s *hashReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	s.h.Write(p[:n])
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// csvRows returns the rows of a CSV export and a function that returns the
// SHA-256 of its bytes and its read error once the rows are read.
func (j *Job) csvRows(ctx context.Context, r io.Reader, imp *Import) (iter.Seq2[csvspec.SourceRow, error], func() (string, error)) {
	hr := &hashReader{ctx: ctx, r: r, h: sha256.New()}
	rows := csvspec.ReadRows(hr, imp.header, j.Carry, j.ReaderOptions...)
	return rows, func() (string, error) {
		if hr.err == nil {
			_, _ = io.Copy(io.Discard, hr) // the rest, for the hash
		}
		return hex.EncodeToString(hr.h.Sum(nil)), hr.err
	}
}

// readRows reads the rows once: it runs the row checks on each, passes each
// problem row to fl, holds the users with a row problem, and builds the
// export's snapshot of the rest.
func (j *Job) readRows(ctx context.Context, rows iter.Seq2[csvspec.SourceRow, error], imp *Import, fl *failureLog) *export {
	ex := &export{check: &csvspec.Report{}, held: map[string]bool{}, problem: map[string]string{}}
	rr := &rowReader{ex: ex, kept: map[string]int{}, b: newBuilder(imp, true).dedupe(), fl: fl}
	check := imp.rowChecker(j.Rules)
	for row, err := range rows {
		if err != nil {
			ex.fileErr = err // an I/O error of the reader is made a readError by the caller
			var pe *csvspec.ParseError
			if errors.As(err, &pe) {
				rr.note(csvspec.Problem{Row: pe.Row, Line: pe.Line, Column: pe.Column, Code: pe.Code, Severity: csvspec.SeverityError, Message: parseMessage(pe)}, nil)
			}
			break
		}
		if err := ctx.Err(); err != nil {
			ex.fileErr = err
			break
		}
		if row.Fields == nil && len(row.Problems) > 0 && ex.check.Rows == 0 && row.Line <= 1 {
			ex.warns = row.Problems // the header's: reported apart, not nightly with the rows'
			continue
		}
		ex.check.Rows++
		check(&row)
		rr.take(imp, &row)
	}
	ex.snap = rr.b.snapshot()
	return ex
}

// A rowReader builds an export from its rows.
type rowReader struct {
	ex   *export
	kept map[string]int // problems kept in the report, by code
	b    *builder
	fl   *failureLog
}

// note counts a problem, keeps it in the report if its code has room,
// and passes an error to the failure log with its row, if any.
func (rr *rowReader) note(p csvspec.Problem, row *csvspec.SourceRow) {
	ex := rr.ex
	if p.Severity == csvspec.SeverityError {
		ex.nErr++
	} else {
		ex.nWarn++
	}
	if rr.kept[p.Code] < csvspec.MaxProblemsPerCode {
		rr.kept[p.Code]++
		ex.check.Problems = append(ex.check.Problems, p)
	}
	if p.Severity == csvspec.SeverityError {
		f := Failure{Line: p.Line, Code: p.Code, Field: p.Column, Message: p.Message}
		if row != nil && len(row.Fields) > 0 {
			f.Fields, f.Carry, f.Origin = slices.Clone(row.Fields), row.Carry, row.Origin
		}
		rr.fl.add(f)
	}
}

// take takes a checked data row: it notes the row's problems, holds its
// user if one is an error, and otherwise adds the row to the snapshot.
func (rr *rowReader) take(imp *Import, row *csvspec.SourceRow) {
	ex := rr.ex
	bad, first := false, ""
	for i := range row.Problems {
		p := &row.Problems[i]
		if p.Row == 0 {
			p.Row = ex.check.Rows // Infiniti's numbering of the export's data rows
		}
		if p.Code == csvspec.CodeInvalidUTF8 && ex.fileErr == nil {
			// Not UTF-8 is a problem of the file's encoding, not of a row.
			ex.encoding = true
		}
		if p.Code == csvspec.CodeEmptyRow {
			rr.b.empty++
		}
		rr.note(*p, row)
		if p.Severity == csvspec.SeverityError && !bad {
			bad, first = true, p.Message
		}
	}
	if bad {
		if len(row.Fields) == 0 || row.Fields[0] == "" {
			ex.noName++
			return
		}
		name := row.Fields[0]
		ex.held[name] = true
		if ex.problem[name] == "" {
			ex.problem[name] = first
		}
		return
	}
	if len(row.Fields) != len(imp.header) || !slices.ContainsFunc(row.Fields, func(f string) bool { return f != "" }) {
		return
	}
	if name := row.Fields[0]; len(row.Carry) > 0 {
		if ex.carry == nil {
			ex.carry = map[string][]string{}
		}
		if _, ok := ex.carry[name]; !ok {
			ex.carry[name] = slices.Clone(row.Carry)
		}
	}
	_ = rr.b.add(row.Line, row.Fields, nil)
}

// parseMessage returns the message of a ParseError without its "csvspec:
// line N (row R): " prefix, which a Problem says in its own fields.
func parseMessage(pe *csvspec.ParseError) string {
	msg := strings.TrimPrefix(pe.Error(), "csvspec: ")
	switch {
	case pe.Line > 0 && pe.Row > 0:
		msg = strings.TrimPrefix(msg, fmt.Sprintf("line %d (row %d): ", pe.Line, pe.Row))
	case pe.Line > 0:
		msg = strings.TrimPrefix(msg, fmt.Sprintf("line %d (header): ", pe.Line))
	case pe.Row > 0:
		msg = strings.TrimPrefix(msg, fmt.Sprintf("row %d: ", pe.Row))
	}
	return msg
}
