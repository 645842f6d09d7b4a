package csvspec

// Regression tests for the final review fixes of csvspec.

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// manyScenarios returns a scenarios value of n distinct unknown names,
// followed by the first of them again in lower case.
func manyScenarios(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "S%05x;", i)
	}
	b.WriteString("s00000")
	return b.String()
}

// A scenarios value of about 1 MiB of distinct names, within
// MaxRecordBytes, is read and checked in time linear in the names: each
// name once, the repeat in another case dropped (the ContactReader) or
// named (CheckContacts).
func TestManyScenarios(t *testing.T) {
	const n = 145_000
	in := chdr + "s1,phone,patron,False,,0400,," + manyScenarios(n) + "\n"
	if len(in) < 1<<20-1<<16 || len(in) > MaxRecordBytes {
		t.Fatalf("the file is %d bytes; want about 1 MiB, within MaxRecordBytes", len(in))
	}

	rec, err := NewContactReader(strings.NewReader(in)).Read()
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		N           int
		First, Last Scenario
	}
	got := outcome{N: len(rec.Scenarios)}
	if got.N > 0 {
		got.First, got.Last = rec.Scenarios[0], rec.Scenarios[got.N-1]
	}
	if diff := cmp.Diff(outcome{n, "S00000", Scenario(fmt.Sprintf("S%05x", n-1))}, got); diff != "" {
		t.Errorf("ContactReader scenarios (-want +got):\n%s", diff)
	}

	rep, err := CheckContacts(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{CodeUnknownScenario: 1, CodeScenarioFormat: 1}
	if diff := cmp.Diff(want, rep.Counts()); diff != "" {
		t.Errorf("CheckContacts counts (-want +got):\n%s", diff)
	}
	for _, p := range rep.Problems {
		if p.Code == CodeUnknownScenario && !strings.Contains(p.Message, fmt.Sprintf(`"S00000", "S00001", "S00002" and %d more are not`, n-3)) {
			t.Errorf("unknown-scenario message %q does not count the names", p.Message)
		}
		if p.Code == CodeScenarioFormat && !strings.Contains(p.Message, `name "s00000" more than once`) {
			t.Errorf("scenario-format message %q does not name the repeat", p.Message)
		}
	}
}

// foldKey tells names apart exactly as strings.EqualFold does, which
// parseScenarios and checkScenarios used to compare them with.
func TestFoldKeyIsEqualFold(t *testing.T) {
	names := []string{
		"", "OVERDUE", "overdue", "Overdue", "K", "k", "\u212a", "S", "s", "\u017f",
		"ß", "ẞ", "SS", "Σ", "σ", "ς", "İ", "i", "ı", "I", "Ǆ", "ǅ", "ǆ",
		"\xff", "\xfe", "\ufffd", "a\xffb", "A\ufffdB", "école", "ÉCOLE", "e\u0301cole",
	}
	for _, a := range names {
		for _, b := range names {
			if got, want := foldKey(a) == foldKey(b), strings.EqualFold(a, b); got != want {
				t.Errorf("foldKey(%q) == foldKey(%q) is %v; strings.EqualFold says %v", a, b, got, want)
			}
		}
	}
}

