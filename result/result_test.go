package result

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

const emailFailure = "Field (emailAddress) is not a well-formed email address. User failed to import: Field (emailAddress) is not a well-formed email address. "

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseVendorExamples(t *testing.T) {
	tests := []struct {
		file       string
		want       *Result
		counts     Counts
		countsOK   bool
		failures   []RowOutcome
		wantErr    bool
		unauthoris bool
	}{
		{
			file:     "vendor_success.json",
			want:     &Result{Success: true, Summary: "100 users processed. 50 users created. 50 users updated. 0 users failed."},
			counts:   Counts{Processed: 100, Created: 50, Updated: 50, Failed: 0},
			countsOK: true,
		},
		{
			file:       "vendor_unauthorised.json",
			want:       &Result{Success: false, Summary: "Unauthorised. Check credentials."},
			wantErr:    true,
			unauthoris: true,
		},
		{
			file: "vendor_partial.json",
			want: &Result{Success: false, Summary: "3 users processed. 1 user created. 1 user updated. 1 user failed.", Details: []RowOutcome{
				{Row: 1, Status: StatusUpdated, Message: "User Updated"},
				{Row: 2, Status: StatusFailed, Message: emailFailure},
				{Row: 3, Status: StatusCreated, Message: "User Created"},
			}},
			counts:   Counts{Processed: 3, Created: 1, Updated: 1, Failed: 1},
			countsOK: true,
			failures: []RowOutcome{{Row: 2, Status: StatusFailed, Message: emailFailure}},
			wantErr:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Parse(strings.NewReader(string(readFixture(t, tt.file))))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			c, ok := got.Counts()
			if diff := cmp.Diff(tt.counts, c); diff != "" || ok != tt.countsOK {
				t.Errorf("Counts() ok=%v want %v, (-want +got):\n%s", ok, tt.countsOK, diff)
			}
			if diff := cmp.Diff(tt.failures, got.Failures()); diff != "" {
				t.Errorf("Failures (-want +got):\n%s", diff)
			}
			if err := got.Err(); (err != nil) != tt.wantErr {
				t.Errorf("Err() = %v, want error %v", err, tt.wantErr)
			}
			if got.Unauthorized() != tt.unauthoris {
				t.Errorf("Unauthorized() = %v", got.Unauthorized())
			}
		})
	}
}

func TestField(t *testing.T) {
	tests := []struct{ msg, want string }{
		{emailFailure, "emailAddress"},
		{"User Created", ""},
		{"Field () is empty", ""},
		{"Field (unclosed", ""},
		{"User failed to import: Field (library-group) Group (Year 9) does not exist.", "library-group"},
	}
	for _, tt := range tests {
		if got := (RowOutcome{Message: tt.msg}).Field(); got != tt.want {
			t.Errorf("Field() of %q = %q, want %q", tt.msg, got, tt.want)
		}
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		text string
		want Status
	}{
		{"User Created", StatusCreated},
		{" user created ", StatusCreated},
		{"User Updated", StatusUpdated},
		{"USER UPDATED", StatusUpdated},
		{"\tuser updated\r\n", StatusUpdated},
		{emailFailure, StatusFailed},
		{"USER FAILED TO IMPORT: no reason given", StatusFailed},
		// Fail closed: only the exact success texts are successes, and only
		// the vendor's failure wording is a recognised failure.
		{"Import FAILED", StatusUnknown},
		{"User (bob) does not exist.", StatusUnknown},
		{"User Updated (previous import failed)", StatusUnknown},
		{"User Updated.", StatusUnknown},
		{"User  Created", StatusUnknown},
		{"User Created\x00", StatusUnknown},
		{"Contact Created", StatusUnknown},
		{"User Skipped", StatusUnknown},
		{"", StatusUnknown},
	}
	for _, tt := range tests {
		got := statusOf(tt.text)
		if got != tt.want {
			t.Errorf("statusOf(%q) = %v, want %v", tt.text, got, tt.want)
		}
		if want := tt.want == StatusCreated || tt.want == StatusUpdated; got.Success() != want {
			t.Errorf("statusOf(%q).Success() = %v, want %v", tt.text, got.Success(), want)
		}
	}
	var zero Status
	if zero != StatusUnknown {
		t.Error("zero Status is not StatusUnknown")
	}
	names := map[Status]string{StatusUnknown: "unknown", StatusCreated: "created", StatusUpdated: "updated", StatusFailed: "failed", Status(42): "unknown"}
	for s, want := range names {
		b, _ := s.MarshalText()
		if s.String() != want || string(b) != want {
			t.Errorf("Status(%d) = %q / %q, want %q", int(s), s.String(), b, want)
		}
	}
}

