// Package boltdb is the accounting store kept in one bbolt file: the
// appliance's default, writable backend.
//
// Every mutation runs in a single bbolt transaction, so after a crash (even
// kill -9) the file holds either all of a change or none of it.
package boltdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// Buckets. Keys and values are described next to each one.
var (
	bucketMeta         = []byte("meta")         // "schema_version" → uint64, big endian
	bucketUsers        = []byte("users")        // name → userRecord (JSON)
	bucketApplications = []byte("applications") // image → appRecord (JSON)
	bucketGrants       = []byte("grants")       // mapping id → grantRecord (JSON)
	bucketGrantKeys    = []byte("grant_keys")   // grantKey(user, image, policy) → mapping id
	bucketUserGrants   = []byte("user_grants")  // user "\x00" mapping id → empty
)

type userRecord struct {
	Admin        bool      `json:"admin"`
	PasswordHash string    `json:"password_hash,omitempty"`
	Disabled     bool      `json:"disabled,omitempty"`
	Created      time.Time `json:"created"`
	// UID is the uid the user's sessions run as, 0 until their first
	// session (see SessionUID).
	UID int `json:"uid,omitempty"`
}

type appRecord struct {
	Memory  int64     `json:"memory,omitempty"`
	CPUs    float64   `json:"cpus,omitempty"`
	Pids    int64     `json:"pids,omitempty"`
	Created time.Time `json:"created"`
	// RunAsRoot: the administrator let its containers start as the
	// image's own user.
	RunAsRoot bool `json:"run_as_root,omitempty"`
}

func decodeApp(image string, v []byte) (accounting.Application, error) {
	var rec appRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return accounting.Application{}, fmt.Errorf("decoding application %s: %w", image, err)
	}
	return accounting.Application{Image: image, Limits: accounting.Limits{Memory: rec.Memory, CPUs: rec.CPUs, Pids: rec.Pids}, RunAsRoot: rec.RunAsRoot}, nil
}

// policyRecord is the stored form of a policy. It is deliberately separate
// from the JSON the CLI and API print, so that the file format changes only
// with a migration.
type policyRecord struct {
	AppLicense       string `json:"app_license"`
	AllowHome        bool   `json:"allow_home"`
	AllowView        bool   `json:"allow_view"`
	VolumeSource     string `json:"volume_source"`
	VolumeTarget     string `json:"volume_target"`
	VolumeMode       string `json:"volume_mode"`
	AllowStartupData bool   `json:"allow_startup_data"`
}

type grantRecord struct {
	User    string       `json:"user"`
	Image   string       `json:"image"`
	Policy  policyRecord `json:"policy"`
	Created time.Time    `json:"created"`
}

func toPolicyRecord(p accounting.Policy) policyRecord {
	return policyRecord{
		AppLicense: p.AppLicense, AllowHome: p.AllowHome, AllowView: p.AllowView,
		VolumeSource: p.Volume.Source, VolumeTarget: p.Volume.Target, VolumeMode: p.Volume.Mode,
		AllowStartupData: p.AllowStartupData,
	}
}

func (r policyRecord) policy() accounting.Policy {
	return accounting.Policy{
		AppLicense: r.AppLicense, AllowHome: r.AllowHome, AllowView: r.AllowView,
		Volume:           accounting.Volume{Source: r.VolumeSource, Target: r.VolumeTarget, Mode: r.VolumeMode},
		AllowStartupData: r.AllowStartupData,
	}
}

// grantKey identifies a grant by its content: user, image and policy. JSON of
// a struct has a fixed field order, so equal policies give equal keys.
func grantKey(user, image string, p accounting.Policy) []byte {
	pol, _ := json.Marshal(toPolicyRecord(p)) // cannot fail: strings and bools
	k := make([]byte, 0, len(user)+len(image)+len(pol)+2)
	k = append(k, user...)
	k = append(k, 0)
	k = append(k, image...)
	k = append(k, 0)
	return append(k, pol...)
}