// A file of the other import is one error that says which import it
// belongs to, not one missing column for each of this one's.
func TestWrongImport(t *testing.T) {
	const (
		toContacts   = `the header is a contacts file's (username,type,role,…), not a user-groups file's; post it to the contacts import`
		toUserGroups = `the header is a user-groups file's (username,library-group,system-group), not a contacts file's; post it to the user-groups import`
	)
	wrong := func(msg string) []Problem {
		return []Problem{{Line: 1, Code: CodeWrongImport, Severity: SeverityError, Message: msg}}
	}
	tests := []struct {
		name     string
		in       string
		contacts bool // read and checked as a contacts file
		opts     []ReaderOption
		rows     int
		want     []Problem
		err      error // the sentinel the first Read's error wraps
	}{
		{name: "contacts file as user groups", in: chdr + "s1,email,patron,True,An,s1@example.com,,ANY\n",
			rows: 1, want: wrong(toContacts), err: ErrWrongImport},
		{name: "user-groups file as contacts", in: hdr + "s1,Year 7,Students\ns2,Year 8,\n", contacts: true,
			rows: 2, want: wrong(toUserGroups), err: ErrWrongImport},
		{name: "other case, spacing and order, a byte order mark, an extra column", in: "\ufeffSystem Group, Library_Group ,USERNAME,Notes\n", contacts: true,
			want: wrong(toUserGroups), err: ErrWrongImport},
		{name: "contacts file with its username under the header map's name", in: strings.Replace(chdr, "username", "Student Code", 1),
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "Student Code"})}, want: wrong(toContacts), err: ErrWrongImport},
		{name: "contacts file with a header map of user-groups columns", in: chdr,
			opts: []ReaderOption{WithHeaderMap(map[string]string{"library-group": "House"})}, want: wrong(toContacts), err: ErrWrongImport},
		{name: "a contacts header without its sms column is not called one", in: strings.Replace(chdr, ",sms", "", 1),
			want: []Problem{
				p(0, 1, ColumnLibraryGroup, CodeMissingColumn, SeverityError),
				p(0, 1, ColumnSystemGroup, CodeMissingColumn, SeverityError),
				p(0, 1, "", CodeExtraColumn, SeverityWarning),
			}, err: ErrMissingColumn},
		{name: "a user-groups header without system-group is not called one", in: "username,library-group\n", contacts: true,
			want: []Problem{
				p(0, 1, ColumnType, CodeMissingColumn, SeverityError),
				p(0, 1, ColumnRole, CodeMissingColumn, SeverityError),
				p(0, 1, ColumnPrimary, CodeMissingColumn, SeverityError),
				p(0, 1, ColumnAddressee, CodeMissingColumn, SeverityError),
				p(0, 1, ColumnContact, CodeMissingColumn, SeverityError),
				p(0, 1, ColumnSMS, CodeMissingColumn, SeverityError),
				p(0, 1, ColumnScenarios, CodeMissingColumn, SeverityError),
				p(0, 1, "", CodeExtraColumn, SeverityWarning),
			}, err: ErrMissingColumn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rep *Report
			var err, readErr error
			if tt.contacts {
				rep, err = CheckContacts(strings.NewReader(tt.in), tt.opts...)
				_, readErr = NewContactReader(strings.NewReader(tt.in), tt.opts...).Read()
			} else {
				rep, err = Check(strings.NewReader(tt.in), Rules{}, tt.opts...)
				_, readErr = NewReader(strings.NewReader(tt.in), tt.opts...).Read()
			}
			if err != nil {
				t.Fatal(err)
			}
			opt := ignoreMessage
			if tt.err == ErrWrongImport {
				opt = nil
			}
			if diff := cmp.Diff(tt.want, rep.Problems, opt); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if rep.Rows != tt.rows {
				t.Errorf("%d rows, want %d", rep.Rows, tt.rows)
			}
			var pe *ParseError
			if !errors.Is(readErr, tt.err) || !errors.As(readErr, &pe) || readErr == io.EOF {
				t.Fatalf("Read error %v, want a *ParseError wrapping %v", readErr, tt.err)
			}
			if want := "csvspec: line 1 (header): " + tt.want[0].Message; tt.err == ErrWrongImport && pe.Error() != want {
				t.Errorf("Read error %q, want %q", pe.Error(), want)
			}
		})
	}
}

