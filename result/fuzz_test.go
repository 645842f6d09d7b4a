package result

import (
	"bytes"
	"encoding/json"
	"os"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parse(bytes.NewReader(data))
		if err != nil {
			if res != nil {
				t.Fatalf("Parse returned a result with error %v", err)
			}
			return
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
		_ = res.Err()
		_, _ = res.Counts()
	})
}

func FuzzSummary(f *testing.F) {
	f.Add("100 users processed. 50 users created. 50 users updated. 0 users failed.")
	f.Add("3 users processed. 1 user created. 1 user updated. 1 user failed.")
	f.Add("Unauthorised. Check credentials.")
	f.Add("1,000 users processed. 1 user created. 1 user updated. 1 user failed. ")
	f.Fuzz(func(t *testing.T, summary string) {
		res := &Result{Success: true, Summary: summary}
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
		if (c.Failed > 0) != (res.Err() != nil) {
			t.Fatalf("Err() = %v with counts %+v", res.Err(), c)
		}
	})
}
