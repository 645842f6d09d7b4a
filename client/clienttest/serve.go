package clienttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/autosync-go/autosync/result"
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := s.newRequest(r)
	// The request is recorded before the client can see the answer, so
	// that a test that got an answer finds the request recorded.
	recorded := false
	record := func() {
		if !recorded {
			recorded = true
			s.record(rec)
		}
	}
	defer record() // for the paths that give no answer

	f, _ := s.nextFault()
	if f.DropConnection {
		_, _ = io.CopyN(io.Discard, r.Body, 1024)
		record()
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	var upload io.Reader // the CSV part, once found
	problem := ""
	if f.Status != 0 || f.Delay > 0 {
		upload, problem = s.readFirst(r, &rec, f, record)
		if f.Status != 0 {
			answerFault(w, &rec, f, record)
			return
		}
	}

	reply := func(status int, res *result.Result) {
		if r.Body != nil {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		b, _ := json.Marshal(res)
		rec.Status, rec.Result = status, res
		record()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(b)
	}
	apply, ok := s.route(w, r, &rec, record)
	if !ok {
		return
	}
	if status, summary := s.refusal(&rec); status != 0 {
		reply(status, &result.Result{Success: false, Summary: summary})
		return
	}
	if upload == nil && problem == "" {
		part, p := firstFilePart(r, &rec)
		if part == nil {
			problem = p
		} else {
			capture := &limitedBuffer{max: maxRecordedCSV}
			status, res := apply(io.TeeReader(part, capture))
			rec.CSV, rec.CSVSize = capture.buf.Bytes(), capture.n
			reply(status, res)
			return
		}
	}
	if upload == nil {
		reply(http.StatusBadRequest, &result.Result{Success: false, Summary: problem})
		return
	}
	reply(apply(upload))
}

// newRequest is what the server records of r, without the password.
func (s *Server) newRequest(r *http.Request) Request {
	tenant, hasTenant := r.URL.Query()["tenantId"]
	rec := Request{
		Method: r.Method, Path: r.URL.Path, HasTenantID: hasTenant, Header: r.Header.Clone(),
		ContentLength: r.ContentLength, TransferEncoding: slices.Clone(r.TransferEncoding),
	}
	if hasTenant {
		rec.TenantID = tenant[0]
	}
	user, pass, hasAuth := r.BasicAuth()
	if s.latin1 {
		user, pass = latin1(user), latin1(pass)
	}
	rec.Username = user
	rec.Authorized = hasAuth && user == s.username && pass == s.password
	rec.Header.Del("Authorization")
	return rec
}

// readFirst reads the whole upload before a fault's answer (the server
// notices a client that gives up only once it has), then waits out the
// fault's Delay. It returns the CSV part, or what is wrong with the body.
func (s *Server) readFirst(r *http.Request, rec *Request, f Fault, record func()) (io.Reader, string) {
	var upload io.Reader
	problem := ""
	if part, p := firstFilePart(r, rec); part != nil {
		b, _ := io.ReadAll(part)
		rec.CSV, rec.CSVSize = b[:min(len(b), maxRecordedCSV)], int64(len(b))
		upload = bytes.NewReader(b)
	} else {
		problem = p
	}
	_, _ = io.Copy(io.Discard, r.Body)
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client gave up. Abort without an answer: returning
			// would send an empty 200, which a client that is still
			// closing its TLS connection could read as the answer.
			t.Stop()
			record()
			panic(http.ErrAbortHandler)
		}
	}
	return upload, problem
}

// answerFault answers with the fault's status, headers and body.
func answerFault(w http.ResponseWriter, rec *Request, f Fault, record func()) {
	ct, body := f.ContentType, f.Body
	if body == "" {
		body = http.StatusText(f.Status) + "\n"
	}
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	if f.Location != "" {
		w.Header().Set("Location", f.Location)
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	rec.Status = f.Status
	record()
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, body)
}

// route returns the import of r's path; for another path or method it
// answers and returns false.
func (s *Server) route(w http.ResponseWriter, r *http.Request, rec *Request, record func()) (func(io.Reader) (int, *result.Result), bool) {
	prefix := (&url.URL{Path: s.prefix}).EscapedPath()
	var apply func(io.Reader) (int, *result.Result)
	switch r.URL.EscapedPath() {
	case prefix + ImportUserGroupsPath:
		apply = s.importUserGroups
	case prefix + ImportContactsPath:
		apply = s.importContacts
	default:
		rec.Status = http.StatusNotFound
		record()
		http.NotFound(w, r)
		return nil, false
	}
	if r.Method != http.MethodPost {
		rec.Status = http.StatusMethodNotAllowed
		record()
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	return apply, true
}

// refusal returns the status and summary of the server's refusal of rec
// (an unknown tenant, or wrong credentials), or 0.
func (s *Server) refusal(rec *Request) (int, string) {
	switch {
	case s.tenants != nil && !rec.HasTenantID:
		// Not documented; the fake's choice, see WithTenants.
		return http.StatusNotFound, "No tenant: the tenantId query parameter is required."
	case s.tenants != nil && !s.tenants[rec.TenantID]:
		return http.StatusNotFound, fmt.Sprintf("Unknown tenant (%s).", rec.TenantID)
	case !rec.Authorized:
		// Infiniti's documented answer; the status it uses is not
		// documented, the fake answers 401.
		return http.StatusUnauthorized, "Unauthorised. Check credentials."
	}
	return 0, ""
}

// latin1 decodes s as ISO-8859-1: each byte is the code point of one
// character.
func latin1(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

// firstFilePart returns the content of the first file part of a multipart
// body, as Infiniti takes it, whatever its form and file names; or nil and
// a summary saying what is wrong. (Infiniti's answers to these are not
// documented; the fake answers 400 with a result.)
func firstFilePart(r *http.Request, rec *Request) (io.Reader, string) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Sprintf("The request is not multipart/form-data: %v.", err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, "The request has no file part."
		}
		if err != nil {
			return nil, fmt.Sprintf("The multipart body is malformed: %v.", err)
		}
		if p.FileName() != "" {
			rec.FormName, rec.FileName, rec.PartContentType = p.FormName(), p.FileName(), p.Header.Get("Content-Type")
			return p, ""
		}
	}
}

type limitedBuffer struct {
	buf bytes.Buffer
	max int
	n   int64
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.n += int64(len(p))
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// userGroupsColumns is the user-groups header, whose names Infiniti
