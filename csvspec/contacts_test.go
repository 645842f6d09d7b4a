package csvspec

import (
	"bytes"
	"errors"
	"io"
	"iter"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The tests read contacts files with a contactReader: the Reader of the
// contacts schema, over the same table as ReadRows and CheckContacts.

// contactRecord is a Contact read from a file, with its position in the file.
type contactRecord struct {
	Contact
	Row  int // 1-based data row, header excluded
	Line int // 1-based physical line where the record starts (header is line 1)

	// Empty is true for a row whose fields are all empty (",,,,,,," as
	// Excel leaves below the data); its Contact is then zero. A row whose
	// only value is a false primary (",,,False,,,,") has a zero Contact too,
	// but is not Empty: it is a row with its username, type, role and
	// contact missing.
	Empty bool
}

// parseScenarios splits a scenarios value on ';', trimming each name and
// dropping empty ones and repeats (in any case) of an earlier one. Known
// scenarios are kept in a bit set, unknown ones in a map made at the
// first of them, so that a value of many names takes linear time.
func parseScenarios(s string) []Scenario {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	out := make([]Scenario, 0, strings.Count(s, ";")+1)
	var known uint8
	var unknown map[string]struct{} // foldKey of each unknown name
	for rest, more := s, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ";")
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		sc, i := parseKnown(part, knownScenarios[:]...)
		if bit := uint8(1) << max(i, 0); i >= 0 {
			if known&bit != 0 {
				continue
			}
			known |= bit
		} else {
			if unknown == nil {
				unknown = make(map[string]struct{})
			}
			k := foldKey(part)
			if _, dup := unknown[k]; dup {
				continue
			}
			unknown[k] = struct{}{}
		}
		out = append(out, sc)
	}
	if len(out) == 0 {
		return nil // only separators
	}
	return out
}

// A contactReader reads the records of a contacts file, streaming, with the
// same header handling, options, row and line numbers, limits and empty
// rows as a Reader of user groups.
//
// Username, Addressee and Address are returned as they are in the file.
// Type, Role and the scenarios are matched without regard to case or
// surrounding space and returned in their canonical form, or as written
// (trimmed) when unknown, for Check to report. Booleans are read from
// true/false, yes/no, y/n and 1/0, in any case.
type contactReader struct {
	t *table
}

// newContactReader returns a contactReader that reads from r. Options that
// get bad input make the first Read return the error.
func newContactReader(r io.Reader, opts ...ReaderOption) *contactReader {
	return &contactReader{t: newTable(r, contacts, opts)}
}

// Read returns the next record, or io.EOF after the last one. Its errors
// are those of Reader.Read, and one more: a primary that is empty or not a
// boolean, or an sms that is neither empty nor a boolean, is a *ParseError
// of "invalid-boolean", returned with a contactRecord carrying only its Row
// and Line;
// the next Read goes on with the next row. A row whose fields are all empty
// is a contactRecord with Empty set, a zero Contact and a nil error.
func (r *contactReader) Read() (contactRecord, error) {
	fields, line, f, err := r.t.next()
	if err != nil {
		return contactRecord{}, err
	}
	rec := contactRecord{Row: r.t.row, Line: line}
	if f != nil {
		if rec.Empty = f.Code == CodeEmptyRow; rec.Empty {
			return rec, nil
		}
		return rec, parseError(f)
	}
	idx := r.t.hdr.index
	var v [numContactColumns]string
	for ci, fi := range idx {
		v[ci] = fields[fi]
	}
	var c rowCheck
	primary, ok := c.checkBool("primary", v[ccPrimary])
	var sms OptionalBool
	if ok && strings.TrimSpace(v[ccSMS]) != "" {
		sms, ok = c.checkBool("sms", v[ccSMS])
	}
	if !ok {
		p := c.ps[len(c.ps)-1]
		p.Row, p.Line = rec.Row, line
		return rec, parseError(&p)
	}
	typ, _ := parseKnown(v[ccType], ContactEmail, ContactPhone)
	role, _ := parseKnown(v[ccRole], RolePatron, RoleGuardian)
	rec.Contact = Contact{
		Username:  v[ccUsername],
		Type:      typ,
		Role:      role,
		Primary:   primary == BoolTrue,
		Addressee: v[ccAddressee],
		Address:   v[ccContact],
		SMS:       sms,
		Scenarios: parseScenarios(v[ccScenarios]),
	}
	return rec, nil
}

