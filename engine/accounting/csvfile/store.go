// Package csvfile reads simphony-remote's CSV accounting file as a read-only
// accounting store.
//
// The first row names the columns, in any order:
//
//	user.name, application.image, policy.app_license, policy.allow_home,
//	policy.allow_view, policy.allow_common, policy.volume_source,
//	policy.volume_target, policy.volume_mode, policy.allow_startup_data
//
// user.name and application.image (or the older image.name) are required;
// a missing policy column means false or empty, and unknown columns are
// ignored, as the original did. Booleans are 1 or 0 (or empty, for 0).
// Each following row grants one application to one user. When
// policy.allow_common is 0 the volume columns are ignored, as the original
// did; when it is 1 (or the column is absent) and a volume is given, all
// three volume columns are required.
//
// Mapping ids are derived from a row's content, so they are the same at every
// load, and identical rows are one grant. Rows that spell one image
// differently ("x", "x:latest", "docker.io/library/x") name one application,
// under the first row's spelling (accounting.SameImage); their mapping ids
// stay derived from the rows as written.
package csvfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// Column names of the original's format.
const (
	colUser             = "user.name"
	colImage            = "application.image"
	colImageOld         = "image.name"
	colAppLicense       = "policy.app_license"
	colAllowHome        = "policy.allow_home"
	colAllowView        = "policy.allow_view"
	colAllowCommon      = "policy.allow_common"
	colVolumeSource     = "policy.volume_source"
	colVolumeTarget     = "policy.volume_target"
	colVolumeMode       = "policy.volume_mode"
	colAllowStartupData = "policy.allow_startup_data"
)

// MaxFileSize bounds the file read into memory.
const MaxFileSize = 64 << 20

// Store is a read-only accounting.Store loaded from a CSV file.
type Store struct {
	source string
	users  []string // sorted
	apps   []string // sorted
	grants map[string]accounting.Grant
	byUser map[string][]accounting.Grant // sorted by image, then id
}

// Open loads the CSV file at path.
func Open(path string) (*Store, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening accounting file: %w", err)
	}
	defer f.Close()
	s, err := Parse(io.LimitReader(f, MaxFileSize+1), path)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Parse reads CSV accounting data from r; name is used in messages.
func Parse(r io.Reader, name string) (*Store, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, MaxFileSize>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM from spreadsheet exports
	cr := csv.NewReader(bytes.NewReader(data))
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: the file is empty; the first row must name the columns (%s, %s, ...)", name, colUser, colImage)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cols, err := columns(header)
	if err != nil {
		return nil, fmt.Errorf("%s line 1: %w", name, err)
	}

	s := &Store{source: name, grants: map[string]accounting.Grant{}, byUser: map[string][]accounting.Grant{}}
	users, apps := map[string]bool{}, map[string]bool{}
	var spellings []string // the applications' names, in the order of the file
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		g, err := cols.grant(rec)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, line, err)
		}
		if name, ok := accounting.FindImage(g.Image, slices.Values(spellings)); ok {
			g.Image = name
		} else {
			spellings = append(spellings, g.Image)
		}
		users[g.User], apps[g.Image] = true, true
		if _, dup := s.grants[g.MappingID]; dup || slices.ContainsFunc(s.byUser[g.User], func(h accounting.Grant) bool {
			return h.Image == g.Image && h.Policy == g.Policy // the same grant with the image spelled otherwise
		}) {
			continue
		}
		s.grants[g.MappingID] = g
		s.byUser[g.User] = append(s.byUser[g.User], g)
	}
	s.users, s.apps = sortedKeys(users), sortedKeys(apps)
	for _, gs := range s.byUser {
		sort.Slice(gs, func(i, j int) bool {
			if gs[i].Image != gs[j].Image {
				return gs[i].Image < gs[j].Image
			}
			return gs[i].MappingID < gs[j].MappingID
		})
	}
	return s, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// columns maps column names to their index; -1 when absent.
type columnIndex map[string]int

func columns(header []string) (columnIndex, error) {
	idx := columnIndex{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := idx[h]; dup && h != "" {
			return nil, fmt.Errorf("column %q appears twice", h)
		}
		idx[h] = i
	}
	if _, ok := idx[colImage]; !ok {
		if i, ok := idx[colImageOld]; ok {
			idx[colImage] = i
		}
	}
	var missing []string
	for _, c := range []string{colUser, colImage} {
		if _, ok := idx[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the header row lacks the required column(s) %s (it has: %s)",
			strings.Join(missing, ", "), strings.Join(header, ", "))
	}
	return idx, nil
}

