package result

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/iotest"

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
		{emailFailure, StatusFailed},
		{"Import FAILED", StatusFailed},
		{"User Skipped", StatusUnknown},
		{"", StatusUnknown},
	}
	for _, tt := range tests {
		if got := statusOf(tt.text); got != tt.want {
			t.Errorf("statusOf(%q) = %v, want %v", tt.text, got, tt.want)
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
		want string // "" for no error
	}{
		{"success", Result{Success: true, Summary: "1 user processed. 1 user created. 0 users updated. 0 users failed."}, ""},
		{"success false", Result{Success: false, Summary: "Something went wrong."}, "infiniti import failed: Something went wrong."},
		{"success false, no summary", Result{}, `infiniti import failed ("success": false, no summary)`},
		{"counts say failed", Result{Success: true, Summary: "1 user processed. 0 users created. 0 users updated. 1 user failed."}, "infiniti import failed: 1 user processed. 0 users created. 0 users updated. 1 user failed."},
		{"row failed", Result{Success: true, Summary: "done", Details: []RowOutcome{failed}}, "infiniti import failed: done; row 2: Field (emailAddress) is not a well-formed email address. User failed to import: Field (emailAddress) is not a well-formed email address."},
		{"unknown rows alone", Result{Success: true, Summary: "done", Details: []RowOutcome{{Row: 1, Status: StatusUnknown, Message: "User Skipped"}}}, ""},
		{"many rows", Result{Success: false, Summary: "5 users failed.", Details: []RowOutcome{
			{1, StatusFailed, "a failed"}, {2, StatusFailed, "b\nfailed"}, {3, StatusCreated, "User Created"}, {4, StatusFailed, "c failed"}, {5, StatusFailed, "d failed"}, {6, StatusFailed, "e failed"},
		}}, "infiniti import failed: 5 users failed.; row 1: a failed; row 2: b failed; row 4: c failed; and 2 more failed rows"},
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
			if got := err.Error(); got != tt.want {
				t.Errorf("Error() = %q\nwant      %q", got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
	}{
		{"empty", "", "the body is empty"},
		{"blank", " \n", "the body is empty"},
		{"html login page", "", "the body is not JSON"},
		{"truncated", `{"success": true, "summary": "1 user`, "not valid JSON"},
		{"array", `[{"success":true}]`, "the result is an array, not a JSON object"},
		{"string", `"ok"`, "the result is a string, not a JSON object"},
		{"number", `200`, "the result is a number, not a JSON object"},
		{"null", `null`, `"success" is missing or null`},
		{"missing success", `{"summary":"x"}`, `"success" is missing or null`},
		{"null success", `{"success":null,"summary":"x"}`, `"success" is missing or null`},
		{"string success", `{"success":"true","summary":"x"}`, `"success" must be true or false, not a string`},
		{"number summary", `{"success":true,"summary":5}`, `"summary" must be a string, not a number`},
		{"null summary", `{"success":true,"summary":null}`, `"summary" must be a string, not null`},
		{"details array", `{"success":false,"summary":"x","details":["a"]}`, `"details" must be an object`},
		{"details row zero", `{"success":false,"summary":"x","details":{"0":"User Created"}}`, `details key "0" is not a row number`},
		{"details row word", `{"success":false,"summary":"x","details":{"row1":"User Created"}}`, `details key "row1" is not a row number`},
		{"details row negative", `{"success":false,"summary":"x","details":{"-1":"User Created"}}`, `details key "-1"`},
		{"details row leading zero", `{"success":false,"summary":"x","details":{"01":"User Created"}}`, `details key "01"`},
		{"details row float", `{"success":false,"summary":"x","details":{"1.5":"User Created"}}`, `details key "1.5"`},
		{"details non-string", `{"success":false,"summary":"x","details":{"1":"User Created","2":{"error":"bad"}}}`, `the outcome of details row "2" must be a string, not an object`},
		{"details number", `{"success":false,"summary":"x","details":{"1":3}}`, `the outcome of details row "1" must be a string, not a number`},
		{"html after blank lines", "\r\n\n<html>", "the body is not JSON"},
		{"duplicate row", `{"success":false,"summary":"x","details":{"1":"User Created","2":"a failed","1":"User Updated"}}`, `details row 1 appears twice`},
		{"trailing data", `{"success":true,"summary":"x"} {"success":false}`, "unexpected data after the result object"},
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
		{"empty details", `{"success":true,"summary":"ok","details":{}}`, &Result{Success: true, Summary: "ok"}},
		{"details sorted numerically", `{"success":false,"summary":"x","details":{"10":"User Created","9":"a failed","100":"User Updated"}}`, &Result{Summary: "x", Details: []RowOutcome{
			{9, StatusFailed, "a failed"}, {10, StatusCreated, "User Created"}, {100, StatusUpdated, "User Updated"},
		}}},
		{"escapes and unicode", `{"success":false,"summary":"\u00c9l\u00e8ves","details":{"1":"Field (name) \"\u00c9\" failed\n","2":"Zoë failed"}}`, &Result{Summary: "Élèves", Details: []RowOutcome{
			{1, StatusFailed, "Field (name) \"É\" failed\n"}, {2, StatusFailed, "Zoë failed"},
		}}},
		{"invalid utf-8 as encoding/json decodes it", "{\"success\":false,\"details\":{\"1\":\"bad \xff failed\"}}", &Result{Details: []RowOutcome{
			{1, StatusFailed, "bad \ufffd failed"},
		}}},
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
