package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeFile writes content to a new file in a temporary folder with
// exactly mode (the umask does not apply) and returns its path.
func writeFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pw.txt")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadPasswordFile(t *testing.T) {
	const secret = "s3cret^@&$-Passwört"
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		unix    bool // the case needs Unix permissions
		want    string
		wantErr string
	}{
		{name: "bare", content: secret, mode: 0o600, want: secret},
		{name: "LF", content: secret + "\n", mode: 0o600, want: secret},
		{name: "CRLF and BOM (Notepad)", content: "\ufeff" + secret + "\r\n", mode: 0o400, want: secret},
		{name: "only one line ending is stripped", content: secret + "\n\n", mode: 0o600, wantErr: "holds more than one line"},
		{name: "spaces are kept", content: " " + secret + " \n", mode: 0o600, want: " " + secret + " "},
		{name: "two lines", content: "a\nb", mode: 0o600, wantErr: "holds more than one line"},
		{name: "empty", content: "\n", mode: 0o600, wantErr: "is empty"},
		{name: "too big", content: strings.Repeat("x", 5000), mode: 0o600, wantErr: "larger than 4 KiB"},
		{name: "world-readable", content: secret, mode: 0o644, unix: true, wantErr: "open to other accounts; make it readable by this account only: chmod 600 "},
		{name: "group-readable", content: secret, mode: 0o640, unix: true, wantErr: "has permissions 0640"},
		{name: "group-writable", content: secret, mode: 0o620, unix: true, wantErr: "chmod 600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.unix && runtime.GOOS == "windows" {
				t.Skip("Windows has no permission bits to check")
			}
			got, err := ReadPasswordFile(writeFile(t, tt.content, tt.mode))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
				if strings.Contains(gotErr, secret) || strings.Contains(gotErr, "xxxx") {
					t.Errorf("the error holds the file's content: %s", gotErr)
				}
			}
			if !strings.Contains(gotErr, tt.wantErr) || (tt.wantErr == "") != (err == nil) {
				t.Errorf("error %q, want one containing %q", gotErr, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("password (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadPasswordFileNotAFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ path, wantErr string }{
		{dir, "is not a regular file"},
		{filepath.Join(dir, "nope"), "no such file"},
	}
	if fifo := makeFIFO(t, dir); fifo != "" {
		// A FIFO would block the open for ever (B8).
		tests = append(tests, struct{ path, wantErr string }{fifo, "is not a regular file"})
	}
	for _, tt := range tests {
		if _, err := ReadPasswordFile(tt.path); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ReadPasswordFile(%s) = %v, want an error containing %q", tt.path, err, tt.wantErr)
		}
	}
}

func TestShellQuote(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the chmod advice is for Unix")
	}
	path := writeFile(t, "pw", 0o644)
	odd := filepath.Join(filepath.Dir(path), "it's mine.txt")
	if err := os.Rename(path, odd); err != nil {
		t.Fatal(err)
	}
	_, err := ReadPasswordFile(odd)
	want := `chmod 600 '` + filepath.Dir(path) + `/it'\''s mine.txt'`
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error %v, want it to end with %s", err, want)
	}
}

func TestPassword(t *testing.T) {
	file := writeFile(t, "from-file\n", 0o600)
	tests := []struct {
		name    string
		env     string
		path    string
		want    string
		wantErr string
	}{
		{name: "environment", env: "from-env", want: "from-env"},
		{name: "file", path: file, want: "from-file"},
		{name: "both", env: "from-env", path: file, wantErr: "the password is given twice, in -password-file and in the environment variable INFINITI_PASSWORD; give one of them"},
		{name: "neither", wantErr: "no password: the environment variable INFINITI_PASSWORD is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == PasswordEnv {
					return tt.env
				}
				return ""
			}
			got, err := Password(getenv, PasswordEnv, tt.path, Flags)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if !strings.HasPrefix(gotErr, tt.wantErr) || (tt.wantErr == "") != (err == nil) {
				t.Errorf("error %q, want %q", gotErr, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("password %q, want %q", got, tt.want)
			}
		})
	}
}