// All returns an iterator over the remaining records, as Reader.All does.
func (r *contactReader) All() iter.Seq2[contactRecord, error] {
	return all(r.t, r.Read)
}

// contactOutcome is one contactReader.Read result, flattened for comparison.
type contactOutcome struct {
	Rec contactRecord
	Err string // the code of the error, "" for none (errCode)
}

func readContacts(t *testing.T, r *contactReader) []contactOutcome {
	t.Helper()
	var out []contactOutcome
	for rec, err := range r.All() {
		out = append(out, contactOutcome{Rec: rec, Err: errCode(err)})
		if len(out) > 100 {
			t.Fatal("more than 100 records")
		}
	}
	return out
}

func crec(row, line int, c Contact) contactOutcome {
	return contactOutcome{Rec: contactRecord{Contact: c, Row: row, Line: line}}
}

// The contacts of the fixtures, as read.
var (
	overdueAll = []Scenario{ScenarioOverdue, ScenarioOverdueEscalationOne, ScenarioOverdueEscalationTwo, ScenarioOverdueEscalationThree}
	s1001Email = Contact{Username: "S1001", Type: ContactEmail, Role: RolePatron, Primary: true, Addressee: "An", Address: "s1001@students.example.edu.au", Scenarios: []Scenario{ScenarioAny}}
	s1001Phone = Contact{Username: "S1001", Type: ContactPhone, Role: RolePatron, Primary: true, Addressee: "An", Address: "(M1) 0400 000 001", SMS: BoolTrue, Scenarios: []Scenario{ScenarioNone}}
	s1002Email = Contact{Username: "S1002", Type: ContactEmail, Role: RolePatron, Primary: true, Addressee: "Mary", Address: "s1002@students.example.edu.au", Scenarios: []Scenario{ScenarioAny}}
)

func TestContactReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts []ReaderOption
		want []contactOutcome
	}{
		{name: "zero bytes", in: ""},
		{name: "header only", in: chdr},
		{
			name: "canonical",
			in:   chdr + "S1001,email,patron,True,An,s1001@students.example.edu.au,,ANY\nS1001,phone,patron,True,An,(M1) 0400 000 001,True,NONE\n",
			want: []contactOutcome{crec(1, 2, s1001Email), crec(2, 3, s1001Phone)},
		},
		{
			name: "any case, surrounding space and other boolean spellings",
			in:   chdr + "S1001, EMAIL ,Patron,y,An,s1001@students.example.edu.au,,any\nS1001,Phone,PATRON,1,An,(M1) 0400 000 001,YES,None\n",
			want: []contactOutcome{crec(1, 2, s1001Email), crec(2, 3, s1001Phone)},
		},
		{
			name: "false, no, n and 0",
			in:   chdr + "a,email,patron,FALSE,,x,false,\nb,email,patron,no,,x,N,\nc,email,patron,0,,x,0,\n",
			want: []contactOutcome{
				crec(1, 2, Contact{Username: "a", Type: ContactEmail, Role: RolePatron, Address: "x", SMS: BoolFalse}),
				crec(2, 3, Contact{Username: "b", Type: ContactEmail, Role: RolePatron, Address: "x", SMS: BoolFalse}),
				crec(3, 4, Contact{Username: "c", Type: ContactEmail, Role: RolePatron, Address: "x", SMS: BoolFalse}),
			},
		},
		{
			name: "unknown values are kept, trimmed",
			in:   chdr + "a, Fax ,aunt,True,,x,, Pigeon ; overdue ;;\n",
			want: []contactOutcome{crec(1, 2, Contact{Username: "a", Type: "Fax", Role: "aunt", Primary: true, Address: "x", Scenarios: []Scenario{"Pigeon", ScenarioOverdue}})},
		},
		{
			name: "scenarios of separators only",
			in:   chdr + "a,email,patron,True,,x,, ; ;\n",
			want: []contactOutcome{crec(1, 2, Contact{Username: "a", Type: ContactEmail, Role: RolePatron, Primary: true, Address: "x"})},
		},
		{
			name: "names and addresses are not trimmed",
			in:   chdr + " a ,email,guardian,True, Mr Smith , x@example.com ,,\n",
			want: []contactOutcome{crec(1, 2, Contact{Username: " a ", Type: ContactEmail, Role: RoleGuardian, Primary: true, Addressee: " Mr Smith ", Address: " x@example.com "})},
		},
		{
			name: "booleans that cannot be read, then the next row",
			in:   chdr + "a,email,patron,maybe,,x,,\nb,email,patron,,,x,,\nc,phone,patron,False,,1,perhaps,\nd,email,patron,True,,x,,ANY\n",
			want: []contactOutcome{
				{Rec: contactRecord{Row: 1, Line: 2}, Err: "invalid-boolean"},
				{Rec: contactRecord{Row: 2, Line: 3}, Err: "invalid-boolean"},
				{Rec: contactRecord{Row: 3, Line: 4}, Err: "invalid-boolean"},
				crec(4, 5, Contact{Username: "d", Type: ContactEmail, Role: RolePatron, Primary: true, Address: "x", Scenarios: []Scenario{ScenarioAny}}),
			},
		},
		{
			name: "empty rows, a repeated header, a wrong field count",
			in:   chdr + ",,,,,,,\n,,\n" + chdr + "a,email\n",
			want: []contactOutcome{
				{Rec: contactRecord{Row: 1, Line: 2, Empty: true}},
				{Rec: contactRecord{Row: 2, Line: 3, Empty: true}},
				{Rec: contactRecord{Row: 3, Line: 4}, Err: "repeated-header"},
				{Rec: contactRecord{Row: 4, Line: 5}, Err: CodeFieldCount},
			},
		},
		{name: "missing column", in: "username,type,role,primary,addressee,contact,sms\n", want: []contactOutcome{{Err: CodeMissingColumn}}},
		{name: "a user-groups file", in: hdr + "a,b,c\n", want: []contactOutcome{{Err: CodeWrongImport}}},
		{name: "semicolons", in: strings.ReplaceAll(chdr, ",", ";"), want: []contactOutcome{{Err: CodeSeparator}}},
		{
			name: "semicolons read WithComma",
			in:   strings.ReplaceAll(chdr, ",", ";") + "S1001;email;patron;True;An;s1001@students.example.edu.au;;ANY\n",
			opts: []ReaderOption{WithComma(';')},
			want: []contactOutcome{crec(1, 2, s1001Email)},
		},
		{name: "UTF-16", in: "\xff\xfeu\x00", want: []contactOutcome{{Err: CodeEncoding}}},
		{
			name: "header map",
			in:   "Student Code,Contact Type,Relationship,Main,Salutation,Detail,SMS Allowed,Notices\nS1001,Email,Patron,Y,An,s1001@students.example.edu.au,,ANY\n",
			opts: []ReaderOption{smsContactMap},
			want: []contactOutcome{crec(1, 2, s1001Email)},
		},
		{
			name: "header map naming a column the file lacks",
			in:   "Student Code,Contact Type,Relationship,Main,Salutation,Detail,SMS,Notices\n",
			opts: []ReaderOption{smsContactMap},
			want: []contactOutcome{{Err: CodeHeaderMap}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readContacts(t, newContactReader(strings.NewReader(tt.in), tt.opts...))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContactReaderErrors(t *testing.T) {
	tests := []struct {
		name, in string
		opt      ReaderOption
		want     string
	}{
		{"boolean", chdr + "a,email,patron,maybe,,x,,\n", nil, `csvspec: line 2 (row 1): the primary value "maybe" is not a boolean`},
		{"empty primary", chdr + "a,email,patron,,,x,,\n", nil, `csvspec: line 2 (row 1): the primary column is empty`},
		{"header map key", chdr, WithHeaderMap(map[string]string{"library-group": "House"}),
			`csvspec: WithHeaderMap: "library-group" is not a column of a contacts file; use one of "username", "type", "role", "primary", "addressee", "contact", "sms", "scenarios" as the key`},
		{"missing", "username,type\n", nil, `csvspec: line 1 (header): the header has no "role" column`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newContactReader(strings.NewReader(tt.in), tt.opt).Read()
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestContactReaderFixtures(t *testing.T) {
	s1001GuardianEmail := Contact{Username: "S1001", Type: ContactEmail, Role: RoleGuardian, Primary: true, Addressee: "Mr and Mrs Nguyen", Address: "nguyen.family@example.com", Scenarios: overdueAll}
	s1001GuardianPhone := Contact{Username: "S1001", Type: ContactPhone, Role: RoleGuardian, Addressee: "Mr and Mrs Nguyen", Address: "(H) 07 5555 1234", SMS: BoolFalse, Scenarios: []Scenario{ScenarioNone}}
	jane := Contact{Username: "S1002", Type: ContactEmail, Role: RoleGuardian, Primary: true, Addressee: "Ms Jane Smith", Address: "jane.smith@example.com", Scenarios: overdueAll}
	john := Contact{Username: "S1002", Type: ContactEmail, Role: RoleGuardian, Primary: true, Addressee: "Mr John Smith", Address: "john.smith@example.com", Scenarios: overdueAll}
	janePhone := Contact{Username: "S1002", Type: ContactPhone, Role: RoleGuardian, Primary: true, Addressee: "Ms Jane Smith", Address: "(M1) 0400 000 002", SMS: BoolTrue, Scenarios: []Scenario{ScenarioNone}}
	fieldScript := []contactOutcome{
		crec(1, 2, s1001Email), crec(2, 3, s1001Phone), crec(3, 4, s1001GuardianEmail), crec(4, 5, s1001GuardianPhone),
		crec(5, 6, s1002Email), crec(6, 7, jane), crec(7, 8, john), crec(8, 9, janePhone),
	}

	// The SMS export: Y/N flags, an sms flag on emails, fewer scenarios.
	sms := func(c Contact, sms OptionalBool, sc ...Scenario) Contact {
		c.SMS, c.Scenarios = sms, sc
		return c
	}
	janePhone2 := janePhone
	janePhone2.Address = "(M2) 0400 000 002"
	smsExport := []contactOutcome{
		crec(1, 2, s1001Email), crec(2, 3, s1001Phone),
		crec(3, 4, sms(s1001GuardianEmail, BoolFalse, ScenarioOverdue, ScenarioOverdueEscalationOne)),
		crec(4, 5, s1001GuardianPhone),
		crec(5, 6, s1002Email),
		crec(6, 7, sms(jane, BoolFalse, ScenarioOverdue)),
		crec(7, 8, sms(john, BoolFalse, ScenarioOverdue)),
		crec(8, 9, janePhone2),
		{Rec: contactRecord{Row: 9, Line: 10, Empty: true}},
	}
	tests := []struct {
		file string
		opts []ReaderOption
		want []contactOutcome
	}{
		{file: "contacts_field_script.csv", want: fieldScript},
		{file: "contacts_sms_export.csv", opts: []ReaderOption{smsContactMap}, want: smsExport},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got := readContacts(t, newContactReader(f, tt.opts...))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContactWriterOutput(t *testing.T) {
	tests := []struct {
		name string
		rows []Contact
		want string
	}{
		{name: "no rows writes the header alone", want: chdr},
		{
			name: "canonical spellings",
			rows: []Contact{
				{Username: "S1", Type: "EMAIL", Role: "Patron", Primary: true, Addressee: "An", Address: "s1@example.com", Scenarios: []Scenario{"any"}},
				{Username: "S1", Type: ContactPhone, Role: RoleGuardian, Addressee: "Mr and Mrs Nguyen, Snr", Address: "(H) 07 5555 1234", SMS: BoolFalse, Scenarios: []Scenario{"overdue", ScenarioOverdueEscalationOne}},
				{Username: "S2", Type: ContactPhone, Role: RolePatron, Address: "0400", SMS: BoolTrue},
			},
			want: chdr +
				"S1,email,patron,True,An,s1@example.com,,ANY\n" +
				"S1,phone,guardian,False,\"Mr and Mrs Nguyen, Snr\",(H) 07 5555 1234,False,OVERDUE;OVERDUE_ESCALATION_ONE\n" +
				"S2,phone,patron,False,,0400,True,\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewContactWriter(&buf)
			for _, c := range tt.rows {
				if err := w.Write(c); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContactWriterError(t *testing.T) {
	boom := errors.New("disk full")
	w := NewContactWriter(failWriter{boom})
	if err := w.Write(Contact{Username: "a"}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush error = %v, want %v", err, boom)
	}
}

func TestContactRoundTrip(t *testing.T) {
	rows := []Contact{
		s1001Email, s1001Phone,
		{Username: "a,b", Type: ContactEmail, Role: RoleGuardian, Primary: true, Addressee: "say \"hi\"\nthere", Address: "x@example.com", SMS: BoolFalse, Scenarios: overdueAll},
		{Username: "Zoë", Type: ContactPhone, Role: RolePatron, Addressee: " \u0632\u0647\u0631\u0647\u200c ", Address: "(M1) 0400 000 000", SMS: BoolNotGiven},
		{Username: "odd", Type: "fax", Role: "aunt", Scenarios: []Scenario{"PIGEON"}},
	}
	if diff := cmp.Diff(rows, contactRoundTrip(t, rows)); diff != "" {
		t.Errorf("round trip (-wrote +read):\n%s", diff)
	}
}

// contactRoundTrip writes rows with a ContactWriter and reads them back.
func contactRoundTrip(t testing.TB, rows []Contact) []Contact {
	t.Helper()
	var buf bytes.Buffer
	w := NewContactWriter(&buf)
	for _, c := range rows {
		if err := w.Write(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	written := buf.String()
	var got []Contact
	for rec, err := range newContactReader(&buf).All() {
		if err != nil {
			t.Fatalf("reading back what the ContactWriter wrote: %v\n%q", err, written)
		}
		got = append(got, rec.Contact)
	}
	return got
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

// The contactReader reads each scenario once, as the check's warning says
// a rewritten file has it.
func TestContactReaderScenariosOnce(t *testing.T) {
	in := chdr + "s1,phone,patron,False,,0400,,OVERDUE;;overdue;Overdue_Escalation_One;FOO;foo\n"
	rec, err := newContactReader(strings.NewReader(in)).Read()
	if err != nil {
		t.Fatal(err)
	}
	want := []Scenario{ScenarioOverdue, ScenarioOverdueEscalationOne, "FOO"}
	if diff := cmp.Diff(want, rec.Scenarios); diff != "" {
		t.Errorf("scenarios (-want +got):\n%s", diff)
	}
}

// all is the All of a reader of t.
func all[T any](t *table, read func() (T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			rec, err := read()
			if err == io.EOF || !yield(rec, err) || err != nil && t.err != nil {
				return
			}
		}
	}
}
