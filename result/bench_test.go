package result

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

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

// BenchmarkParseBaseline is json.Unmarshal into map[string]any on the same bytes.
func BenchmarkParseBaseline(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Parse(bytes.NewReader(doc))
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Details) != benchDetails {
			b.Fatalf("%d details", len(res.Details))
		}
	}
}
