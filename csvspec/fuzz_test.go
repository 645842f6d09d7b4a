package csvspec

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func FuzzReader(f *testing.F) {
	f.Add([]byte(hdr+"jsmith,Year 7,Students\n"), "a,b", "\"q\"", "x\ny")
	f.Add([]byte("\xef\xbb\xbfsystem-group,username,library-group\r\nS,u,L\r\n\r\n"), "", "", "")
	f.Add([]byte(hdr+"a\"b,c\n\"unclosed"), " lead", "trail ", "\r\n")
	f.Fuzz(func(t *testing.T, data []byte, user, lib, sys string) {
		// Any input: no panic, and every record is numbered in order.
		r := NewReader(bytes.NewReader(data))
		last := 0
		for rec, err := range r.All() {
			if err == nil && (rec.Row != last+1 || rec.Line < 2) {
				t.Fatalf("record %+v after row %d", rec, last)
			}
			if rec.Row != 0 {
				last = rec.Row
			}
		}

		// ReadRows yields the header's warnings, then rows of three
		// fields in line order with the problems of their own lines, and
		// nothing after an error.
		line, ended := 0, false
		for row, err := range ReadRows(bytes.NewReader(data), Header(), nil) {
			switch {
			case ended:
				t.Fatalf("a row after the error")
			case err != nil:
				ended = true
			case row.Fields == nil && line == 0:
			case len(row.Fields) != 3 || row.Line <= line:
				t.Fatalf("row %+v after line %d", row, line)
			}
			for _, p := range row.Problems {
				if p.Line != row.Line {
					t.Fatalf("row of line %d has a problem of line %d", row.Line, p.Line)
				}
			}
			line = row.Line
		}

		// Anything the Writer writes reads back equal (CR LF inside a value
		// reads back as LF, as encoding/csv does).
		rows := []UserGroup{{user, lib, sys}, {sys, user, lib}}
		got := roundTrip(t, rows)
		crlf := strings.NewReplacer("\r\n", "\n")
		for i := range rows {
			rows[i] = UserGroup{crlf.Replace(rows[i].Username), crlf.Replace(rows[i].LibraryGroup), crlf.Replace(rows[i].SystemGroup)}
		}
		if diff := cmp.Diff(rows, got); diff != "" {
			t.Fatalf("round trip (-wrote +read):\n%s", diff)
		}
	})
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte(hdr + "jsmith,Year 7,Students\n ,year 7,\njsmith,Year 7,Students\n"))
	f.Add([]byte("Username,library_group\n\"a\nb\",c\nd\n"))
	f.Add([]byte("\xef\xbb\xbf" + hdr + "\xff,\x01,x\r\n"))
	rules := Rules{LibraryGroups: []string{"Year 7", "Year 8"}, SystemGroups: []string{"Students"}}
	f.Add([]byte("username;library-group;system-group\n,,\n\xff\xfe"))
	f.Add([]byte(hdr + ",,,\n" + hdr + "j\u200bs,\u202eYear 7,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Check(bytes.NewReader(data), rules)
		if err != nil {
			t.Fatalf("Check of in-memory data failed: %v", err)
		}
		// Below the cap, every problem counted is kept, in file order.
		if len(rep.Problems) < MaxProblemsPerCode && len(rep.Problems) != rep.NumErrors()+rep.NumWarnings() {
			t.Fatalf("%d problems kept, %d counted", len(rep.Problems), rep.NumErrors()+rep.NumWarnings())
		}
		if !slices.IsSortedFunc(rep.Problems, func(a, b Problem) int { return a.Row - b.Row }) {
			t.Fatalf("problems out of file order: %v", rep.Problems)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, p := range rep.Problems {
			if len(p.Message) > 8192 {
				t.Fatalf("a message of %d bytes: %.200s", len(p.Message), p.Message)
			}
			if p.Code == "" || p.Message == "" {
				t.Fatalf("problem without code or message: %+v", p)
			}
			if p.Severity != SeverityError && p.Severity != SeverityWarning {
				t.Fatalf("problem with severity %v: %+v", p.Severity, p)
			}
			if p.Row < 0 || p.Row > rep.Rows || p.Line < 1 || p.Line > lines {
				t.Fatalf("problem outside the file (%d rows, %d lines): %+v", rep.Rows, lines, p)
			}
		}
		if (rep.Err() != nil) != (len(rep.Errors()) > 0) {
			t.Fatalf("Err() disagrees with Errors()")
		}
	})
}