func userGrantKey(user, id string) []byte {
	return append(append([]byte(user), 0), id...)
}

// Store is an accounting.Store in a bbolt file.
type Store struct {
	db  *bolt.DB
	now func() time.Time

	// users caches decoded user records for User, which the proxy calls
	// on every request; every write empties it (make bench: a twentieth
	// of the proxy's CPU went to reading and decoding the record).
	users userCache
}

// ErrLocked means another process has the database open.
var ErrLocked = errors.New("the database is in use by another process")

// lockTimeout bounds the wait for another process's lock on the file.
const lockTimeout = time.Second

// Init creates a new database file at path and refuses to touch an existing
// one. On failure nothing is left at path.
func Init(path string) (*Store, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("creating database %s: %w: refusing to overwrite it", path, accounting.ErrExists)
		}
		return nil, fmt.Errorf("creating database %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("creating database %s: %w", path, err)
	}
	s, err := open(path)
	if err != nil {
		_ = os.Remove(path)
		return nil, err
	}
	return s, nil
}

// Open opens an existing database file, upgrading its schema if it was
// written by an older version. It fails with fs.ErrNotExist when there is no
// file, and with ErrLocked when another process holds it.
func Open(path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("opening database: %w", err)
	}
	return open(path)
}

// OpenOrCreate opens the database at path, creating it if it does not exist.
func OpenOrCreate(path string) (*Store, error) {
	s, err := Init(path)
	if errors.Is(err, accounting.ErrExists) {
		return Open(path)
	}
	return s, err
}

func open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("opening database %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	if err := migrate(db, migrations); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	return &Store{db: db, now: time.Now}, nil
}

// Path is the database file's path.
func (s *Store) Path() string { return s.db.Path() }

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer s.users.invalidate()
	return s.db.Update(fn)
}

func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// CreateUser implements accounting.Store.
func (s *Store) CreateUser(ctx context.Context, u accounting.User) error {
	if err := accounting.ValidateUserName(u.Name); err != nil {
		return fmt.Errorf("creating user: %w", err)
	}
	rec, err := json.Marshal(userRecord{Admin: u.Admin, PasswordHash: u.PasswordHash, Disabled: u.Disabled, Created: s.now().UTC()})
	if err != nil {
		return fmt.Errorf("creating user %s: %w", u.Name, err)
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		if b.Get([]byte(u.Name)) != nil {
			return fmt.Errorf("creating user %s: user %w", u.Name, accounting.ErrExists)
		}
		return b.Put([]byte(u.Name), rec)
	})
}

// RemoveUser implements accounting.Store.
func (s *Store) RemoveUser(ctx context.Context, name string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		users := tx.Bucket(bucketUsers)
		if users.Get([]byte(name)) == nil {
			return fmt.Errorf("removing user %s: user %w", name, accounting.ErrNotFound)
		}
		var ids []string
		prefix := append([]byte(name), 0)
		c := tx.Bucket(bucketUserGrants).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, string(k[len(prefix):]))
		}
		for _, id := range ids {
			if err := deleteGrant(tx, id); err != nil {
				return fmt.Errorf("removing user %s: %w", name, err)
			}
		}
		return users.Delete([]byte(name))
	})
}

// User implements accounting.Store.
func (s *Store) User(ctx context.Context, name string) (accounting.User, error) {
	u, gen, ok := s.users.get(name)
	if ok {
		return u, ctx.Err()
	}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketUsers).Get([]byte(name))
		if v == nil {
			return fmt.Errorf("user %s: %w", name, accounting.ErrNotFound)
		}
		var err error
		u, err = decodeUser(name, v)
		return err
	})
	if err == nil {
		s.users.put(u, gen)
	}
	return u, err
}

func decodeUser(name string, v []byte) (accounting.User, error) {
	var rec userRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return accounting.User{}, fmt.Errorf("decoding user %s: %w", name, err)
	}
	return accounting.User{Name: name, Admin: rec.Admin, PasswordHash: rec.PasswordHash, Disabled: rec.Disabled}, nil
}

