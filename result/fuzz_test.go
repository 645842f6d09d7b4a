package result

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
