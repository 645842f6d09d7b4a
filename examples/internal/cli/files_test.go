package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/csvspec"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		opts     []csvspec.ReaderOption
		want     string
		wantRows []int
	}{
		{
			name:     "Excel's empty rows are left out",
			in:       "\ufeffusername,library-group,system-group\r\na,Blue,\r\n,,\r\n\r\nb,,Staff\r\n,,,,\r\n",
			want:     "username,library-group,system-group\na,Blue,\nb,,Staff\n",
			wantRows: []int{1, 3},
		},
		{
			name:     "semicolons and a header map",
			in:       "Code;House\nx;\"Blue; Green\"\n",
			opts:     []csvspec.ReaderOption{csvspec.WithComma(';'), csvspec.WithHeaderMap(map[string]string{"username": "Code", "library-group": "House", "system-group": "House"})},
			want:     "",
			wantRows: nil,
		},
		{
			name:     "quotes round-trip",
			in:       "system-group;username;library-group\nStaff;\"o'brien, j\";\n",
			opts:     []csvspec.ReaderOption{csvspec.WithComma(';')},
			want:     "username,library-group,system-group\n\"o'brien, j\",,Staff\n",
			wantRows: []int{1},
		},
		{name: "header only", in: "username,library-group,system-group\n", want: "username,library-group,system-group\n", wantRows: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "in.csv")
			if err := os.WriteFile(src, []byte(tt.in), 0o600); err != nil {
				t.Fatal(err)
			}
			path, rows, err := Canonical(src, tt.opts)
			if tt.want == "" {
				if err == nil {
					os.Remove(path)
					t.Fatal("Canonical accepted a header map that maps two columns to one header")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer os.Remove(path)
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("posted file (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantRows, rows); diff != "" {
				t.Errorf("source rows (-want +got):\n%s", diff)
			}
		})
	}
}