// updateUser changes a user's record in one transaction.
func (s *Store) updateUser(ctx context.Context, doing, name string, change func(*userRecord)) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		v := b.Get([]byte(name))
		if v == nil {
			return fmt.Errorf("user %w", accounting.ErrNotFound)
		}
		var rec userRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("decoding user: %w", err)
		}
		change(&rec)
		nv, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), nv)
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", doing, name, err)
	}
	return nil
}

// SetPassword implements accounting.Store.
func (s *Store) SetPassword(ctx context.Context, name, hash string) error {
	return s.updateUser(ctx, "setting the password of", name, func(r *userRecord) { r.PasswordHash = hash })
}

// SetAdmin implements accounting.Store.
func (s *Store) SetAdmin(ctx context.Context, name string, admin bool) error {
	return s.updateUser(ctx, "setting the admin flag of", name, func(r *userRecord) { r.Admin = admin })
}

// SetDisabled implements accounting.Store.
func (s *Store) SetDisabled(ctx context.Context, name string, disabled bool) error {
	return s.updateUser(ctx, "disabling", name, func(r *userRecord) { r.Disabled = disabled })
}

// Users implements accounting.Store. bbolt keeps keys sorted, so the list is.
func (s *Store) Users(ctx context.Context) ([]accounting.User, error) {
	var users []accounting.User
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
			u, err := decodeUser(string(k), v)
			users = append(users, u)
			return err
		})
	})
	return users, err
}

// findApp returns the name under which the application of image is stored
// (accounting.FindImage: any spelling of the image finds it) and its
// record; nil when there is none.
func findApp(tx *bolt.Tx, image string) (string, []byte) {
	b := tx.Bucket(bucketApplications)
	if v := b.Get([]byte(image)); v != nil {
		return image, v
	}
	name, ok := accounting.FindImage(image, func(yield func(string) bool) {
		c := b.Cursor()
		for k, _ := c.First(); k != nil && yield(string(k)); k, _ = c.Next() {
		}
	})
	if !ok {
		return "", nil
	}
	return name, b.Get([]byte(name))
}

// CreateApplication implements accounting.Store. An image that exists
// under another spelling is refused, naming it.
func (s *Store) CreateApplication(ctx context.Context, a accounting.Application) error {
	if err := accounting.ValidateImage(a.Image); err != nil {
		return fmt.Errorf("creating application: %w", err)
	}
	if err := a.Limits.Validate(); err != nil {
		return fmt.Errorf("creating application %s: %w", a.Image, err)
	}
	l := a.Limits
	rec, err := json.Marshal(appRecord{Memory: l.Memory, CPUs: l.CPUs, Pids: l.Pids, RunAsRoot: a.RunAsRoot, Created: s.now().UTC()})
	if err != nil {
		return fmt.Errorf("creating application %s: %w", a.Image, err)
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		if name, v := findApp(tx, a.Image); v != nil {
			if name != a.Image {
				return fmt.Errorf("creating application %s: application %w as %s", a.Image, accounting.ErrExists, name)
			}
			return fmt.Errorf("creating application %s: application %w", a.Image, accounting.ErrExists)
		}
		return tx.Bucket(bucketApplications).Put([]byte(a.Image), rec)
	})
}

// RemoveApplication implements accounting.Store.
func (s *Store) RemoveApplication(ctx context.Context, image string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		stored, v := findApp(tx, image)
		if v == nil {
			return fmt.Errorf("removing application %s: application %w", image, accounting.ErrNotFound)
		}
		var ids []string
		err := tx.Bucket(bucketGrants).ForEach(func(k, v []byte) error {
			g, err := decodeGrant(k, v)
			if err == nil && g.Image == stored {
				ids = append(ids, g.MappingID)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("removing application %s: %w", image, err)
		}
		for _, id := range ids {
			if err := deleteGrant(tx, id); err != nil {
				return fmt.Errorf("removing application %s: %w", image, err)
			}
		}
		return tx.Bucket(bucketApplications).Delete([]byte(stored))
	})
}