func (c columnIndex) get(rec []string, col string) (string, bool) {
	i, ok := c[col]
	if !ok {
		return "", false
	}
	return strings.TrimSpace(rec[i]), true
}

func (c columnIndex) flag(rec []string, col string) (bool, error) {
	v, _ := c.get(rec, col)
	switch v {
	case "1":
		return true, nil
	case "0", "":
		return false, nil
	}
	return false, fmt.Errorf("column %s: value %q is not 1 or 0", col, v)
}

func (c columnIndex) grant(rec []string) (accounting.Grant, error) {
	user, _ := c.get(rec, colUser)
	image, _ := c.get(rec, colImage)
	if err := accounting.ValidateUserName(user); err != nil {
		return accounting.Grant{}, fmt.Errorf("column %s: %w", colUser, err)
	}
	if err := accounting.ValidateImage(image); err != nil {
		return accounting.Grant{}, fmt.Errorf("column %s: %w", colImage, err)
	}
	var p accounting.Policy
	var err error
	// The licence is kept as written: it is handed to the application verbatim.
	if i, ok := c[colAppLicense]; ok {
		p.AppLicense = rec[i]
	}
	for _, f := range []struct {
		col string
		dst *bool
	}{{colAllowHome, &p.AllowHome}, {colAllowView, &p.AllowView}, {colAllowStartupData, &p.AllowStartupData}} {
		if *f.dst, err = c.flag(rec, f.col); err != nil {
			return accounting.Grant{}, err
		}
	}
	common, err := c.flag(rec, colAllowCommon)
	if err != nil {
		return accounting.Grant{}, err
	}
	_, hasCommon := c[colAllowCommon]
	src, _ := c.get(rec, colVolumeSource)
	tgt, _ := c.get(rec, colVolumeTarget)
	mode, _ := c.get(rec, colVolumeMode)
	anyVolume := src != "" || tgt != "" || mode != ""
	switch {
	case hasCommon && !common:
		// allow_common = 0: no common volume, whatever the volume columns say.
	case common && !anyVolume:
		return accounting.Grant{}, fmt.Errorf("column %s is 1 but %s, %s and %s are empty", colAllowCommon, colVolumeSource, colVolumeTarget, colVolumeMode)
	case anyVolume:
		if src == "" || tgt == "" || mode == "" {
			return accounting.Grant{}, fmt.Errorf("a volume needs all of %s, %s and %s (got %q, %q, %q)", colVolumeSource, colVolumeTarget, colVolumeMode, src, tgt, mode)
		}
		p.Volume = accounting.Volume{Source: src, Target: tgt, Mode: mode}
	}
	if err := p.Validate(); err != nil {
		return accounting.Grant{}, err
	}
	p = p.Canonical()
	return accounting.Grant{MappingID: mappingID(user, image, p), User: user, Image: image, Policy: p}, nil
}

