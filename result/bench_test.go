package result

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
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
