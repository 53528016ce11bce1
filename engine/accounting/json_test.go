package accounting

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestJSON(t *testing.T) {
	g := Grant{MappingID: "0123456789abcdef0123456789abcdef", User: "alice", Image: "img",
		Policy: Policy{AllowHome: true, Volume: Volume{"/data", "/data", "ro"}, AppLicense: "L"}}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"mapping_id":"0123456789abcdef0123456789abcdef","user":"alice","image":"img","policy":{"app_license":"L","allow_home":true,"allow_view":false,"volume_source":"/data","volume_target":"/data","volume_mode":"ro","allow_startup_data":false}}`
	if string(b) != want {
		t.Errorf("grant JSON\n got %s\nwant %s", b, want)
	}
	var p Policy
	if err := json.Unmarshal([]byte(`{"allow_home":true,"volume_source":"/data/","volume_target":"/data","volume_mode":"ro","app_license":"L"}`), &p); err != nil {
		t.Fatal(err)
	}
	if p != g.Policy {
		t.Errorf("policy = %+v, want %+v", p, g.Policy)
	}
	if err := json.Unmarshal([]byte(`{"allow_hom":true}`), &p); err == nil || !strings.Contains(err.Error(), `unknown field "allow_hom"`) {
		t.Errorf("unknown field: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"volume_source":"/data","volume_target":"/proc","volume_mode":"ro"}`), &p); !errors.Is(err, ErrInvalid) {
		t.Errorf("volume target /proc: %v", err)
	}
	u, _ := json.Marshal(User{Name: "bob", Admin: true, PasswordHash: "$argon2id$secret"})
	if string(u) != `{"name":"bob","admin":true,"disabled":false,"has_password":true}` {
		t.Errorf("user JSON = %s", u)
	}
}
