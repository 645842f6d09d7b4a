package clienttest_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/result"
)

// part is one part of a hand-built multipart body.
type part struct{ form, file, content string }

// post sends parts to srv at path with the given credentials and parses
// the answer.
func post(t *testing.T, srv *clienttest.Server, path, user, pass string, parts ...part) (int, *result.Result) {
	t.Helper()
	body, contentType := multipartBody(t, parts...)
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	return do(t, srv, req)
}

// do sends req to srv and parses the answer.
func do(t *testing.T, srv *clienttest.Server, req *http.Request) (int, *result.Result) {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	res, err := result.Parse(resp.Body)
	if err != nil {
		t.Fatalf("the fake answered something that is not a result: %v", err)
	}
	return resp.StatusCode, res
}

// multipartBody builds a multipart/form-data body by hand and returns it
// with its Content-Type.
func multipartBody(t *testing.T, parts ...part) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.file == "" {
			w, err = mw.CreateFormField(p.form)
		} else {
			w, err = mw.CreateFormFile(p.form, p.file)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, p.content); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &body, mw.FormDataContentType()
}

const hdr = "username,library-group,system-group\n"

// NewServer panics on an unknown ApplyMode, as its doc says, and
// WithApplyMode itself does not (review 1, nit).
func TestWithApplyModePanicsOnUnknownMode(t *testing.T) {
	opt := clienttest.WithApplyMode(7) // does not panic
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "want ApplyAdd or ApplyReplace") {
			t.Errorf("NewServer(WithApplyMode(7)) panicked with %v", r)
		}
	}()
	srv := clienttest.NewServer(opt)
	srv.Close()
}

const contactsPath = "/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts"
const contactsHdr = "username,type,role,primary,addressee,contact,sms,scenarios\n"