func TestCounts(t *testing.T) {
	tests := []struct {
		summary string
		want    Counts
		ok      bool
	}{
		{"100 users processed. 50 users created. 50 users updated. 0 users failed.", Counts{100, 50, 50, 0}, true},
		{"1 user processed. 1 user created. 0 users updated. 0 users failed.", Counts{1, 1, 0, 0}, true},
		{"0 users failed. 2 users updated. 0 users created. 2 users processed.", Counts{2, 0, 2, 0}, true},
		{"5 USERS PROCESSED. 5 Users Created. 0 users updated. 0 users failed", Counts{5, 5, 0, 0}, true},
		{"Import complete. 2 users processed. 1 user created. 1 user updated. 0 users failed. Took 3s.", Counts{2, 1, 1, 0}, true},
		{"1,250 users processed. 1,000 users created. 250 users updated. 0 users failed.", Counts{1250, 1000, 250, 0}, true},
		{"Unauthorised. Check credentials.", Counts{}, false},
		{"", Counts{}, false},
		{"100 users processed. 50 users created. 50 users updated.", Counts{}, false},
		{"1 user processed. 1 user created. 2 users created. 0 users updated. 0 users failed.", Counts{}, false},
		{"-1 users processed. 1 user created. 0 users updated. 0 users failed.", Counts{}, false},
		{"1,25 users processed. 1 user created. 0 users updated. 0 users failed.", Counts{}, false},
		{"99999999999999999999 users processed. 1 user created. 0 users updated. 0 users failed.", Counts{}, false},
	}
	for _, tt := range tests {
		got, ok := (&Result{Summary: tt.summary}).Counts()
		if diff := cmp.Diff(tt.want, got); diff != "" || ok != tt.ok {
			t.Errorf("Counts(%q) ok=%v, want %v; (-want +got):\n%s", tt.summary, ok, tt.ok, diff)
		}
	}
}

func TestErr(t *testing.T) {
	failed := RowOutcome{Row: 2, Status: StatusFailed, Message: emailFailure}
	tests := []struct {
		name string
		res  Result
		want string // a fragment of Error(); "" for no error
	}{
		{"success", Result{Success: true, Summary: "1 user processed. 1 user created. 0 users updated. 0 users failed."}, ""},
		{"success false", Result{Success: false, Summary: "Something went wrong."}, `: "Something went wrong."`},
		{"success false, no summary", Result{}, "infiniti import failed"},
		{"counts say failed", Result{Success: true, Summary: "1 user processed. 0 users created. 0 users updated. 1 user failed."}, "1 user failed."},
		{"row failed", Result{Success: true, Summary: "done", Details: []RowOutcome{failed}}, `; row 2: "Field (emailAddress) is not a well-formed email address. User failed to import: Field (emailAddress) is not a well-formed email address."`},
		{"unknown rows alone", Result{Success: true, Summary: "done", Details: []RowOutcome{{Row: 1, Status: StatusUnknown, Message: "User Skipped"}}}, `row 1: "User Skipped"`},
		{"many rows", Result{Success: false, Summary: "5 users failed.", Details: []RowOutcome{
			{1, StatusFailed, "a failed"}, {2, StatusFailed, "b\nfailed"}, {3, StatusCreated, "User Created"}, {4, StatusFailed, "c failed"}, {5, StatusFailed, "d failed"}, {6, StatusFailed, "e failed"},
		}}, `row 4: "c failed"; 2 more failed rows`},
		{"failed clause with processed only", Result{Success: true, Summary: "3 users processed. 1 user failed."}, "1 user failed"},
		{"failed clause in capitals, no final stop", Result{Success: true, Summary: "Done. 2 USERS FAILED"}, "2 USERS FAILED"},
		{"failed clause with separators", Result{Success: true, Summary: "1,000 users failed."}, "1,000 users failed"},
		{"failed count too long for Counts", Result{Success: true, Summary: "99999999999999999999 users failed."}, "users failed"},
		{"failed clause said twice", Result{Success: true, Summary: "2 users processed. 0 users created. 1 user updated. 0 users failed. 1 user failed."}, "1 user failed"},
		{"failed to import", Result{Success: true, Summary: "2 users processed. 1 user failed to import."}, "failed to import"},
		{"count in words", Result{Success: true, Summary: "One user failed."}, "One user failed"},
		{"zero failed, other clauses missing", Result{Success: true, Summary: "3 users processed. 0 users failed."}, ""},
		{"zero failed with separators", Result{Success: true, Summary: "0,000 users failed."}, ""},
		{"zero, other wording", Result{Success: true, Summary: "0 users failed to import!"}, ""},
		{"not a user clause", Result{Success: true, Summary: "3 users processed. The superuser failed over."}, ""},
		{"long summary clipped", Result{Success: false, Summary: strings.Repeat("x", 400)}, strings.Repeat("x", 300) + `…"`},
		{"details present, every row a success", Result{Success: true, Summary: "ok", Details: []RowOutcome{{1, StatusCreated, "User Created"}}}, `: "ok"`},
		{"empty details object", Result{Success: true, Summary: "ok", Details: []RowOutcome{}}, `: "ok"`},
		{"summary with forged log line", Result{Success: false, Summary: "Bad.\nlevel=INFO msg=ok\r\x1b[2K\u0085\u2028\u202eevil"}, `Bad.\nlevel=INFO`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.res
			err := res.Err()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Err() = %v, want nil", err)
				}
				return
			}
			var ie *ImportError
			if !errors.As(err, &ie) || ie.Result != &res {
				t.Fatalf("Err() = %v, want *ImportError for this result", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Error() = %q\nwant it to contain %q", err, tt.want)
			}
			for _, r := range err.Error() {
				if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x2028 || r == 0x2029 || r == 0x202e || r == 0x2066 {
					t.Errorf("Error() holds %U: %q", r, err.Error())
				}
			}
		})
	}
}