// mappingID derives a stable id from a grant's content: the first 128 bits
// of a SHA-256 over a versioned, unambiguous (JSON) encoding.
func mappingID(user, image string, p accounting.Policy) string {
	b, _ := json.Marshal([]any{"simphony-remote csv grant v1", user, image,
		p.AppLicense, p.AllowHome, p.AllowView, p.Volume.Source, p.Volume.Target, p.Volume.Mode, p.AllowStartupData})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// ReadOnly says that the store refuses every write (see
// accounting.ReadOnly).
func (s *Store) ReadOnly() bool { return true }

func (s *Store) readOnly(doing string) error {
	return fmt.Errorf("%s: %w: %s is a CSV file; edit the file, or use the bbolt backend", doing, accounting.ErrReadOnly, s.source)
}

// CreateUser implements accounting.Store: always ErrReadOnly.
func (s *Store) CreateUser(_ context.Context, u accounting.User) error {
	return s.readOnly("creating user " + u.Name)
}

// RemoveUser implements accounting.Store: always ErrReadOnly.
func (s *Store) RemoveUser(_ context.Context, name string) error {
	return s.readOnly("removing user " + name)
}

// User implements accounting.Store. CSV users are never admins and have no
// password.
func (s *Store) User(_ context.Context, name string) (accounting.User, error) {
	i := sort.SearchStrings(s.users, name)
	if i == len(s.users) || s.users[i] != name {
		return accounting.User{}, fmt.Errorf("user %s: %w", name, accounting.ErrNotFound)
	}
	return accounting.User{Name: name}, nil
}

// Users implements accounting.Store.
func (s *Store) Users(context.Context) ([]accounting.User, error) {
	out := make([]accounting.User, len(s.users))
	for i, n := range s.users {
		out[i] = accounting.User{Name: n}
	}
	return out, nil
}

// SetPassword implements accounting.Store: always ErrReadOnly.
func (s *Store) SetPassword(_ context.Context, name, _ string) error {
	return s.readOnly("setting the password of " + name)
}

// SetAdmin implements accounting.Store: always ErrReadOnly.
func (s *Store) SetAdmin(_ context.Context, name string, _ bool) error {
	return s.readOnly("setting the admin flag of " + name)
}

// SetDisabled implements accounting.Store: always ErrReadOnly.
func (s *Store) SetDisabled(_ context.Context, name string, _ bool) error {
	return s.readOnly("disabling " + name)
}

// CreateApplication implements accounting.Store: always ErrReadOnly.
func (s *Store) CreateApplication(_ context.Context, a accounting.Application) error {
	return s.readOnly("creating application " + a.Image)
}

// RemoveApplication implements accounting.Store: always ErrReadOnly.
func (s *Store) RemoveApplication(_ context.Context, image string) error {
	return s.readOnly("removing application " + image)
}

// Applications implements accounting.Store.
func (s *Store) Applications(context.Context) ([]accounting.Application, error) {
	out := make([]accounting.Application, len(s.apps))
	for i, a := range s.apps {
		out[i] = accounting.Application{Image: a}
	}
	return out, nil
}

// Application implements accounting.Store: any spelling of the image finds
// it (accounting.FindImage). CSV applications have the default limits.
func (s *Store) Application(_ context.Context, image string) (accounting.Application, error) {
	name, ok := accounting.FindImage(image, slices.Values(s.apps))
	if !ok {
		return accounting.Application{}, fmt.Errorf("application %s: %w", image, accounting.ErrNotFound)
	}
	return accounting.Application{Image: name}, nil
}

// SetLimits implements accounting.Store: always ErrReadOnly.
func (s *Store) SetLimits(_ context.Context, image string, _ accounting.Limits) error {
	return s.readOnly("setting the limits of " + image)
}

// Grant implements accounting.Store: always ErrReadOnly.
func (s *Store) Grant(_ context.Context, user, image string, _ accounting.Policy) (string, error) {
	return "", s.readOnly(fmt.Sprintf("granting %s to %s", image, user))
}

// Revoke implements accounting.Store: always ErrReadOnly.
func (s *Store) Revoke(_ context.Context, user, image string, _ accounting.Policy) error {
	return s.readOnly(fmt.Sprintf("revoking %s from %s", image, user))
}

// RevokeAll implements accounting.Store: always ErrReadOnly.
func (s *Store) RevokeAll(_ context.Context, user, image string) (int, error) {
	return 0, s.readOnly(fmt.Sprintf("revoking all grants of %s from %s", image, user))
}

// RevokeMapping implements accounting.Store: always ErrReadOnly.
func (s *Store) RevokeMapping(_ context.Context, mappingID string) error {
	return s.readOnly("revoking mapping " + mappingID)
}

// Grants implements accounting.Store.
func (s *Store) Grants(ctx context.Context, user string) ([]accounting.Grant, error) {
	if _, err := s.User(ctx, user); err != nil {
		return nil, fmt.Errorf("listing grants: %w", err)
	}
	return append([]accounting.Grant(nil), s.byUser[user]...), nil
}

// GrantByID implements accounting.Store.
func (s *Store) GrantByID(_ context.Context, mappingID string) (accounting.Grant, error) {
	g, ok := s.grants[mappingID]
	if !ok {
		return accounting.Grant{}, fmt.Errorf("grant %s: %w", mappingID, accounting.ErrNotFound)
	}
	return g, nil
}

// Close implements accounting.Store.
func (s *Store) Close() error { return nil }

var _ accounting.Store = (*Store)(nil)