// Application implements accounting.Store.
func (s *Store) Application(ctx context.Context, image string) (accounting.Application, error) {
	var a accounting.Application
	err := s.view(ctx, func(tx *bolt.Tx) error {
		stored, v := findApp(tx, image)
		if v == nil {
			return fmt.Errorf("application %s: %w", image, accounting.ErrNotFound)
		}
		var err error
		a, err = decodeApp(stored, v)
		return err
	})
	return a, err
}

// Applications implements accounting.Store.
func (s *Store) Applications(ctx context.Context) ([]accounting.Application, error) {
	var apps []accounting.Application
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketApplications).ForEach(func(k, v []byte) error {
			a, err := decodeApp(string(k), v)
			apps = append(apps, a)
			return err
		})
	})
	return apps, err
}

// SetLimits implements accounting.Store.
func (s *Store) SetLimits(ctx context.Context, image string, l accounting.Limits) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("setting the limits of %s: %w", image, err)
	}
	return s.updateApp(ctx, "setting the limits of", image, func(rec *appRecord) {
		rec.Memory, rec.CPUs, rec.Pids = l.Memory, l.CPUs, l.Pids
	})
}

// SetRunAsRoot implements accounting.Store.
func (s *Store) SetRunAsRoot(ctx context.Context, image string, root bool) error {
	return s.updateApp(ctx, "setting the run-as-root mark of", image, func(rec *appRecord) { rec.RunAsRoot = root })
}

// updateApp changes an application's record in one transaction.
func (s *Store) updateApp(ctx context.Context, doing, image string, change func(*appRecord)) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		stored, v := findApp(tx, image)
		if v == nil {
			return fmt.Errorf("application %s: %w", image, accounting.ErrNotFound)
		}
		var rec appRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("decoding application %s: %w", image, err)
		}
		change(&rec)
		nv, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketApplications).Put([]byte(stored), nv)
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", doing, image, err)
	}
	return nil
}

// Grant implements accounting.Store.
func (s *Store) Grant(ctx context.Context, user, image string, p accounting.Policy) (string, error) {
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("granting %s to %s: %w", image, user, err)
	}
	p = p.Canonical()
	var id string
	err := s.update(ctx, func(tx *bolt.Tx) error {
		image, err := mustExist(tx, user, image)
		if err != nil {
			return err
		}
		key := grantKey(user, image, p)
		keys := tx.Bucket(bucketGrantKeys)
		if existing := keys.Get(key); existing != nil {
			id = string(existing)
			return nil
		}
		id = accounting.NewMappingID()
		rec, err := json.Marshal(grantRecord{User: user, Image: image, Policy: toPolicyRecord(p), Created: s.now().UTC()})
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketGrants).Put([]byte(id), rec); err != nil {
			return err
		}
		if err := keys.Put(key, []byte(id)); err != nil {
			return err
		}
		return tx.Bucket(bucketUserGrants).Put(userGrantKey(user, id), nil)
	})
	if err != nil {
		return "", fmt.Errorf("granting %s to %s: %w", image, user, err)
	}
	return id, nil
}

// mustExist checks that user and the application of image exist, and
// returns the name the application is stored under.
func mustExist(tx *bolt.Tx, user, image string) (string, error) {
	if tx.Bucket(bucketUsers).Get([]byte(user)) == nil {
		return "", fmt.Errorf("user %s: %w", user, accounting.ErrNotFound)
	}
	stored, v := findApp(tx, image)
	if v == nil {
		return "", fmt.Errorf("application %s: %w", image, accounting.ErrNotFound)
	}
	return stored, nil
}

