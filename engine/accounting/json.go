package accounting

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// policyJSON is the one JSON form of a policy, used by the CLI and the API.
// Its field names are simphony-remote's.
type policyJSON struct {
	AppLicense       string `json:"app_license"`
	AllowHome        bool   `json:"allow_home"`
	AllowView        bool   `json:"allow_view"`
	VolumeSource     string `json:"volume_source"`
	VolumeTarget     string `json:"volume_target"`
	VolumeMode       string `json:"volume_mode"`
	AllowStartupData bool   `json:"allow_startup_data"`
}

// MarshalJSON writes the policy with simphony-remote's field names; the
// volume fields are empty strings when there is no volume.
func (p Policy) MarshalJSON() ([]byte, error) {
	return json.Marshal(policyJSON{
		AppLicense: p.AppLicense, AllowHome: p.AllowHome, AllowView: p.AllowView,
		VolumeSource: p.Volume.Source, VolumeTarget: p.Volume.Target, VolumeMode: p.Volume.Mode,
		AllowStartupData: p.AllowStartupData,
	})
}

// UnmarshalJSON reads what MarshalJSON writes, rejecting unknown fields,
// and validates the result.
func (p *Policy) UnmarshalJSON(b []byte) error {
	var j policyJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	q := Policy{
		AppLicense: j.AppLicense, AllowHome: j.AllowHome, AllowView: j.AllowView,
		Volume:           Volume{Source: j.VolumeSource, Target: j.VolumeTarget, Mode: j.VolumeMode},
		AllowStartupData: j.AllowStartupData,
	}
	if err := q.Validate(); err != nil {
		return err
	}
	*p = q.Canonical()
	return nil
}

// userJSON never carries the password hash.
type userJSON struct {
	Name        string `json:"name"`
	Admin       bool   `json:"admin"`
	Disabled    bool   `json:"disabled"`
	HasPassword bool   `json:"has_password"`
}

// MarshalJSON writes the name and flags; the password hash never leaves
// the store.
func (u User) MarshalJSON() ([]byte, error) {
	return json.Marshal(userJSON{Name: u.Name, Admin: u.Admin, Disabled: u.Disabled, HasPassword: u.PasswordHash != ""})
}

// LimitsJSON is the JSON form of Limits; 0 means the default.
type LimitsJSON struct {
	MemoryBytes int64   `json:"memory_bytes"`
	CPUs        float64 `json:"cpus"`
	Pids        int64   `json:"pids"`
}

// MarshalJSON writes {"image", "limits": {"memory_bytes", "cpus", "pids"},
// "run_as_root"}.
func (a Application) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Image     string     `json:"image"`
		Limits    LimitsJSON `json:"limits"`
		RunAsRoot bool       `json:"run_as_root"`
	}{a.Image, LimitsJSON{a.Limits.Memory, a.Limits.CPUs, a.Limits.Pids}, a.RunAsRoot})
}

// MarshalJSON writes {"mapping_id", "user", "image", "policy"}.
func (g Grant) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		MappingID string `json:"mapping_id"`
		User      string `json:"user"`
		Image     string `json:"image"`
		Policy    Policy `json:"policy"`
	}{g.MappingID, g.User, g.Image, g.Policy})
}