// TestFailures checks that every row that is not exactly a success is
// reported, in row order, whatever its status.
func TestFailures(t *testing.T) {
	res, err := Parse(strings.NewReader(`{"success":true,"summary":"5 users processed.","details":{
		"1":"User Created","2":"User (bob) does not exist.","3":" user updated ","4":"User Updated (previous import failed)","5":"` + strings.TrimSpace(emailFailure) + `","6":""}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []RowOutcome{
		{Row: 2, Status: StatusUnknown, Message: "User (bob) does not exist."},
		{Row: 4, Status: StatusUnknown, Message: "User Updated (previous import failed)"},
		{Row: 5, Status: StatusFailed, Message: strings.TrimSpace(emailFailure)},
		{Row: 6, Status: StatusUnknown, Message: ""},
	}
	if diff := cmp.Diff(want, res.Failures()); diff != "" {
		t.Errorf("Failures (-want +got):\n%s", diff)
	}
	if res.Err() == nil {
		t.Error("Err() = nil")
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
	}{
		{"empty", "", "the body is empty"},
		{"blank", " \n", "the body is empty"},
		{"html login page", "", "the body is not JSON (at byte 1)"},
		{"truncated", `{"success": true, "summary": "1 user`, "not JSON"},
		{"array", `[{"success":true}]`, "the result is a JSON array, not an object"},
		{"string", `"ok"`, "a JSON string, not an object"},
		{"number", `200`, "a JSON number, not an object"},
		{"boolean", `true`, "a JSON bool, not an object"},
		{"null", `null`, `"success" is missing or null`},
		{"missing success", `{"summary":"x"}`, `"success" is missing or null`},
		{"null success", `{"success":null,"summary":"x"}`, `"success" is missing or null`},
		{"string success", `{"success":"true","summary":"x"}`, `"success" is a JSON string, not true or false`},
		{"number summary", `{"success":true,"summary":5}`, `"summary" is not a string`},
		{"null summary", `{"success":true,"summary":null}`, `"summary" is not a string`},
		{"details array", `{"success":false,"summary":"x","details":["a"]}`, `"details" is not an object`},
		{"details row zero", `{"success":false,"summary":"x","details":{"0":"User Created"}}`, `details key "0" is not a row number`},
		{"details row word", `{"success":false,"summary":"x","details":{"row1":"User Created"}}`, `details key "row1" is not a row number`},
		{"details row negative", `{"success":false,"summary":"x","details":{"-1":"User Created"}}`, `details key "-1"`},
		{"details row plus", `{"success":false,"summary":"x","details":{"+1":"User Created"}}`, `details key "+1"`},
		{"details row leading zero", `{"success":false,"summary":"x","details":{"01":"User Created"}}`, `details key "01"`},
		{"details row float", `{"success":false,"summary":"x","details":{"1.5":"User Created"}}`, `details key "1.5"`},
		{"details outcome null", `{"success":false,"summary":"x","details":{"1":null}}`, `the outcome of details row "1" is not a string`},
		{"details non-string", `{"success":false,"summary":"x","details":{"1":"User Created","2":{"error":"bad"}}}`, `the outcome of details row "2" is not a string`},
		{"details number", `{"success":false,"summary":"x","details":{"1":3}}`, `the outcome of details row "1" is not a string`},
		{"html after blank lines", "\r\n\n<html>", "the body is not JSON"},
		{"trailing data", `{"success":true,"summary":"x"} {"success":false}`, "not JSON (at byte"},
		{"nested too deep", `{"success":true,"summary":"","x":` + strings.Repeat(`[`, 20000) + strings.Repeat(`]`, 20000) + `}`, "not JSON"},
		{"BOM then HTML", "\xef\xbb\xbf<html>", "the body is not JSON"},
		{"BOM alone", "\xef\xbb\xbf", "the body is empty"},
		{"two BOMs", "\xef\xbb\xbf\xef\xbb\xbf{\"success\":true}", "the body is not JSON"},
		{"details escaped key not a number", `{"success":false,"details":{"\u0031x":"a"}}`, `details key "1x" is not a row number`},
		{"details invalid UTF-8 key", "{\"success\":false,\"details\":{\"1\xff\":\"a\"}}", "details key \"1\ufffd\" is not a row number"},
		{"details long key, clipped", `{"success":false,"details":{"` + strings.Repeat("k", 10000) + `":"a"}}`, `details key "` + strings.Repeat("k", 64) + `…" is not a row number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if tt.name == "html login page" {
				in = string(readFixture(t, "login_page.html"))
			}
			res, err := Parse(strings.NewReader(in))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", res)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.want)
			}
			if n := len(err.Error()); n > 1000 {
				t.Errorf("error is %d bytes long; it must quote a bounded part of the body", n)
			}
		})
	}
}

func TestParseTolerates(t *testing.T) {
	tests := []struct {
		name, in string
		want     *Result
	}{
		{"unknown fields", `{"success":true,"summary":"ok","took":12,"warnings":["x"]}`, &Result{Success: true, Summary: "ok"}},
		{"no summary", `{"success":true}`, &Result{Success: true}},
		{"null details", `{"success":true,"summary":"ok","details":null}`, &Result{Success: true, Summary: "ok"}},
		{"empty details", `{"success":true,"summary":"ok","details":{}}`, &Result{Success: true, Summary: "ok", Details: []RowOutcome{}}},
		{"details sorted numerically", `{"success":false,"summary":"x","details":{"10":"User Created","9":"a failed to import","100":"User Updated"}}`, &Result{Summary: "x", Details: []RowOutcome{
			{9, StatusFailed, "a failed to import"}, {10, StatusCreated, "User Created"}, {100, StatusUpdated, "User Updated"},
		}}},
		{"escapes and unicode", `{"success":false,"summary":"\u00c9l\u00e8ves","details":{"1":"Field (name) \"\u00c9\" failed to import\n","2":"Zoë failed"}}`, &Result{Summary: "Élèves", Details: []RowOutcome{
			{1, StatusFailed, "Field (name) \"É\" failed to import\n"}, {2, StatusUnknown, "Zoë failed"},
		}}},
		{"invalid utf-8 as encoding/json decodes it", "{\"success\":false,\"details\":{\"1\":\"bad \xff failed to import\"}}", &Result{Details: []RowOutcome{
			{1, StatusFailed, "bad \ufffd failed to import"},
		}}},
		{"BOM", "\xef\xbb\xbf{\"success\":true,\"summary\":\"ok\"}", &Result{Success: true, Summary: "ok"}},
		{"BOM and white space", "\xef\xbb\xbf \r\n{\"success\":true}\n", &Result{Success: true}},
		// Issue 14, changed on purpose: keys match as encoding/json
		// matches them, in any case, the last of a key given twice winning.
		{"keys in another case", `{"Success":true,"SUMMARY":"Fine"}`, &Result{Success: true, Summary: "Fine"}},
		{"key given twice", `{"success":false,"summary":"x","success":true,"details":{"1":"a","\u0031":"User Created"}}`, &Result{Success: true, Summary: "x", Details: []RowOutcome{{1, StatusCreated, "User Created"}}}},
		{"escaped keys are the keys they spell", `{"\u0073uccess":true,"summ\u0061ry":"ok","details":{"\u0031":"User Created"}}`, &Result{Success: true, Summary: "ok", Details: []RowOutcome{{1, StatusCreated, "User Created"}}}},
		{"unknown fields of every shape", `{"a":{"b":[1,{"c":"}]\"{["}],"d":{}},"success":true,"e":[],"f":-1.5e3,"g":null,"h":false,"i":"\\","summary":"ok","j":[[[]]]}`, &Result{Success: true, Summary: "ok"}},
		{"details null", `{"details":null,"success":true}`, &Result{Success: true}},
		{"white space inside details", "{\"success\":false,\"details\": { \"2\" : \"User Created\" ,\n \"1\" :\"x\" } }", &Result{Details: []RowOutcome{
			{1, StatusUnknown, "x"}, {2, StatusCreated, "User Created"},
		}}},
		{"surrounding white space", " \r\n{\"success\":true}\n", &Result{Success: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := Parse(iotest.ErrReader(boom))
	if !errors.Is(err, boom) || errors.Is(err, ErrInvalid) {
		t.Errorf("err = %v, want the read error, not ErrInvalid", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, file := range []string{"vendor_success.json", "vendor_unauthorised.json", "vendor_partial.json"} {
		t.Run(file, func(t *testing.T) {
			want, err := Parse(strings.NewReader(string(readFixture(t, file))))
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			var got Result
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("Unmarshal(%s): %v", b, err)
			}
			if diff := cmp.Diff(want, &got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			// The marshalled form is the protocol's shape.
			var generic, original map[string]any
			if err := json.Unmarshal(b, &generic); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(readFixture(t, file), &original); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(original, generic); diff != "" {
				t.Errorf("marshalled shape differs from the vendor's (-vendor +ours):\n%s", diff)
			}
		})
	}
	// A value (not a pointer) marshals the same way.
	b, err := json.Marshal(Result{Success: true, Summary: "ok", Details: []RowOutcome{{Row: 2, Message: "User Created"}, {Row: 10, Message: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"success":true,"summary":"ok","details":{"2":"User Created","10":"x"}}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
}

// Review 1, finding 17: a RowOutcome, and a Status alone, survive a JSON
// round trip; a status MarshalText never writes is an error.
func TestStatusText(t *testing.T) {
	in := []RowOutcome{{Row: 2, Status: StatusFailed, Message: "x failed to import"}, {Row: 3, Status: StatusCreated, Message: "User Created"},
		{Row: 4, Status: StatusUpdated, Message: "User Updated"}, {Row: 5, Status: StatusUnknown, Message: "?"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out []RowOutcome
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	tests := []struct {
		text    string
		want    Status
		wantErr string
	}{
		{"FAILED", StatusFailed, ""},
		{"created", StatusCreated, ""},
		{"", StatusUpdated, `unknown row status ""`},
		{"succeeded", StatusUpdated, `unknown row status "succeeded"`},
	}
	for _, tt := range tests {
		s := StatusUpdated
		err := s.UnmarshalText([]byte(tt.text))
		if s != tt.want || (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v, %q", tt.text, s, err, tt.want, tt.wantErr)
		}
	}
}

func TestUnauthorized(t *testing.T) {
	for summary, want := range map[string]bool{
		"Unauthorised. Check credentials.": true,
		"unauthorized: check credentials":  true,
		"UNAUTHORISED":                     true,
		" Unauthorised!":                   true,
		"User unauthorised to import":      false,
		"Unauthorisedx":                    false,
		"":                                 false,
	} {
		if got := (&Result{Summary: summary}).Unauthorized(); got != want {
			t.Errorf("Unauthorized(%q) = %v, want %v", summary, got, want)
		}
	}
}

const benchDetails = 100_000

// benchDoc is a result with 100,000 details, one in ten failed.
var benchDoc = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"success":false,"summary":"%d users processed. %d users created. %d users updated. %d users failed.","details":{`,
		benchDetails, benchDetails/2, benchDetails/2-benchDetails/10, benchDetails/10)
	for i := 1; i <= benchDetails; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		msg := "User Updated"
		switch {
		case i%10 == 0:
			msg = "Field (emailAddress) is not a well-formed email address. User failed to import: Field (emailAddress) is not a well-formed email address. "
		case i%2 == 0:
			msg = "User Created"
		}
		fmt.Fprintf(&b, "%q:%q", fmt.Sprint(i), msg)
	}
	b.WriteString("}}")
	return b.Bytes()
})

// BenchmarkParse times Parse and, as its baseline in the same run,
// json.Unmarshal into a map[string]any of the same bytes. The metric
// "speed/baseline" is the baseline's time over Parse's: the target is at
// least 0.5.
func BenchmarkParse(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	var parse, baseline time.Duration
	for b.Loop() {
		t0 := time.Now()
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		res, err := Parse(bytes.NewReader(doc))
		if err != nil {
			b.Fatal(err)
		}
		parse += time.Since(t1)
		baseline += t1.Sub(t0)
		if len(res.Details) != benchDetails {
			b.Fatalf("%d details", len(res.Details))
		}
	}
	b.ReportMetric(float64(baseline)/float64(parse), "speed/baseline")
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"vendor_success.json", "vendor_unauthorised.json", "vendor_partial.json", "login_page.html"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"success":false,"summary":"x","details":{"1":3,"x":"y"}}`))
	f.Add([]byte("\xef\xbb\xbf{\"success\":true,\"Success\":false,\"x\":[{\"y\":\"]\"}]}"))
	f.Add([]byte(`{"success":true,"succ\u0065ss":false,"details":{"\u0031":"User Created"}}`))
	f.Add([]byte(`{"success":true,"details":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parse(bytes.NewReader(data))
		if err != nil {
			if res != nil {
				t.Fatalf("Parse returned a result with error %v", err)
			}
			return
		}
		if !json.Valid(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))) {
			t.Fatal("Parse accepted what encoding/json rejects")
		}
		// Whatever parses marshals and parses back to an equal Result.
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		back, err := Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("re-parse of %s: %v", b, err)
		}
		if diff := cmp.Diff(res, back); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
		for i := 1; i < len(res.Details); i++ {
			if res.Details[i-1].Row >= res.Details[i].Row {
				t.Fatalf("details not sorted by row: %+v", res.Details)
			}
		}
		// Fail closed: no error only for a success without details.
		if res.Err() == nil && (!res.Success || res.Details != nil) {
			t.Fatalf("Err() = nil for %+v", res)
		}
		if e := res.Err(); e != nil && strings.ContainsAny(e.Error(), "\n\r\x1b") {
			t.Fatalf("Error() is not one line: %q", e.Error())
		}
		_, _ = res.Counts()
	})
}

