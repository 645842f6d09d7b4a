package csvspec_test

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/autosync-go/autosync/csvspec"
)

// An SMS export with its own header names and column order, read with a
// header map.
func ExampleNewReader() {
	export := "\ufeffStudent Code,Surname,House,Year Level\r\nS1001,Nguyen,Blue House,Year 7\r\nS1002,Smith,,Year 8\r\n"
	r := csvspec.NewReader(strings.NewReader(export), csvspec.WithHeaderMap(map[string]string{
		"username":      "Student Code",
		"library-group": "House",
		"system-group":  "Year Level",
	}))
	for rec, err := range r.All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("row %d (line %d): %s in %q and %q\n", rec.Row, rec.Line, rec.Username, rec.LibraryGroup, rec.SystemGroup)
	}
	// Output:
	// row 1 (line 2): S1001 in "Blue House" and "Year 7"
	// row 2 (line 3): S1002 in "" and "Year 8"
}

// The pre-flight a technician runs before posting a file.
func ExampleCheck() {
	file := "username,library-group,system-group\n" +
		"jsmith,Year 7,Students\n" +
		",Year 7,Students\n" +
		"mjones,year 7,Students\n" +
		"akhan,Year 7 ,Staff\n"
	rules := csvspec.Rules{
		LibraryGroups: []string{"Year 7", "Year 8"},
		SystemGroups:  []string{"Students", "Staff"},
	}
	rep, err := csvspec.Check(strings.NewReader(file), rules)
	if err != nil {
		log.Fatal(err) // reading the file failed
	}
	fmt.Print(rep)
	if rep.Err() != nil {
		fmt.Println("do not post this file")
	}
	// Output:
	// 4 rows, 3 errors, 1 warning
	// line 3 (row 2), username: error: the username is empty [missing-username]
	// line 4 (row 3), library-group: error: library group "year 7" is not defined in Infiniti; did you mean "Year 7"? [unknown-library-group]
	// line 5 (row 4), library-group: warning: the value "Year 7 " starts or ends with white space [surrounding-space]
	// line 5 (row 4), library-group: error: library group "Year 7 " is not defined in Infiniti; did you mean "Year 7"? [unknown-library-group]
	// do not post this file
}

