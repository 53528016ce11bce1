package csvfile

import (
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/accounting/accountingtest"
)

// header is the original's ten columns, deliberately not in its order.
var header = []string{
	"policy.volume_mode", "user.name", "policy.allow_home", "application.image", "policy.app_license",
	"policy.allow_view", "policy.allow_common", "policy.volume_source", "policy.volume_target", "policy.allow_startup_data",
}

func b(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

func create(t *testing.T, grants []accountingtest.FixtureGrant) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "accounting.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(header)
	for _, g := range grants {
		p := g.Policy
		_ = w.Write([]string{
			p.Volume.Mode, g.User, b(p.AllowHome), g.Image, p.AppLicense,
			b(p.AllowView), b(!p.Volume.IsZero()), p.Volume.Source, p.Volume.Target, b(p.AllowStartupData),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func openT(t *testing.T, path string) accounting.Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	accountingtest.Run(t, accountingtest.Backend{Create: create, Open: openT, ReadOnly: true})
}

func TestParse(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name    string
		in      string
		want    []accounting.Grant // without mapping ids
		wantErr string
	}{
		{
			name: "the original's example, spaces after commas",
			in: "user.name, application.image, policy.app_license, policy.allow_home, policy.allow_view, policy.allow_common, policy.volume_source, policy.volume_target, policy.volume_mode, policy.allow_startup_data\n" +
				"alice, simphonyproject/simphony-mayavi:0.6.0, , 1, 1, 1, /data, /mnt/data, ro, 0\n",
			want: []accounting.Grant{{User: "alice", Image: "simphonyproject/simphony-mayavi:0.6.0", Policy: accounting.Policy{
				AllowHome: true, AllowView: true, Volume: accounting.Volume{Source: "/data", Target: "/mnt/data", Mode: "ro"}}}},
		},
		{
			name: "older image.name column, minimal columns, extra column ignored",
			in:   "image.name,user.name,comment\nimg,bob,whatever\n",
			want: []accounting.Grant{{User: "bob", Image: "img"}},
		},
		{
			name: "allow_common 0 ignores the volume columns, as the original did",
			in:   "user.name,application.image,policy.allow_common,policy.volume_source,policy.volume_target,policy.volume_mode\nbob,img,0,/data,/data,ro\n",
			want: []accounting.Grant{{User: "bob", Image: "img"}},
		},
		{
			name: "no allow_common column: a volume is used",
			in:   "user.name,application.image,policy.volume_source,policy.volume_target,policy.volume_mode\nbob,img,/data/,/data,rw\n",
			want: []accounting.Grant{{User: "bob", Image: "img", Policy: accounting.Policy{Volume: accounting.Volume{Source: "/data", Target: "/data", Mode: "rw"}}}},
		},
		{
			name: "duplicate rows are one grant; a byte order mark is skipped",
			in:   "\xef\xbb\xbfuser.name,application.image\nbob,img\nbob,img\n",
			want: []accounting.Grant{{User: "bob", Image: "img"}},
		},
		{
			name: "one image spelled differently is one application, under the first spelling",
			in:   "user.name,application.image,policy.allow_home\nbob,lab/img,1\nalice,docker.io/lab/img:latest,0\nbob,lab/img:latest,1\n",
			want: []accounting.Grant{{User: "alice", Image: "lab/img"}, {User: "bob", Image: "lab/img", Policy: accounting.Policy{AllowHome: true}}},
		},
		{name: "empty file", in: "", wantErr: "the file is empty"},
		{name: "missing user column", in: "application.image\nimg\n", wantErr: "lacks the required column(s) user.name"},
		{name: "missing image column", in: "user.name\nbob\n", wantErr: "lacks the required column(s) application.image"},
		{name: "column twice", in: "user.name,user.name,application.image\na,b,img\n", wantErr: `column "user.name" appears twice`},
		{name: "short row", in: "user.name,application.image\nbob\n", wantErr: "line 2"},
		{name: "bad boolean", in: "user.name,application.image,policy.allow_home\nbob,img,yes\n", wantErr: `line 2: column policy.allow_home: value "yes" is not 1 or 0`},
		{name: "bad user", in: "user.name,application.image\nBob,img\n", wantErr: `line 2: column user.name: invalid user name "Bob"`},
		{name: "empty user", in: "user.name,application.image\n,img\n", wantErr: "line 2: column user.name: invalid user name"},
		{name: "bad image", in: "user.name,application.image\nbob,Img\n", wantErr: `line 2: column application.image: invalid image name "Img"`},
		{name: "allow_common without volume", in: "user.name,application.image,policy.allow_common\nbob,img,1\n", wantErr: "line 2: column policy.allow_common is 1 but"},
		{name: "partial volume", in: "user.name,application.image,policy.volume_source\nbob,img,/data\n", wantErr: "a volume needs all of"},
		{name: "forbidden volume target", in: "user.name,application.image,policy.volume_source,policy.volume_target,policy.volume_mode\nbob,img,/data,/dev/shm,ro\n", wantErr: "target /dev/shm is inside /dev"},
		{name: "unterminated quote", in: "user.name,application.image\n\"bob,img\n", wantErr: "extraneous or missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(strings.NewReader(tt.in), "test.csv")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "test.csv") {
					t.Fatalf("Parse error = %v, want one naming test.csv and containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []accounting.Grant
			users, _ := s.Users(ctx)
			for _, u := range users {
				gs, _ := s.Grants(ctx, u.Name)
				for _, g := range gs {
					if !accounting.IsMappingID(g.MappingID) {
						t.Errorf("mapping id %q", g.MappingID)
					}
					g.MappingID = ""
					got = append(got, g)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("grants = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("grant %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestSpellingsAreOneApplication(t *testing.T) {
	s, err := Parse(strings.NewReader("user.name,application.image\nbob,x\nalice,docker.io/library/x:latest\ncarol,x:2\n"), "a")
	if err != nil {
		t.Fatal(err)
	}
	apps, _ := s.Applications(t.Context())
	if want := []accounting.Application{{Image: "x"}, {Image: "x:2"}}; !reflect.DeepEqual(apps, want) {
		t.Errorf("Applications() = %+v, want %+v", apps, want)
	}
	// The mapping id stays the one of the row as written.
	alone, err := Parse(strings.NewReader("user.name,application.image\nalice,docker.io/library/x:latest\n"), "b")
	if err != nil {
		t.Fatal(err)
	}
	ga, _ := s.Grants(t.Context(), "alice")
	gb, _ := alone.Grants(t.Context(), "alice")
	if len(ga) != 1 || len(gb) != 1 || ga[0].MappingID != gb[0].MappingID || ga[0].Image != "x" {
		t.Errorf("alice's grants: %+v, alone %+v", ga, gb)
	}
}

func TestMappingIDsDependOnContentOnly(t *testing.T) {
	a, err := Parse(strings.NewReader("user.name,application.image,policy.allow_home\nbob,img,1\nalice,img,0\n"), "a")
	if err != nil {
		t.Fatal(err)
	}
	// Other column order, other row order, another row added.
	b, err := Parse(strings.NewReader("policy.allow_home,application.image,user.name\n1,other,carol\n0,img,alice\n1,img,bob\n"), "b")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		ga, _ := a.Grants(t.Context(), u)
		gb, _ := b.Grants(t.Context(), u)
		if len(ga) != 1 || len(gb) != 1 || ga[0] != gb[0] {
			t.Errorf("grants of %s differ: %+v vs %+v", u, ga, gb)
		}
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "none.csv"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open(missing) = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("user.name,application.image\nbob,img\n")
	f.Add("user.name, application.image, policy.allow_home, policy.allow_common, policy.volume_source, policy.volume_target, policy.volume_mode\nalice, img, 1, 1, /data, /data, ro\n")
	f.Add("image.name,user.name\n\"a,b\",c\n")
	f.Add("\xef\xbb\xbf")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// Everything accepted is valid, and loads to the same ids again.
		again, err := Parse(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			t.Fatalf("second parse failed: %v", err)
		}
		users, _ := s.Users(t.Context())
		for _, u := range users {
			if err := accounting.ValidateUserName(u.Name); err != nil {
				t.Fatal(err)
			}
			gs, _ := s.Grants(t.Context(), u.Name)
			for _, g := range gs {
				if err := accounting.ValidateImage(g.Image); err != nil {
					t.Fatal(err)
				}
				if err := g.Policy.Validate(); err != nil {
					t.Fatal(err)
				}
				if h, err := again.GrantByID(t.Context(), g.MappingID); err != nil || h != g {
					t.Fatalf("grant %+v not found again: %+v, %v", g, h, err)
				}
			}
		}
	})
}