func FuzzSummary(f *testing.F) {
	f.Add("100 users processed. 50 users created. 50 users updated. 0 users failed.")
	f.Add("3 users processed. 1 user created. 1 user updated. 1 user failed.")
	f.Add("3 users processed. 1 user failed.")
	f.Add("Unauthorised. Check credentials.")
	f.Add("1,000 users processed. 1 user created. 1 user updated. 1 user failed. ")
	f.Add("3 users processed! 1 user failed to import!\n1.000 users failed, 0 users created")
	f.Add("No users failed. 0 user(s) failed.")
	f.Fuzz(func(t *testing.T, summary string) {
		res := &Result{Success: true, Summary: summary}
		err := res.Err()
		// Any clause "<digits> user(s) failed" with a digit other than 0
		// fails the import, whatever else the summary says.
		for clause := range strings.SplitSeq(summary, ".") {
			w := strings.Fields(clause)
			if len(w) == 3 && (strings.EqualFold(w[1], "user") || strings.EqualFold(w[1], "users")) && strings.EqualFold(w[2], "failed") &&
				strings.Trim(w[0], "0123456789") == "" && strings.Trim(w[0], "0") != "" && err == nil {
				t.Fatalf("Err() = nil, but %q counts failed users", clause)
			}
		}
		c, ok := res.Counts()
		if !ok {
			if c != (Counts{}) {
				t.Fatalf("no counts but %+v", c)
			}
			return
		}
		if c.Processed < 0 || c.Created < 0 || c.Updated < 0 || c.Failed < 0 {
			t.Fatalf("negative count %+v from %q", c, summary)
		}
		if c.Failed > 0 && err == nil {
			t.Fatalf("Err() = nil with counts %+v", c)
		}
		if err != nil && c.Failed == 0 && !strings.Contains(strings.ToLower(summary), "failed") {
			t.Fatalf("Err() = %v for %q, which says nothing failed", err, summary)
		}
	})
}