func ExampleWriter() {
	w := csvspec.NewWriter(os.Stdout)
	for _, g := range []csvspec.UserGroup{
		{Username: "jsmith", LibraryGroup: "Year 7", SystemGroup: "Students"},
		{Username: "obrien", LibraryGroup: `Years 7, 8 "Juniors"`, SystemGroup: "Students"},
	} {
		if err := w.Write(g); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// username,library-group,system-group
	// jsmith,Year 7,Students
	// obrien,"Years 7, 8 ""Juniors""",Students
}

// A semicolon-separated export, as Excel saves "CSV" in many regional
// settings, read with WithComma and rewritten in the canonical form that
// Infiniti reads. Rows whose fields are all empty (Excel's leftovers) are
// dropped.
func ExampleWithComma() {
	export := "Student Code;Surname;House;Year Level\r\n" +
		"S1001;Nguyen;Blue House;Year 7\r\n" +
		"S1002;Smith;\"Red; Gold\";Year 8\r\n" +
		";;;\r\n"
	r := csvspec.NewReader(strings.NewReader(export),
		csvspec.WithComma(';'),
		csvspec.WithHeaderMap(map[string]string{"username": "Student Code", "library-group": "House", "system-group": "Year Level"}))
	w := csvspec.NewWriter(os.Stdout)
	for rec, err := range r.All() {
		if err != nil {
			log.Fatal(err)
		}
		if rec.UserGroup == (csvspec.UserGroup{}) {
			continue // an empty row
		}
		if err := w.Write(rec.UserGroup); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// username,library-group,system-group
	// S1001,Blue House,Year 7
	// S1002,Red; Gold,Year 8
}

// Without WithComma, the same file is one clear error, not a problem per row.
func ExampleCheck_semicolons() {
	export := "username;library-group;system-group\r\n" +
		"S1001;Blue House;Year 7\r\n" +
		"S1002;Red House;Year 8\r\n"
	rep, err := csvspec.Check(strings.NewReader(export), csvspec.Rules{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(rep)
	// Output:
	// 2 rows, 1 error, 0 warnings
	// line 1 (header): error: the header is separated by semicolons (";"), not commas (",") [wrong-separator]
}

// The pre-flight of a contacts file.
func ExampleCheckContacts() {
	file := "username,type,role,primary,addressee,contact,sms,scenarios\n" +
		"S1001,email,patron,True,An,s1001@students.example.edu.au,,ANY\n" +
		"S1001,email,guardian,True,,An Nguyen <nguyen@example.com>,,OVERDUE\n" +
		"S1002,phone,patron,Y,Mary,(M1) 0400 000 002,Y,NONE;OVERDUE\n"
	rep, err := csvspec.CheckContacts(strings.NewReader(file))
	if err != nil {
		log.Fatal(err) // reading the file failed
	}
	fmt.Print(rep)
	// Output:
	// 3 rows, 1 error, 4 warnings
	// line 3 (row 2), contact: error: the email address "An Nguyen <nguyen@example.com>" is not a single bare address such as name@example.com [invalid-email]
	// line 3 (row 2), addressee: warning: the guardian's contact has no addressee [guardian-without-addressee]
	// line 4 (row 3), primary: warning: the primary value "Y" is read as true, but whether Infiniti reads this spelling is not known [boolean-spelling]
	// line 4 (row 3), sms: warning: the sms value "Y" is read as true, but whether Infiniti reads this spelling is not known [boolean-spelling]
	// line 4 (row 3), scenarios: warning: NONE is combined with other scenarios in "NONE;OVERDUE" [scenario-combination]
}

func ExampleContactWriter() {
	w := csvspec.NewContactWriter(os.Stdout)
	for _, c := range []csvspec.Contact{
		{Username: "S1001", Type: csvspec.ContactEmail, Role: csvspec.RolePatron, Primary: true, Addressee: "An",
			Address: "s1001@students.example.edu.au", Scenarios: []csvspec.Scenario{csvspec.ScenarioAny}},
		{Username: "S1001", Type: csvspec.ContactPhone, Role: csvspec.RoleGuardian, Addressee: "Mr and Mrs Nguyen",
			Address: "(M1) 0400 000 001", SMS: csvspec.BoolTrue, Scenarios: []csvspec.Scenario{csvspec.ScenarioNone}},
	} {
		if err := w.Write(c); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// username,type,role,primary,addressee,contact,sms,scenarios
	// S1001,email,patron,True,An,s1001@students.example.edu.au,,ANY
	// S1001,phone,guardian,False,Mr and Mrs Nguyen,(M1) 0400 000 001,True,NONE
}

// A sync job's one pass over an export: read each row, carry a name along,
// run the row checks, and hold back the rows with errors.
func ExampleReadRows() {
	export := "Student Code,Name,House,Year Level\n" +
		"S1001,Ann,Blue,Year 7\n" +
		"S1002,Bo,Blue,Year 07\n" +
		",,,\n"
	rules := csvspec.Rules{SystemGroups: []string{"Year 7", "Year 8"}}
	opts := csvspec.WithHeaderMap(map[string]string{"username": "Student Code", "library-group": "House", "system-group": "Year Level"})
	for row, err := range csvspec.ReadRows(strings.NewReader(export), csvspec.Header(), []string{"Name"}, opts) {
		if err != nil {
			log.Fatal(err) // a file problem: nothing of the file may be sent
		}
		rules.CheckRow(&row)
		for _, p := range row.Problems {
			fmt.Printf("line %d: %s %s\n", p.Line, p.Severity, p.Code)
		}
		fmt.Printf("line %d: %q carrying %q\n", row.Line, row.Fields, row.Carry)
	}
	// Output:
	// line 2: ["S1001" "Blue" "Year 7"] carrying ["Ann"]
	// line 3: error unknown-system-group
	// line 3: ["S1002" "Blue" "Year 07"] carrying ["Bo"]
	// line 4: warning empty-row
	// line 4: ["" "" ""] carrying [""]
}
