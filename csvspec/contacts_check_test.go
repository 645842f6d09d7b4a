package csvspec

import (
	"fmt"
	"net/mail"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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
// maxRecordBytes, is read and checked in time linear in the names: each
// name once, the repeat in another case dropped (the contactReader) or
// named (CheckContacts).
func TestManyScenarios(t *testing.T) {
	const n = 145_000
	in := chdr + "s1,phone,patron,False,,0400,," + manyScenarios(n) + "\n"
	if len(in) < 1<<20-1<<16 || len(in) > maxRecordBytes {
		t.Fatalf("the file is %d bytes; want about 1 MiB, within maxRecordBytes", len(in))
	}

	rec, err := newContactReader(strings.NewReader(in)).Read()
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
		t.Errorf("contactReader scenarios (-want +got):\n%s", diff)
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

// an email contact is a single bare address: no comment, angle
// brackets or invisible character, even where net/mail drops them.
func TestValidEmailIsBare(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		// The review's: net/mail gives an empty Name for these.
		{"<a@b.c> (x)", false},
		{"<a@b.c>()", false},
		{"a@b.c ()", false},
		{"a@b.c\u200b", false},
		// More of the same kind.
		{"<a@b.c>", false},
		{"(x) a@b.c", false},
		{"a@b.c (x)", false},
		{"a@ b.c", false},
		{"a(x)@b.c", false},
		{"a@b.c\u2060", false},
		{"a\u034f@b.c", false},
		{"a@b\ufe0f.c", false},
		{"Ann <a@b.c>", false},
		{"a@b.c, d@e.f", false},
		// Bare addresses, with and without the fast path.
		{"a@b.c", true},
		{" a@b.c ", true}, // surrounding space is a warning of its own
		{`"an nguyen"@example.com`, true},
		{`"a(b)"@example.com`, true},
		{"zoë@exämple.de", true},
		{"o'brien+library@example.com", true},
		{"a@[192.0.2.1]", true},
	}
	for _, tt := range tests {
		if got := validEmail(tt.in); got != tt.want {
			t.Errorf("validEmail(%q) = %v, want %v", tt.in, got, tt.want)
		}
		checkEmailFastPath(t, tt.in)
	}
}

func TestCheckContactsEmailComments(t *testing.T) {
	in := chdr +
		"S1,email,patron,True,An,<s1@example.com> (An),,ANY\n" +
		"S2,email,patron,True,An,<s2@example.com>(),,ANY\n" +
		"S3,email,patron,True,An,s3@example.com (),,ANY\n" +
		"S4,email,patron,True,An,s4@example.com\u200b,,ANY\n" +
		"S5,email,patron,True,An,s5@example.com,,ANY\n"
	rep, err := CheckContacts(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		cp(1, "contact", CodeInvalidEmail, SeverityError),
		cp(2, "contact", CodeInvalidEmail, SeverityError),
		cp(3, "contact", CodeInvalidEmail, SeverityError),
		cp(4, "contact", CodeInvalidEmail, SeverityError),
	}
	if diff := cmp.Diff(want, rep.Problems, ignoreMessage); diff != "" {
		t.Fatalf("problems (-want +got):\n%s", diff)
	}
	if got, want := rep.Problems[3].Message, `the email address "s4@example.com\u200b" holds the invisible character U+200B`; !strings.HasPrefix(got, want) {
		t.Errorf("message %q, want it to start with %q", got, want)
	}
}

func TestCheckContactsInvisibleCharacters(t *testing.T) {
	// A line separator is an error anywhere; invisible characters and
	// unusual spaces only in the username, since a Persian addressee
	// needs U+200C and an addressee may hold a no-break space.
	in := chdr +
		"S1,email,guardian,True,\"Mr\u2028Smith\",a@example.com,,OVERDUE\n" +
		"S\u31642,email,patron,True,An,b@example.com,,ANY\n" +
		"S3,email,guardian,True,\u0632\u0647\u0631\u0647\u200c \u0627\u062d\u0645\u062f\u06cc,c@example.com,,OVERDUE\n" +
		"S4,email,guardian,True,Mr\u00a0Smith,d@example.com,,OVERDUE\n" +
		"S\u00a05,email,patron,True,An,e@example.com,,ANY\n"
	rep, err := CheckContacts(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		cp(1, "addressee", CodeControlCharacter, SeverityError),
		cp(2, ColumnUsername, "format-character", SeverityError),
		cp(5, ColumnUsername, "unusual-space", SeverityWarning),
	}
	if diff := cmp.Diff(want, rep.Problems, ignoreMessage); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// From the syncjob engineer and the nits: contact rows that mean the same
// are duplicates; one primary per guardian whatever the addressee's case
// and spacing; repeated and empty scenario names; phone digits.
func TestCheckContactsSameMeaning(t *testing.T) {
	tests := []struct {
		name string
		in   string
		rows int
		want []Problem
	}{
		{name: "Y and True, Email and email, any and ANY", in: chdr +
			"s1,email,patron,True,,a@b.c,,ANY\n" +
			"s1,Email,Patron,Y,,a@b.c,,any\n", rows: 2, want: []Problem{
			cp(2, "primary", CodeBooleanSpelling, SeverityWarning),
			cp(2, "primary", "multiple-primary", SeverityWarning),
			cp(2, "", "duplicate-row", SeverityWarning),
		}},
		{name: "scenarios in another order, sms N and false", in: chdr +
			"s1,email,guardian,False,Mum,m@b.c,false,OVERDUE;OVERDUE_ESCALATION_ONE\n" +
			"s1,email,guardian,0,Mum,m@b.c,N,overdue_escalation_one;OVERDUE\n", rows: 2, want: []Problem{
			cp(2, "primary", CodeBooleanSpelling, SeverityWarning),
			cp(2, "sms", CodeBooleanSpelling, SeverityWarning),
			cp(2, "", "duplicate-row", SeverityWarning),
		}},
		{name: "another contact, or another addressee, is not a duplicate", in: chdr +
			"s1,email,guardian,False,Mum,m@b.c,,OVERDUE\n" +
			"s1,email,guardian,False,Mum,n@b.c,,OVERDUE\n" +
			"s1,email,guardian,False,Dad,m@b.c,,OVERDUE\n" +
			"s1,email,guardian,False,Mum,m@b.c,False,OVERDUE\n", rows: 4},
		{name: "one primary per guardian, whatever the case or spacing", in: chdr +
			"s1,email,guardian,True,Mr Smith,a@b.c,,OVERDUE\n" +
			"s1,email,guardian,True,mr smith,c@d.e,,OVERDUE\n" +
			"s1,email,guardian,True, Mr  Smith,f@g.h,,OVERDUE\n" +
			"s1,email,guardian,True,Mrs Smith,i@j.k,,OVERDUE\n", rows: 4, want: []Problem{
			cp(2, "primary", "multiple-primary", SeverityWarning),
			cp(3, "addressee", "surrounding-space", SeverityWarning),
			cp(3, "primary", "multiple-primary", SeverityWarning),
		}},
		{name: "an empty and a repeated scenario", in: chdr +
			"s1,phone,patron,False,,0400,,OVERDUE;;overdue\n" +
			"s1,phone,patron,False,,0401,,ANY;ANY\n", rows: 2, want: []Problem{
			cp(1, "scenarios", CodeScenarioFormat, SeverityWarning),
			cp(2, "scenarios", CodeScenarioFormat, SeverityWarning),
		}},
		{name: "phone digits are ASCII digits outside a leading label", in: chdr +
			"s1,phone,patron,False,,٠٤٠٠ ٠٠٠ ٠٠٠,,NONE\n" +
			"s1,phone,patron,False,,(1) x,,NONE\n" +
			"s1,phone,patron,False,,(M1) 0400 000 000,,NONE\n" +
			"s1,phone,patron,False,,(07) 5555 1234,,NONE\n" +
			"s1,phone,patron,False,,0400 000 000 (after 5pm),,NONE\n", rows: 5, want: []Problem{
			cp(1, "contact", "phone-without-digits", SeverityError),
			cp(2, "contact", "phone-without-digits", SeverityError),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := CheckContacts(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rows != tt.rows {
				t.Errorf("Rows = %d, want %d", rep.Rows, tt.rows)
			}
			if diff := cmp.Diff(tt.want, rep.Problems, ignoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckContactsSameMeaningFixture(t *testing.T) {
	f, err := os.Open("testdata/contacts_same_meaning.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := CheckContacts(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		cp(2, "primary", CodeBooleanSpelling, SeverityWarning),
		cp(2, "primary", "multiple-primary", SeverityWarning),
		cp(2, "", "duplicate-row", SeverityWarning),
		cp(4, "primary", "multiple-primary", SeverityWarning),
		cp(5, "primary", "multiple-primary", SeverityWarning),
		cp(5, "", "duplicate-row", SeverityWarning),
		cp(6, ColumnUsername, CodeMissingUsername, SeverityError),
		cp(6, "type", CodeUnknownContactType, SeverityError),
		cp(6, "role", CodeUnknownContactRole, SeverityError),
		cp(6, "contact", CodeMissingContact, SeverityError),
		cp(7, "", CodeEmptyRow, SeverityWarning),
	}
	if diff := cmp.Diff(want, rep.Problems, ignoreMessage); diff != "" {
		t.Fatalf("problems (-want +got):\n%s", diff)
	}
	if got, want := rep.Problems[2].Message, "the row repeats row 1"; !strings.HasPrefix(got, want) {
		t.Errorf("message %q, want it to start with %q", got, want)
	}
}

// The scenario-format messages: a repeat is named; the message of spaces
// or an empty name is the one the example programs translate.
func TestScenarioFormatMessages(t *testing.T) {
	tests := []struct{ scenarios, want string }{
		{"OVERDUE ;OVERDUE_ESCALATION_ONE", `have an empty name or spaces around a ';'`},
		{"ANY;any", `name "ANY" more than once`},
		{"OVERDUE;;overdue", `name "OVERDUE" more than once, and have an empty name`},
	}
	for _, tt := range tests {
		rep, err := CheckContacts(strings.NewReader(chdr + "s1,phone,patron,False,,0400,," + tt.scenarios + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Problems) != 1 || rep.Problems[0].Code != CodeScenarioFormat || !strings.Contains(rep.Problems[0].Message, tt.want) {
			t.Errorf("%q: problems %v, want one %s saying %q", tt.scenarios, rep.Problems, CodeScenarioFormat, tt.want)
		}
	}
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
			want: []Problem{{Line: 1, Column: "scenarios", Code: CodeMissingColumn, Severity: SeverityError}},
		},
		{name: "empty username", in: chdr + " ,email,patron,True,An,s1@example.com,,ANY\n", rows: 1, want: []Problem{
			cp(1, ColumnUsername, "surrounding-space", SeverityWarning),
			cp(1, ColumnUsername, CodeMissingUsername, SeverityError),
		}},
		{name: "unknown type", in: chdr + "S1,fax,patron,True,An,123,,ANY\nS1,,patron,True,An,124,,ANY\n", rows: 2, want: []Problem{
			cp(1, "type", CodeUnknownContactType, SeverityError),
			cp(2, "type", CodeUnknownContactType, SeverityError),
		}},
		{name: "unknown role", in: chdr + "S1,email,parent,True,An,s1@example.com,,ANY\n", rows: 1, want: []Problem{
			cp(1, "role", CodeUnknownContactRole, SeverityError),
		}},
		{name: "booleans that cannot be read", in: chdr + "S1,email,patron,maybe,An,s1@example.com,sometimes,ANY\nS2,email,patron,,An,s2@example.com,,ANY\n", rows: 2, want: []Problem{
			cp(1, "primary", "invalid-boolean", SeverityError),
			cp(1, "sms", "invalid-boolean", SeverityError),
			cp(2, "primary", "invalid-boolean", SeverityError),
		}},
		{name: "booleans in other spellings", in: chdr + "S1,phone,patron,Y,An,0400,yes,NONE\nS2,phone,patron,0,An,0400,N,NONE\n", rows: 2, want: []Problem{
			cp(1, "primary", CodeBooleanSpelling, SeverityWarning),
			cp(1, "sms", CodeBooleanSpelling, SeverityWarning),
			cp(2, "primary", CodeBooleanSpelling, SeverityWarning),
			cp(2, "sms", CodeBooleanSpelling, SeverityWarning),
		}},
		{name: "empty contact", in: chdr + "S1,email,patron,True,An, ,,ANY\nS1,phone,patron,False,An,,,NONE\n", rows: 2, want: []Problem{
			cp(1, "contact", "surrounding-space", SeverityWarning),
			cp(1, "contact", CodeMissingContact, SeverityError),
			cp(2, "contact", CodeMissingContact, SeverityError),
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
				cp(1, "contact", CodeInvalidEmail, SeverityError),
				cp(2, "contact", CodeInvalidEmail, SeverityError),
				cp(3, "contact", CodeInvalidEmail, SeverityError),
				cp(4, "contact", CodeInvalidEmail, SeverityError),
				cp(5, "contact", CodeInvalidEmail, SeverityError),
				cp(6, "contact", CodeInvalidEmail, SeverityError),
				cp(7, "contact", CodeInvalidEmail, SeverityError),
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
			cp(1, "contact", "phone-without-digits", SeverityError),
			cp(2, "contact", "phone-without-digits", SeverityError), // Arabic-Indic digits cannot be dialled as written
			cp(4, "contact", "phone-without-digits", SeverityError),
		}},
		{name: "unknown scenarios", in: chdr + "S1,email,patron,True,An,s1@example.com,,ANY\nS1,email,guardian,False,Mr An,p@example.com,,OVERDUE;LATE;OVERDUE_ESCALATION_FOUR\n", rows: 2, want: []Problem{
			cp(2, "scenarios", CodeUnknownScenario, SeverityError),
		}},
		{name: "ANY or NONE with others", in: chdr + "S1,email,patron,True,An,s1@example.com,,ANY;OVERDUE\nS1,phone,patron,True,An,0400,,OVERDUE;NONE\n", rows: 2, want: []Problem{
			cp(1, "scenarios", "scenario-combination", SeverityWarning),
			cp(2, "scenarios", "scenario-combination", SeverityWarning),
		}},
		{name: "scenario lists with empty names or spaces", in: chdr + "S1,email,patron,True,An,s1@example.com,,OVERDUE; OVERDUE_ESCALATION_ONE\nS1,phone,patron,True,An,0400,,NONE;\nS2,phone,patron,True,An,0400,, NONE\n", rows: 3, want: []Problem{
			cp(1, "scenarios", CodeScenarioFormat, SeverityWarning),
			cp(2, "scenarios", CodeScenarioFormat, SeverityWarning),
			cp(3, "scenarios", "surrounding-space", SeverityWarning),
		}},
		{name: "sms on an email", in: chdr + "S1,email,patron,True,An,s1@example.com,True,ANY\nS2,email,patron,True,An,s2@example.com,False,ANY\n", rows: 2, want: []Problem{
			cp(1, "sms", "sms-on-email", SeverityWarning),
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
				cp(2, "primary", "multiple-primary", SeverityWarning),
				cp(6, "primary", "multiple-primary", SeverityWarning),
			},
		},
		{name: "guardian without addressee", in: chdr + "S1,email,guardian,True,,p@example.com,,OVERDUE\nS1,email,patron,False,,s1@example.com,,ANY\n", rows: 2, want: []Problem{
			cp(1, "addressee", "guardian-without-addressee", SeverityWarning),
		}},
		{name: "duplicate row", in: chdr + ok + ok, rows: 2, want: []Problem{
			cp(2, "primary", "multiple-primary", SeverityWarning),
			cp(2, "", "duplicate-row", SeverityWarning),
		}},
		{
			name: "format characters: an error in the username only",
			in:   chdr + "S\u200b1,email,patron,True,An,s1@example.com,,ANY\nS2,phone,guardian,True,\u0632\u0647\u0631\u0647\u200c \u0627\u062d\u0645\u062f\u06cc,0400,,NONE\n",
			rows: 2,
			want: []Problem{cp(1, ColumnUsername, "format-character", SeverityError)},
		},
		{name: "control characters and invalid UTF-8, anywhere", in: chdr + "S1,email,patron,True,\"An\nNguyen\",s1@example.com,,ANY\nS2,email,patron,True,\xff,s2@example.com,,ANY\n", rows: 2, want: []Problem{
			cp(1, "addressee", CodeControlCharacter, SeverityError),
			{Row: 2, Line: 4, Column: "addressee", Code: CodeInvalidUTF8, Severity: SeverityError},
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
		{"type", chdr + "S1,fax,patron,True,An,1,,ANY\n", `the type "fax" is neither email nor phone`},
		{"role", chdr + "S1,email,Parent,True,An,s1@example.com,,ANY\n", `the role "Parent" is neither patron nor guardian`},
		{"boolean", chdr + "S1,email,patron,maybe,An,s1@example.com,,ANY\n", `"maybe" is not a boolean`},
		{"boolean spelling", chdr + "S1,phone,patron,True,An,0400,Y,NONE\n", `the sms value "Y" is read as true`},
		{"email", chdr + "S1,email,patron,True,An,An <s1@example.com>,,ANY\n", `"An <s1@example.com>" is not a single bare address`},
		{"phone", chdr + "S1,phone,patron,True,An,none,,NONE\n", `the phone number "none" has no digit`},
		{"scenario", chdr + "S1,email,patron,True,An,s1@example.com,,ANY;LATE;EARLY\n", `"LATE", "EARLY" are not a scenario Infiniti knows`},
		{"combination", chdr + "S1,email,patron,True,An,s1@example.com,,ANY;OVERDUE\n", `ANY is combined with other scenarios`},
		{"primary", chdr + "S1,email,guardian,True,Ms Smith,a@example.com,,OVERDUE\nS1,email,guardian,True,Ms Smith,b@example.com,,OVERDUE\n", `row 1 is already this guardian's primary contact of this type`},
		{"space", chdr + "S1,email,patron,True,An ,s1@example.com,,ANY\n", `the value "An " starts or ends with white space`},
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
				cp(1, "primary", CodeBooleanSpelling, SeverityWarning),
				cp(2, "primary", CodeBooleanSpelling, SeverityWarning),
				cp(2, "sms", CodeBooleanSpelling, SeverityWarning),
				cp(3, "primary", CodeBooleanSpelling, SeverityWarning),
				cp(3, "sms", CodeBooleanSpelling, SeverityWarning),
				cp(4, "primary", CodeBooleanSpelling, SeverityWarning),
				cp(4, "sms", CodeBooleanSpelling, SeverityWarning),
				cp(5, "primary", CodeBooleanSpelling, SeverityWarning),
				cp(6, "primary", CodeBooleanSpelling, SeverityWarning),
				cp(6, "sms", CodeBooleanSpelling, SeverityWarning),
				cp(7, "primary", CodeBooleanSpelling, SeverityWarning),
				cp(7, "sms", CodeBooleanSpelling, SeverityWarning),
				cp(8, "primary", CodeBooleanSpelling, SeverityWarning),
				cp(8, "sms", CodeBooleanSpelling, SeverityWarning),
				cp(9, "", CodeEmptyRow, SeverityWarning),
			},
		},
		{file: "contacts_sms_export.csv", rows: 9, want: []Problem{
			{Line: 1, Column: ColumnUsername, Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: "type", Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: "role", Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: "primary", Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: "addressee", Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: "contact", Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: "sms", Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Column: "scenarios", Code: CodeMissingColumn, Severity: SeverityError},
			{Line: 1, Code: CodeExtraColumn, Severity: SeverityWarning},
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