// packageNames returns the values of the package's string constants whose
// names start with prefix, and the names of its variables that do, read
// from its source so that a new one cannot be left out below.
func packageNames(t *testing.T, prefix string) (consts map[string]string, vars []string) {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts = make(map[string]string)
	for _, f := range pkgs["csvspec"].Files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || (g.Tok != token.CONST && g.Tok != token.VAR) {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, prefix) {
						continue
					}
					if g.Tok == token.VAR {
						vars = append(vars, name.Name)
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						consts[name.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	return consts, vars
}

// Every code of a problem that a Reader or ContactReader returns as a
// *ParseError maps to one of the Err* variables, and every Err* variable
// is the error of some code; the other codes are the checks' alone.
func TestCodeErrMapsEveryCode(t *testing.T) {
	parseErrors := map[string]error{
		CodeEncoding: ErrEncoding, CodeLineEnding: ErrLineEnding, CodeSeparator: ErrSeparator,
		CodeQuotedLines: ErrQuote, CodeQuote: ErrQuote, CodeWrongImport: ErrWrongImport,
		CodeMissingColumn: ErrMissingColumn, CodeHeaderMap: ErrHeaderMap, CodeHeaderName: ErrHeaderName,
		CodeDuplicateColumn: ErrDuplicateColumn, CodeRecordTooLarge: ErrRecordTooLarge,
		CodeFieldCount: ErrFieldCount, CodeRepeatedHeader: ErrRepeatedHeader, CodeInvalidBoolean: ErrBoolean,
		CodeMissingCarry: ErrMissingColumn, CodeCutOff: ErrFieldCount, CodeUnclosedQuote: ErrQuote,
	}
	checkOnly := []string{
		CodeInvalidUTF8, CodeControlCharacter, CodeFormatCharacter, CodeMissingUsername,
		CodeUnknownLibraryGroup, CodeUnknownSystemGroup, CodeUnknownContactType, CodeUnknownContactRole,
		CodeMissingContact, CodeInvalidEmail, CodePhoneWithoutDigits, CodeUnknownScenario,
		// Warnings.
		CodeExtraColumn, CodeEmptyRow, CodeSurroundingSpace, CodeUnusualSpace, CodeNoGroup, CodeDuplicateRow,
		CodeBooleanSpelling, CodeSMSOnEmail, CodeScenarioCombination, CodeScenarioFormat, CodeMultiplePrimary, CodeGuardianAddressee,
	}
	codes, _ := packageNames(t, "Code")
	_, errVars := packageNames(t, "Err")
	var unsorted []string
	for name, code := range codes {
		if _, ok := parseErrors[code]; !ok && !slices.Contains(checkOnly, code) {
			unsorted = append(unsorted, name)
		}
	}
	if len(unsorted) > 0 {
		slices.Sort(unsorted)
		t.Errorf("codes neither in parseErrors nor in checkOnly: %v", unsorted)
	}
	if len(codes) != len(parseErrors)+len(checkOnly) {
		t.Errorf("the package has %d codes; the test lists %d", len(codes), len(parseErrors)+len(checkOnly))
	}
	errNames := map[error]string{
		ErrMissingColumn: "ErrMissingColumn", ErrHeaderName: "ErrHeaderName", ErrDuplicateColumn: "ErrDuplicateColumn",
		ErrHeaderMap: "ErrHeaderMap", ErrSeparator: "ErrSeparator", ErrEncoding: "ErrEncoding", ErrLineEnding: "ErrLineEnding",
		ErrWrongImport: "ErrWrongImport", ErrFieldCount: "ErrFieldCount", ErrQuote: "ErrQuote",
		ErrRecordTooLarge: "ErrRecordTooLarge", ErrRepeatedHeader: "ErrRepeatedHeader", ErrBoolean: "ErrBoolean",
	}
	slices.Sort(errVars)
	if diff := cmp.Diff(errVars, slices.Sorted(maps.Values(errNames))); diff != "" {
		t.Errorf("Err* variables (-package +test):\n%s", diff)
	}
	used := make(map[string]bool)
	for code, want := range parseErrors {
		got := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return codeErr(code)
		}()
		if got != want {
			t.Errorf("codeErr(%q) = %v, want %s", code, got, errNames[want])
		}
		used[errNames[want]] = true
	}
	for _, name := range errVars {
		if !used[name] {
			t.Errorf("%s is the error of no code", name)
		}
	}
}

// The docs say what the code does: every exported constant and variable
// has a comment of its own, the problems are named by their codes, the
// header functions say the same of their slices, and no comment line of
// the package runs on past 100 characters.
func TestDocComments(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	docs := make(map[string]string) // function or method name -> doc
	for name, f := range pkgs["csvspec"].Files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if n := len([]rune(line)); n > 100 && strings.HasPrefix(strings.TrimSpace(line), "//") {
				got = append(got, fmt.Sprintf("%s:%d: a comment line of %d characters", name, i+1, n))
			}
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				key := d.Name.Name
				if d.Recv != nil {
					key = recvName(d.Recv.List[0].Type) + "." + key
				}
				docs[key] = strings.Join(strings.Fields(d.Doc.Text()), " ")
			case *ast.GenDecl:
				if d.Tok != token.CONST && d.Tok != token.VAR {
					continue
				}
				for _, spec := range d.Specs {
					vs := spec.(*ast.ValueSpec)
					for _, n := range vs.Names {
						text := vs.Doc.Text() + vs.Comment.Text()
						if len(d.Specs) == 1 {
							text += d.Doc.Text()
						}
						if n.IsExported() && strings.TrimSpace(text) == "" {
							got = append(got, n.Name+" has no comment of its own")
						}
						if m := errProblem.FindString(text); m != "" {
							got = append(got, fmt.Sprintf("%s's comment says %q; a problem has a code", n.Name, m))
						}
					}
				}
			}
		}
	}
	for _, fn := range []string{"Header", "ContactHeader"} {
		if !strings.Contains(docs[fn], "may be modified by the caller") {
			got = append(got, fn+"'s doc does not say that the slice may be modified by the caller")
		}
	}
	if !strings.Contains(docs["Severity.MarshalText"], "returns an error") {
		got = append(got, "Severity.MarshalText's doc does not say that it returns an error")
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string(nil), got); diff != "" {
		t.Errorf("doc comments (-want +got):\n%s", diff)
	}
}

// errProblem is a sentinel named as if it were a problem's code.
var errProblem = regexp.MustCompile(`\bErr[A-Z]\w* problem`)

// recvName names a receiver's type.
func recvName(e ast.Expr) string {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return fmt.Sprintf("%T", e)
}
