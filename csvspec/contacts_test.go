package csvspec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const chdr = "username,type,role,primary,addressee,contact,sms,scenarios\n"

// contactOutcome is one ContactReader.Read result, flattened for comparison.
type contactOutcome struct {
	Rec ContactRecord
	Err string // the code of the error, "" for none (errCode)
}

func readContacts(t *testing.T, r *ContactReader) []contactOutcome {
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
	return contactOutcome{Rec: ContactRecord{Contact: c, Row: row, Line: line}}
}

var smsContactMap = WithHeaderMap(map[string]string{
	"username": "Student Code", "type": "Contact Type", "role": "Relationship", "primary": "Main",
	"addressee": "Salutation", "contact": "Detail", "sms": "SMS Allowed", "scenarios": "Notices",
})

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
				{Rec: ContactRecord{Row: 1, Line: 2}, Err: codeInvalidBoolean},
				{Rec: ContactRecord{Row: 2, Line: 3}, Err: codeInvalidBoolean},
				{Rec: ContactRecord{Row: 3, Line: 4}, Err: codeInvalidBoolean},
				crec(4, 5, Contact{Username: "d", Type: ContactEmail, Role: RolePatron, Primary: true, Address: "x", Scenarios: []Scenario{ScenarioAny}}),
			},
		},
		{
			name: "empty rows, a repeated header, a wrong field count",
			in:   chdr + ",,,,,,,\n,,\n" + chdr + "a,email\n",
			want: []contactOutcome{
				{Rec: ContactRecord{Row: 1, Line: 2, Empty: true}},
				{Rec: ContactRecord{Row: 2, Line: 3, Empty: true}},
				{Rec: ContactRecord{Row: 3, Line: 4}, Err: codeRepeatedHeader},
				{Rec: ContactRecord{Row: 4, Line: 5}, Err: CodeFieldCount},
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
			got := readContacts(t, NewContactReader(strings.NewReader(tt.in), tt.opts...))
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
		{"boolean", chdr + "a,email,patron,maybe,,x,,\n", nil, `csvspec: line 2 (row 1): the primary value "maybe" is not a boolean; write True or False`},
		{"empty primary", chdr + "a,email,patron,,,x,,\n", nil, `csvspec: line 2 (row 1): the primary column is empty; write True or False`},
		{"header map key", chdr, WithHeaderMap(map[string]string{"library-group": "House"}),
			`csvspec: WithHeaderMap: "library-group" is not a column of a contacts file; use one of "username", "type", "role", "primary", "addressee", "contact", "sms", "scenarios" as the key`},
		{"missing", "username,type\n", nil, `csvspec: line 1 (header): the header has no "role" column; add it (a contacts file has the columns username, type, role, primary, addressee, contact, sms and scenarios, even when empty), or name the file's own column for it in a header map`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewContactReader(strings.NewReader(tt.in), tt.opt).Read()
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
		{Rec: ContactRecord{Row: 9, Line: 10, Empty: true}},
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
			got := readContacts(t, NewContactReader(f, tt.opts...))
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
	for rec, err := range NewContactReader(&buf).All() {
		if err != nil {
			t.Fatalf("reading back what the ContactWriter wrote: %v\n%q", err, written)
		}
		got = append(got, rec.Contact)
	}
	return got
}

// cp is a contacts Problem without its Message.
func cp(row int, column, code string, sev Severity) Problem {
	return Problem{Row: row, Line: row + 1, Column: column, Code: code, Severity: sev}
}

func TestCheckContactsRules(t *testing.T) {
	const ok = "S1,email,patron,True,An,s1@example.com,,ANY\n"
	tests := []struct {
		name string
		in   string
		opts []ReaderOption
		rows int
		want []Problem
	}{
		{name: "zero bytes", in: ""},
		{name: "clean", in: chdr + ok + "S1,phone,patron,True,An,(M1) 0400 000 000,True,NONE\n", rows: 2},
		{name: "any case", in: chdr + "S1,Email,PATRON,TRUE,An,s1@example.com,,Any\n", rows: 1},
		{
			name: "missing column: the rows are counted, not checked",
			in:   "username,type,role,primary,addressee,contact,sms\n,,\n",
			rows: 1,
			want: []Problem{{Line: 1, Column: columnScenarios, Code: CodeMissingColumn, Severity: SeverityError}},
		},
		{name: "empty username", in: chdr + " ,email,patron,True,An,s1@example.com,,ANY\n", rows: 1, want: []Problem{
			cp(1, ColumnUsername, codeSurroundingSpace, SeverityWarning),
			cp(1, ColumnUsername, CodeMissingUsername, SeverityError),
		}},
		{name: "unknown type", in: chdr + "S1,fax,patron,True,An,123,,ANY\nS1,,patron,True,An,124,,ANY\n", rows: 2, want: []Problem{
			cp(1, columnType, CodeUnknownContactType, SeverityError),
			cp(2, columnType, CodeUnknownContactType, SeverityError),
		}},
		{name: "unknown role", in: chdr + "S1,email,parent,True,An,s1@example.com,,ANY\n", rows: 1, want: []Problem{
			cp(1, columnRole, CodeUnknownContactRole, SeverityError),
		}},
		{name: "booleans that cannot be read", in: chdr + "S1,email,patron,maybe,An,s1@example.com,sometimes,ANY\nS2,email,patron,,An,s2@example.com,,ANY\n", rows: 2, want: []Problem{
			cp(1, columnPrimary, codeInvalidBoolean, SeverityError),
			cp(1, columnSMS, codeInvalidBoolean, SeverityError),
			cp(2, columnPrimary, codeInvalidBoolean, SeverityError),
		}},
		{name: "booleans in other spellings", in: chdr + "S1,phone,patron,Y,An,0400,yes,NONE\nS2,phone,patron,0,An,0400,N,NONE\n", rows: 2, want: []Problem{
			cp(1, columnPrimary, CodeBooleanSpelling, SeverityWarning),
			cp(1, columnSMS, CodeBooleanSpelling, SeverityWarning),
			cp(2, columnPrimary, CodeBooleanSpelling, SeverityWarning),
			cp(2, columnSMS, CodeBooleanSpelling, SeverityWarning),
		}},
		{name: "empty contact", in: chdr + "S1,email,patron,True,An, ,,ANY\nS1,phone,patron,False,An,,,NONE\n", rows: 2, want: []Problem{
			cp(1, columnContact, codeSurroundingSpace, SeverityWarning),
			cp(1, columnContact, CodeMissingContact, SeverityError),
			cp(2, columnContact, CodeMissingContact, SeverityError),
		}},
		{
			name: "emails that are not one bare address",
			in: chdr +
				"S1,email,patron,True,An,An <s1@example.com>,,ANY\n" +
				"S2,email,patron,True,An,<s2@example.com>,,ANY\n" +
				"S3,email,patron,True,An,s3@example.com; p@example.com,,ANY\n" +
				"S4,email,patron,True,An,s4.example.com,,ANY\n" +
				"S5,email,patron,True,An,s5@example.com (An),,ANY\n" +
				"S6,email,patron,True,An,s6..x@example.com,,ANY\n" +
				"S7,email,patron,True,An,(07) 5555 1234,,ANY\n",
			rows: 7,
			want: []Problem{
				cp(1, columnContact, CodeInvalidEmail, SeverityError),
				cp(2, columnContact, CodeInvalidEmail, SeverityError),
				cp(3, columnContact, CodeInvalidEmail, SeverityError),
				cp(4, columnContact, CodeInvalidEmail, SeverityError),
				cp(5, columnContact, CodeInvalidEmail, SeverityError),
				cp(6, columnContact, CodeInvalidEmail, SeverityError),
				cp(7, columnContact, CodeInvalidEmail, SeverityError),
			},
		},
		{
			name: "emails net/mail reads as bare addresses",
			in: chdr +
				"S1,email,patron,True,An,\"\"\"an nguyen\"\"@example.com\",,ANY\n" +
				"S2,email,patron,True,An,zoë@exämple.de,,ANY\n" +
				"S3,email,patron,True,An,o'brien+library@example.com,,ANY\n" +
				"S4,email,patron,True,An,a@[192.0.2.1],,ANY\n",
			rows: 4,
		},
		{name: "phone without digits", in: chdr + "S1,phone,patron,True,An,(M1) none,,NONE\nS1,phone,patron,False,An,(H) ٠٧ ٥٥٥٥,,NONE\nS1,phone,patron,False,An,(07) 5555 1234,,NONE\nS1,phone,patron,False,An,-,,NONE\n", rows: 4, want: []Problem{
			cp(1, columnContact, codePhoneWithoutDigits, SeverityError),
			cp(2, columnContact, codePhoneWithoutDigits, SeverityError), // Arabic-Indic digits cannot be dialled as written
			cp(4, columnContact, codePhoneWithoutDigits, SeverityError),
		}},
		{name: "unknown scenarios", in: chdr + "S1,email,patron,True,An,s1@example.com,,ANY\nS1,email,guardian,False,Mr An,p@example.com,,OVERDUE;LATE;OVERDUE_ESCALATION_FOUR\n", rows: 2, want: []Problem{
			cp(2, columnScenarios, CodeUnknownScenario, SeverityError),
		}},
		{name: "ANY or NONE with others", in: chdr + "S1,email,patron,True,An,s1@example.com,,ANY;OVERDUE\nS1,phone,patron,True,An,0400,,OVERDUE;NONE\n", rows: 2, want: []Problem{
			cp(1, columnScenarios, codeScenarioCombination, SeverityWarning),
			cp(2, columnScenarios, codeScenarioCombination, SeverityWarning),
		}},
		{name: "scenario lists with empty names or spaces", in: chdr + "S1,email,patron,True,An,s1@example.com,,OVERDUE; OVERDUE_ESCALATION_ONE\nS1,phone,patron,True,An,0400,,NONE;\nS2,phone,patron,True,An,0400,, NONE\n", rows: 3, want: []Problem{
			cp(1, columnScenarios, CodeScenarioFormat, SeverityWarning),
			cp(2, columnScenarios, CodeScenarioFormat, SeverityWarning),
			cp(3, columnScenarios, codeSurroundingSpace, SeverityWarning),
		}},
		{name: "sms on an email", in: chdr + "S1,email,patron,True,An,s1@example.com,True,ANY\nS2,email,patron,True,An,s2@example.com,False,ANY\n", rows: 2, want: []Problem{
			cp(1, columnSMS, codeSMSOnEmail, SeverityWarning),
		}},
		{
			name: "more than one primary",
			in: chdr +
				"S1,email,patron,True,An,s1@example.com,,ANY\n" +
				"S1,email,patron,True,An,an@example.com,,ANY\n" + // a second primary patron email
				"S1,phone,patron,True,An,0400,True,NONE\n" + // a primary phone is another kind
				"S1,email,guardian,True,Ms Smith,ms@example.com,,OVERDUE\n" +
				"S1,email,guardian,True,Mr Smith,mr@example.com,,OVERDUE\n" + // another guardian: fine
				"S1,email,guardian,True,Mr Smith,mr2@example.com,,OVERDUE\n" + // the same guardian again
				"S2,email,patron,True,Bo,s2@example.com,,ANY\n" + // another patron: fine
				"S1,email,patron,False,An,old@example.com,,ANY\n", // not primary: fine
			rows: 8,
			want: []Problem{
				cp(2, columnPrimary, codeMultiplePrimary, SeverityWarning),
				cp(6, columnPrimary, codeMultiplePrimary, SeverityWarning),
			},
		},
		{name: "guardian without addressee", in: chdr + "S1,email,guardian,True,,p@example.com,,OVERDUE\nS1,email,patron,False,,s1@example.com,,ANY\n", rows: 2, want: []Problem{
			cp(1, columnAddressee, codeGuardianAddressee, SeverityWarning),
		}},
		{name: "duplicate row", in: chdr + ok + ok, rows: 2, want: []Problem{
			cp(2, columnPrimary, codeMultiplePrimary, SeverityWarning),
			cp(2, "", codeDuplicateRow, SeverityWarning),
		}},
		{
			name: "format characters: an error in the username only",
			in:   chdr + "S\u200b1,email,patron,True,An,s1@example.com,,ANY\nS2,phone,guardian,True,\u0632\u0647\u0631\u0647\u200c \u0627\u062d\u0645\u062f\u06cc,0400,,NONE\n",
			rows: 2,
			want: []Problem{cp(1, ColumnUsername, codeFormatCharacter, SeverityError)},
		},
		{name: "control characters and invalid UTF-8, anywhere", in: chdr + "S1,email,patron,True,\"An\nNguyen\",s1@example.com,,ANY\nS2,email,patron,True,\xff,s2@example.com,,ANY\n", rows: 2, want: []Problem{
			cp(1, columnAddressee, CodeControlCharacter, SeverityError),
			{Row: 2, Line: 4, Column: columnAddressee, Code: CodeInvalidUTF8, Severity: SeverityError},
		}},
		{name: "empty rows and field counts", in: chdr + ",,,,,,,\nS1,email\n", rows: 2, want: []Problem{
			cp(1, "", CodeEmptyRow, SeverityWarning),
			cp(2, "", CodeFieldCount, SeverityError),
		}},
		{name: "semicolons", in: strings.ReplaceAll(chdr+ok, ",", ";"), rows: 1, want: []Problem{{Line: 1, Code: CodeSeparator, Severity: SeverityError}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := CheckContacts(strings.NewReader(tt.in), tt.opts...)
			if err != nil {
				t.Fatalf("CheckContacts: %v", err)
			}
			if rep.Rows != tt.rows {
				t.Errorf("Rows = %d, want %d", rep.Rows, tt.rows)
			}
			if diff := cmp.Diff(tt.want, rep.Problems, ignoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			for _, p := range rep.Problems {
				if p.Message == "" {
					t.Errorf("problem without a message: %+v", p)
				}
			}
		})
	}
}

func TestCheckContactsMessages(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
	}{
		{"type", chdr + "S1,fax,patron,True,An,1,,ANY\n", `the type "fax" is neither email nor phone; write email or phone`},
		{"role", chdr + "S1,email,Parent,True,An,s1@example.com,,ANY\n", `the role "Parent" is neither patron nor guardian; write patron or guardian`},
		{"boolean", chdr + "S1,email,patron,maybe,An,s1@example.com,,ANY\n", `the primary value "maybe" is not a boolean; write True or False`},
		{"boolean spelling", chdr + "S1,phone,patron,True,An,0400,Y,NONE\n", `the sms value "Y" is read as true, but whether Infiniti reads this spelling is not known; post the file a ContactWriter rewrites from this one, which writes True`},
		{"email", chdr + "S1,email,patron,True,An,An <s1@example.com>,,ANY\n", `the email address "An <s1@example.com>" is not a single bare address such as name@example.com`},
		{"phone", chdr + "S1,phone,patron,True,An,none,,NONE\n", `the phone number "none" has no digit`},
		{"scenario", chdr + "S1,email,patron,True,An,s1@example.com,,ANY;LATE;EARLY\n", `"LATE", "EARLY" are not a scenario Infiniti knows; use ANY, NONE, or some of OVERDUE, OVERDUE_ESCALATION_ONE, OVERDUE_ESCALATION_TWO and OVERDUE_ESCALATION_THREE, separated by ';'`},
		{"combination", chdr + "S1,email,patron,True,An,s1@example.com,,ANY;OVERDUE\n", `ANY is combined with other scenarios in "ANY;OVERDUE"; give ANY alone, or only the other scenarios`},
		{"primary", chdr + "S1,email,guardian,True,Ms Smith,a@example.com,,OVERDUE\nS1,email,guardian,True,Ms Smith,b@example.com,,OVERDUE\n", `row 1 is already the guardian "Ms Smith"'s primary email of "S1"; mark one of them primary`},
		{"space", chdr + "S1,email,patron,True,An ,s1@example.com,,ANY\n", `the value "An " starts or ends with white space, which may become part of the value in Infiniti; trim it`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := CheckContacts(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, p := range rep.Problems {
				msgs = append(msgs, p.Message)
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tt.want) {
				t.Errorf("messages %q\ndo not contain %q", msgs, tt.want)
			}
		})
	}
}

func TestCheckContactsFixtures(t *testing.T) {
	tests := []struct {
		file string
		opts []ReaderOption
		rows int
		want []Problem
	}{
		{file: "contacts_field_script.csv", rows: 8},
		{
			file: "contacts_sms_export.csv",
			opts: []ReaderOption{smsContactMap},
			rows: 9,
			want: []Problem{
				cp(1, columnPrimary, CodeBooleanSpelling, SeverityWarning),
				cp(2, columnPrimary, CodeBooleanSpelling, SeverityWarning),
				cp(2, columnSMS, CodeBooleanSpelling, SeverityWarning),
				cp(3, columnPrimary, CodeBooleanSpelling, SeverityWarning),
				cp(3, columnSMS, CodeBooleanSpelling, SeverityWarning),
				cp(4, columnPrimary, CodeBooleanSpelling, SeverityWarning),
				cp(4, columnSMS, CodeBooleanSpelling, SeverityWarning),
				cp(5, columnPrimary, CodeBooleanSpelling, SeverityWarning),
				cp(6, columnPrimary, CodeBooleanSpelling, SeverityWarning),
				cp(6, columnSMS, CodeBooleanSpelling, SeverityWarning),
				cp(7, columnPrimary, CodeBooleanSpelling, SeverityWarning),
				cp(7, columnSMS, CodeBooleanSpelling, SeverityWarning),
				cp(8, columnPrimary, CodeBooleanSpelling, SeverityWarning),
				cp(8, columnSMS, CodeBooleanSpelling, SeverityWarning),
				cp(9, "", CodeEmptyRow, SeverityWarning),
			},
		},
		{file: "contacts_sms_export.csv", rows: 9, want: []Problem{
			{Line: 1, Column: ColumnUsername, Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: columnType, Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: columnRole, Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: columnPrimary, Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: columnAddressee, Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: columnContact, Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: columnSMS, Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: columnScenarios, Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Code: codeExtraColumn, Severity: SeverityWarning},
		}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d options", tt.file, len(tt.opts)), func(t *testing.T) {
			f, err := os.Open("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rep, err := CheckContacts(f, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rep.Problems, ignoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if rep.Rows != tt.rows {
				t.Errorf("Rows = %d, want %d", rep.Rows, tt.rows)
			}
		})
	}
}

func TestCheckContactsEach(t *testing.T) {
	in := chdr + "S1,fax,patron,True,An,1,,ANY\nS2,email,patron,Y,An,s2@example.com,,ANY\n"
	var streamed []Problem
	rep, err := CheckContactsEach(strings.NewReader(in), func(p Problem) error {
		streamed = append(streamed, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep.Problems, streamed); diff != "" {
		t.Errorf("streamed (-kept +streamed):\n%s", diff)
	}
	stop := errors.New("stop")
	_, err = CheckContactsEach(strings.NewReader(in), func(Problem) error { return stop })
	if err != stop {
		t.Errorf("err = %v, want the callback's error as it is", err)
	}
}

// netMailBare is validEmail without its fast path, written apart from it:
// net/mail reads s as an address with no name and writes it back as s
// (quoted if need be), and s holds no invisible character.
func netMailBare(s string) bool {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || (a.Address != s && a.String() != "<"+s+">") {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return r == '\u2800' || unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
	})
}

// TestPlainEmailIsNetMail: every address the fast path accepts, net/mail
// accepts as the same bare address.
func TestPlainEmailIsNetMail(t *testing.T) {
	for _, s := range []string{
		"a@b", "s0000123@students.example.edu.au", "first.last+tag@example.com", "x_y%z-w@a-b.c",
		"a.@b.c", ".a@b.c", "a..b@c.d", "a@b..c", "a@.b", "a@b.", "@b.c", "a@", "a@b@c", "a b@c.d",
		"\"q\"@b.c", "é@b.c", "a@[1.2.3.4]", "A@B.C", "a@b.c ", "",
	} {
		checkEmailFastPath(t, s)
	}
}

func checkEmailFastPath(t *testing.T, s string) {
	t.Helper()
	if plainEmail(s) {
		a, err := mail.ParseAddress(s)
		if err != nil || a.Name != "" || a.Address != s {
			t.Errorf("plainEmail(%q) is true, but net/mail gives %+v, %v", s, a, err)
		}
	}
	if got, want := validEmail(s), netMailBare(s); got != want {
		t.Errorf("validEmail(%q) = %v, net/mail says %v", s, got, want)
	}
}

var _ io.Reader = (*repeatReader)(nil)