func FuzzContactReader(f *testing.F) {
	f.Add([]byte(chdr+"S1,email,patron,True,An,s1@example.com,,ANY\nS1,Phone,GUARDIAN,y,\"Mr, Mrs\",(H) 07,N, overdue ;;\n"), "S1", "Mr and Mrs Smith", "s1@example.com", uint8(0))
	f.Add([]byte("\xef\xbb\xbf\"username\",\"type\",\"role\",\"primary\",\"addressee\",\"contact\",\"sms\",\"scenarios\"\r\n\"a\",\"fax\",\"x\",\"maybe\",\"\",\"\",\"\",\"\"\r\n,,,\r\n"), "a\"b", "زهره\u200c", "An <a@b.c>", uint8(7))
	f.Add([]byte(strings.ReplaceAll(chdr, ",", ";")+"a;\"b"), "", "\r\n", "\"q r\"@example.com", uint8(255))
	types := []ContactType{ContactEmail, ContactPhone}
	roles := []ContactRole{RolePatron, RoleGuardian}
	f.Fuzz(func(t *testing.T, data []byte, user, addressee, address string, pick uint8) {
		fuzzContactRecords(t, data)
		fuzzContactCheck(t, data)

		// What the ContactWriter writes reads back equal (CR LF in a value
		// reads back as LF).
		var sc []Scenario
		for i, k := range knownScenarios {
			if pick&(4<<i) != 0 {
				sc = append(sc, k)
			}
		}
		rows := []Contact{
			{Username: user, Type: types[pick&1], Role: roles[pick>>1&1], Primary: pick&2 != 0, Addressee: addressee, Address: address, SMS: OptionalBool(pick % 3), Scenarios: sc},
			{Username: address, Type: types[^pick&1], Role: roles[^pick>>1&1], Addressee: user, Address: addressee},
		}
		got := contactRoundTrip(t, rows)
		crlf := strings.NewReplacer("\r\n", "\n")
		for i := range rows {
			rows[i].Username, rows[i].Addressee, rows[i].Address = crlf.Replace(rows[i].Username), crlf.Replace(rows[i].Addressee), crlf.Replace(rows[i].Address)
		}
		// A row whose fields are all empty reads back as a zero Contact;
		// these rows always have a type and role, so none is empty.
		if diff := cmp.Diff(rows, got); diff != "" {
			t.Fatalf("round trip (-wrote +read):\n%s", diff)
		}

		// The email fast path says what net/mail says.
		checkEmailFastPath(t, address)
		checkEmailFastPath(t, user)
	})
}

// fuzzContactRecords reads any input: no panic; records numbered in order;
// known values in their canonical form, scenario names trimmed and not
// empty.
func fuzzContactRecords(t *testing.T, data []byte) {
	last := 0
	for rec, err := range newContactReader(bytes.NewReader(data)).All() {
		if rec.Row != 0 {
			if rec.Row != last+1 || rec.Line < 2 {
				t.Fatalf("record %+v after row %d", rec, last)
			}
			last = rec.Row
		}
		if err != nil {
			continue
		}
		if k, i := parseKnown(string(rec.Type), ContactEmail, ContactPhone); i >= 0 && k != rec.Type {
			t.Fatalf("type %q read, not %q", rec.Type, k)
		}
		for i, s := range rec.Scenarios {
			if s == "" || strings.TrimSpace(string(s)) != string(s) {
				t.Fatalf("scenario %q read", s)
			}
			for _, o := range rec.Scenarios[:min(i, 100)] {
				if strings.EqualFold(string(o), string(s)) {
					t.Fatalf("scenarios %q read, %q twice in any case", rec.Scenarios, s)
				}
			}
		}
	}
}

// fuzzContactCheck checks any input: every problem counted, in file order.
func fuzzContactCheck(t *testing.T, data []byte) {
	rep, err := CheckContacts(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("CheckContacts of in-memory data failed: %v", err)
	}
	if len(rep.Problems) < MaxProblemsPerCode && len(rep.Problems) != rep.NumErrors()+rep.NumWarnings() {
		t.Fatalf("%d problems kept, %d counted", len(rep.Problems), rep.NumErrors()+rep.NumWarnings())
	}
	if !slices.IsSortedFunc(rep.Problems, func(a, b Problem) int { return a.Row - b.Row }) {
		t.Fatalf("problems out of file order: %v", rep.Problems)
	}
	for _, p := range rep.Problems {
		if p.Code == "" || p.Message == "" || p.Row < 0 || p.Row > rep.Rows {
			t.Fatalf("problem %+v in a report of %d rows", p, rep.Rows)
		}
	}
}