// Revoke implements accounting.Store.
func (s *Store) Revoke(ctx context.Context, user, image string, p accounting.Policy) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("revoking %s from %s: %w", image, user, err)
	}
	p = p.Canonical()
	err := s.update(ctx, func(tx *bolt.Tx) error {
		stored, err := mustExist(tx, user, image)
		if err != nil {
			return err
		}
		id := tx.Bucket(bucketGrantKeys).Get(grantKey(user, stored, p))
		if id == nil {
			return fmt.Errorf("no grant with that policy: %w", accounting.ErrNotFound)
		}
		return deleteGrant(tx, string(id))
	})
	if err != nil {
		return fmt.Errorf("revoking %s from %s: %w", image, user, err)
	}
	return nil
}

// RevokeAll implements accounting.Store.
func (s *Store) RevokeAll(ctx context.Context, user, image string) (int, error) {
	var n int
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		stored, err := mustExist(tx, user, image)
		if err != nil {
			return err
		}
		grants, err := userGrants(tx, user)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if g.Image != stored {
				continue
			}
			if err := deleteGrant(tx, g.MappingID); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("revoking all grants of %s from %s: %w", image, user, err)
	}
	return n, nil
}

// RevokeMapping implements accounting.Store.
func (s *Store) RevokeMapping(ctx context.Context, mappingID string) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		return deleteGrant(tx, mappingID)
	})
	if err != nil {
		return fmt.Errorf("revoking mapping %s: %w", mappingID, err)
	}
	return nil
}

// deleteGrant removes a grant and its index entries.
func deleteGrant(tx *bolt.Tx, id string) error {
	grants := tx.Bucket(bucketGrants)
	v := grants.Get([]byte(id))
	if v == nil {
		return fmt.Errorf("grant %s: %w", id, accounting.ErrNotFound)
	}
	g, err := decodeGrant([]byte(id), v)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketGrantKeys).Delete(grantKey(g.User, g.Image, g.Policy)); err != nil {
		return err
	}
	if err := tx.Bucket(bucketUserGrants).Delete(userGrantKey(g.User, id)); err != nil {
		return err
	}
	return grants.Delete([]byte(id))
}

func decodeGrant(k, v []byte) (accounting.Grant, error) {
	var rec grantRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return accounting.Grant{}, fmt.Errorf("decoding grant %s: %w", k, err)
	}
	return accounting.Grant{MappingID: string(k), User: rec.User, Image: rec.Image, Policy: rec.Policy.policy()}, nil
}

func userGrants(tx *bolt.Tx, user string) ([]accounting.Grant, error) {
	var out []accounting.Grant
	prefix := append([]byte(user), 0)
	grants := tx.Bucket(bucketGrants)
	c := tx.Bucket(bucketUserGrants).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		id := k[len(prefix):]
		v := grants.Get(id)
		if v == nil {
			return nil, fmt.Errorf("index names missing grant %s of user %s", id, user)
		}
		g, err := decodeGrant(id, v)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	sortGrants(out)
	return out, nil
}

func sortGrants(gs []accounting.Grant) {
	sort.Slice(gs, func(i, j int) bool {
		if gs[i].Image != gs[j].Image {
			return gs[i].Image < gs[j].Image
		}
		return gs[i].MappingID < gs[j].MappingID
	})
}

// Grants implements accounting.Store.
func (s *Store) Grants(ctx context.Context, user string) ([]accounting.Grant, error) {
	var out []accounting.Grant
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketUsers).Get([]byte(user)) == nil {
			return fmt.Errorf("user %s: %w", user, accounting.ErrNotFound)
		}
		var err error
		out, err = userGrants(tx, user)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing grants: %w", err)
	}
	return out, nil
}

// GrantByID implements accounting.Store.
func (s *Store) GrantByID(ctx context.Context, mappingID string) (accounting.Grant, error) {
	var g accounting.Grant
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketGrants).Get([]byte(mappingID))
		if v == nil {
			return fmt.Errorf("grant %s: %w", mappingID, accounting.ErrNotFound)
		}
		var err error
		g, err = decodeGrant([]byte(mappingID), v)
		return err
	})
	return g, err
}

var _ accounting.Store = (*Store)(nil)
