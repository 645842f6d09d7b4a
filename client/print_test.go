package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log"
	"log/slog"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Item 4: printing a Client shows base URL, user and tenant only.
func TestClientPrinting(t *testing.T) {
	c, err := New("https://autoimport:"+url.QueryEscape(trickyPassword)+"@school.example/infiniti/", WithTenant("T1"))
	if err != nil {
		t.Fatal(collectErr(err))
	}
	want := map[string]string{
		"String":   `client for https://school.example/infiniti (user "autoimport", tenant "T1")`,
		"GoString": `client.New("https://school.example/infiniti", client.WithBasicAuth("autoimport", "[REDACTED]"), client.WithTenant("T1"))`,
	}
	got := map[string]string{"String": c.String(), "GoString": c.GoString()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("printing (-want +got):\n%s", diff)
	}
	vault, _ := New("https://school.example", WithCredentials(func(context.Context) (string, string, error) { return "u", trickyPassword, nil }))
	if got, want := vault.GoString(), `client.New("https://school.example", client.WithCredentials([REDACTED]))`; got != want {
		t.Errorf("GoString with a provider = %s, want %s", got, want)
	}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%p"} {
		outs = append(outs, fmt.Sprintf(verb, c))
		if verb != "%p" {
			outs = append(outs, fmt.Sprintf(verb, *c))
		}
	}
	for _, v := range []any{c, *c, c.basic, *c.basic} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
	}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("client", "client", c, "value", *c, "cred", c.basic)
	}
	lg := log.New(&buf, "", 0)
	lg.Printf("%+v", c)
	lg.Printf("%+v", *c)
	lg.Printf("%#v", *c)
	outs = append(outs, buf.String())
	forms := passwordForms("autoimport", trickyPassword)
	forms = append(forms, c.basic.secret().header, fmt.Sprintf("%x", trickyPassword))
	for _, out := range outs {
		collect(out)
		if f := leaked(out, forms); f != "" {
			t.Errorf("%q shows the password as %q", out, f)
		}
	}
	if !strings.Contains(buf.String(), `"client":{"base_url":"https://school.example/infiniti","user":"autoimport","tenant":"T1"}`) {
		t.Errorf("JSON log of the client:\n%s", buf.String())
	}
}

// Finding 11: nothing reachable in a Client by reflection, without
// calling a method (as fmt's %+v, go-spew and testify's diffs walk it),
// holds the password or the Authorization header.
func TestSecretsNotReachableByReflection(t *testing.T) {
	tests := []struct {
		name, base string
		opts       []Option
		user, pass string
	}{
		{"WithBasicAuth", "https://school.example", []Option{WithBasicAuth("autoimport", "Spring2024-library")}, "autoimport", "Spring2024-library"},
		{"curl-style URL, Latin-1", "https://autoimport:" + url.QueryEscape(nonASCIIPassword) + "@school.example", []Option{WithAuthCharset(AuthLatin1)}, "autoimport", nonASCIIPassword},
		{"own transport, logger, tenant", "https://school.example/infiniti", []Option{WithBasicAuth("autoimport", trickyPassword), WithTenant("T1"), WithLogger(testLogger), WithRootCAs(testCertPEM)}, "autoimport", trickyPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.base, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			forms := passwordForms(tt.user, tt.pass)
			if l1, ok := latin1(tt.user + ":" + tt.pass); ok {
				forms = append(forms, string(l1), base64.StdEncoding.EncodeToString(l1))
			}
			if l1, ok := latin1(tt.pass); ok {
				forms = append(forms, string(l1))
			}
			forms = append(forms, c.basic.secret().header)
			found := reflectStrings(reflect.ValueOf(c), func(s string) bool { return leaked(s, forms) != "" })
			if found != "" {
				t.Errorf("a field reachable by reflection holds the password: %s", found)
			}
		})
	}
}

// reflectStrings walks v as a dumper does, through pointers, interfaces,
// structs (unexported fields included), slices, arrays and maps, without
// calling any method, and returns the path of the first string or []byte
// for which bad holds; "" if none. A func is a leaf, as dumpers print it.
func reflectStrings(v reflect.Value, bad func(string) bool) string {
	type visit struct {
		ptr uintptr
		typ reflect.Type
	}
	seen := make(map[visit]bool)
	var walk func(v reflect.Value, path string, depth int) string
	walk = func(v reflect.Value, path string, depth int) string {
		if !v.IsValid() || depth > 64 {
			return ""
		}
		switch v.Kind() {
		case reflect.String:
			if bad(v.String()) {
				return path
			}
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				return ""
			}
			if v.Kind() == reflect.Pointer {
				k := visit{v.Pointer(), v.Type()}
				if seen[k] {
					return ""
				}
				seen[k] = true
			}
			return walk(v.Elem(), path, depth+1)
		case reflect.Struct:
			for i := range v.NumField() {
				if p := walk(v.Field(i), path+"."+v.Type().Field(i).Name, depth+1); p != "" {
					return p
				}
			}
		case reflect.Slice, reflect.Array:
			if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
				b := make([]byte, v.Len())
				for i := range b {
					b[i] = byte(v.Index(i).Uint())
				}
				if bad(string(b)) {
					return path
				}
				return ""
			}
			for i := range v.Len() {
				if p := walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1); p != "" {
					return p
				}
			}
		case reflect.Map:
			it := v.MapRange()
			for it.Next() {
				if p := walk(it.Key(), path+"{key}", depth+1); p != "" {
					return p
				}
				if p := walk(it.Value(), path+"{value}", depth+1); p != "" {
					return p
				}
			}
		}
		return ""
	}
	return walk(v, "c", 0)
}

// The walker finds what it must: a test of the test.
func TestReflectStrings(t *testing.T) {
	type inner struct {
		b []byte
		m map[string]any
	}
	type outer struct {
		p *inner
		f func() string
	}
	secret := "the-secret"
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"pointer to bytes", &outer{p: &inner{b: []byte("x the-secret y")}}, "c.p.b"},
		{"map value in an interface", outer{p: &inner{m: map[string]any{"k": []string{"a", secret}}}}, "c.p.m{value}[1]"},
		{"func is a leaf", outer{f: func() string { return secret }}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reflectStrings(reflect.ValueOf(tt.v), func(s string) bool { return strings.Contains(s, secret) })
			if got != tt.want {
				t.Errorf("path %q, want %q", got, tt.want)
			}
		})
	}
}

// Finding 9's other half: a Client whose password passes New is printed
// without it (String, LogValue), for a password close to the username.
func TestPrintingWithPasswordNearUsername(t *testing.T) {
	for _, tt := range []struct{ user, pass string }{
		{"autoimport", "autoimport2024"},
		{"autoimport2024", "Autoimport2024"},
	} {
		c, err := New("https://school.example", WithBasicAuth(tt.user, tt.pass))
		if err != nil {
			t.Fatalf("%q/%q: %v", tt.user, tt.pass, err)
		}
		var b bytes.Buffer
		slog.New(slog.NewJSONHandler(&b, nil)).Info("c", "client", c)
		if out := c.String() + c.GoString() + b.String(); strings.Contains(out, tt.pass) {
			t.Errorf("%q shows the password", out)
		}
	}
}
