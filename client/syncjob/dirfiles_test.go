package syncjob

import (
	"strings"
	"testing"
)

func TestFolderName(t *testing.T) {
	tests := []struct {
		key  Key
		want string // without the hash
	}{
		{Key{Site: "https://myschool.concordinfiniti.com", Tenant: "T1", Import: "user-groups"}, "myschool.concordinfiniti.com_T1_user-groups"},
		{Key{Site: "https://myschool.concordinfiniti.com", Import: "user-groups"}, "myschool.concordinfiniti.com_user-groups"},
		{Key{Site: "https://school.example:8443/infiniti", Tenant: "a b", Import: "user-groups"}, "school.example-8443-infiniti_a-b_user-groups"},
		{Key{Site: "https://school.example", Tenant: "../../etc/passwd", Import: "user-groups"}, "school.example_etc-passwd_user-groups"},
		{Key{Site: "https://school.example", Tenant: "..", Import: "user-groups"}, "school.example_x_user-groups"},
		{Key{Site: `https://school.example`, Tenant: `a\b:c*d?e"f<g>h|i`, Import: "user-groups"}, "school.example_a-b-c-d-e-f-g-h-i_user-groups"},
		{Key{Site: "https://con", Tenant: "T", Import: "user-groups"}, "_con_T_user-groups"},
		{Key{Site: "https://aux.example", Tenant: "T", Import: "user-groups"}, "_aux.example_T_user-groups"},
		{Key{Site: "https://lpt1", Tenant: "T", Import: "user-groups"}, "_lpt1_T_user-groups"},
		{Key{Site: "https://console.example", Tenant: "T", Import: "user-groups"}, "console.example_T_user-groups"},
		{Key{Site: "https://school.example", Tenant: "学校", Import: "user-groups"}, "school.example_x_user-groups"},
		{Key{Site: "https://school.example", Tenant: strings.Repeat("t", 100), Import: "user-groups"}, "school.example_" + strings.Repeat("t", 32) + "_user-groups"},
		{Key{Site: "not a url", Import: "user-groups"}, "not-a-url_user-groups"},
	}
	seen := map[string]Key{}
	for _, tt := range tests {
		got := folderName(tt.key)
		base, hash, ok := cutLast(got, "_")
		if !ok || len(hash) != 8 || base != tt.want {
			t.Errorf("folderName(%v) = %q, want %q and an 8-digit hash", tt.key, got, tt.want+"_")
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%v and %v share the folder %q", other, tt.key, got)
		}
		seen[got] = tt.key
		if got != folderName(tt.key) {
			t.Errorf("folderName(%v) is not stable", tt.key)
		}
		if strings.ContainsAny(got, `/\:*?"<>| `) || strings.HasPrefix(got, ".") {
			t.Errorf("folderName(%v) = %q is not a safe file name", tt.key, got)
		}
	}
	// Keys alike once made safe still differ by the hash.
	a := folderName(Key{Site: "https://s", Tenant: "a/b", Import: "user-groups"})
	b := folderName(Key{Site: "https://s", Tenant: "a:b", Import: "user-groups"})
	if a == b {
		t.Errorf("two keys share the folder %q", a)
	}
}
