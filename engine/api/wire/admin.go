package wire

import "github.com/simphony/simphony-remote/engine/accounting"

// CreateUser is the body of POST /api/v1/admin/users.
type CreateUser struct {
	Name  string `json:"name"`
	Admin bool   `json:"admin"`
	// Password is a plain password, hashed by the server; empty for none.
	Password string `json:"password,omitempty"`
}

// UpdateUser is the body of PATCH /api/v1/admin/users/{name}: only the
// fields given change. Password "" removes the user's password.
type UpdateUser struct {
	Admin    *bool   `json:"admin,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
	Password *string `json:"password,omitempty"`
}

// CreateApplication is the body of POST /api/v1/admin/applications.
type CreateApplication struct {
	Image string `json:"image"`
	// Verify asks the server's Docker Engine whether it has the image;
	// absent means true.
	Verify *bool                 `json:"verify,omitempty"`
	Limits accounting.LimitsJSON `json:"limits"`
	// RunAsRoot lets its containers start as the image's own user
	// (usually root) instead of the session owner's uid.
	RunAsRoot bool `json:"run_as_root,omitempty"`
}

// UpdateApplication is the body of PATCH /api/v1/admin/applications/{image}.
// At least one of its fields is required.
type UpdateApplication struct {
	// Limits names the limits to change.
	Limits *LimitsChange `json:"limits,omitempty"`
	// RunAsRoot sets or clears the run-as-root mark.
	RunAsRoot *bool `json:"run_as_root,omitempty"`
}

// LimitsChange is the "limits" of UpdateApplication: only the limits given
// change, the others stay (0: back to the appliance default).
type LimitsChange struct {
	MemoryBytes *int64   `json:"memory_bytes,omitempty"`
	CPUs        *float64 `json:"cpus,omitempty"`
	Pids        *int64   `json:"pids,omitempty"`
}

// CreateGrant is the body of POST /api/v1/admin/grants. An absent policy is
// the plain policy (no home, no view, no volume, no startup data).
type CreateGrant struct {
	User   string            `json:"user"`
	Image  string            `json:"image"`
	Policy accounting.Policy `json:"policy"`
}

// RevokeGrants is the body of POST /api/v1/admin/grants/revoke: either the
// grant with exactly Policy, or with All every grant of Image to User.
type RevokeGrants struct {
	User   string             `json:"user"`
	Image  string             `json:"image"`
	Policy *accounting.Policy `json:"policy,omitempty"`
	All    bool               `json:"all,omitempty"`
}

// MappingID answers POST /api/v1/admin/grants.
type MappingID struct {
	MappingID string `json:"mapping_id"`
}

// SignInLink answers POST /api/v1/admin/users/{name}/sign-in-link: the
// one-time link that signs the user in.
type SignInLink struct {
	URL string `json:"url"`
}

// Revoked answers POST /api/v1/admin/grants/revoke.
type Revoked struct {
	Revoked int `json:"revoked"`
}

// User is a user as the admin API shows it; Grants is present when asked
// for with ?grants=1. The password hash never leaves the server.
type User struct {
	Name        string   `json:"name"`
	Admin       bool     `json:"admin"`
	Disabled    bool     `json:"disabled"`
	HasPassword bool     `json:"has_password"`
	Grants      *[]Grant `json:"grants,omitempty"`
}

// Application reads accounting.Application's JSON form.
type Application struct {
	Image     string                `json:"image"`
	Limits    accounting.LimitsJSON `json:"limits"`
	RunAsRoot bool                  `json:"run_as_root"`
}

// Application converts a to the accounting form.
func (a Application) Application() accounting.Application {
	return accounting.Application{Image: a.Image, Limits: accounting.Limits{Memory: a.Limits.MemoryBytes, CPUs: a.Limits.CPUs, Pids: a.Limits.Pids}, RunAsRoot: a.RunAsRoot}
}

// Grant reads accounting.Grant's JSON form.
type Grant struct {
	MappingID string `json:"mapping_id"`
	User      string `json:"user"`
	Image     string `json:"image"`
	Policy    Policy `json:"policy"`
}

// Grant converts g to the accounting form.
func (g Grant) Grant() accounting.Grant {
	return accounting.Grant{MappingID: g.MappingID, User: g.User, Image: g.Image, Policy: g.Policy.Policy()}
}

// Policy reads accounting.Policy's JSON form without validating it.
type Policy struct {
	AppLicense       string `json:"app_license"`
	AllowHome        bool   `json:"allow_home"`
	AllowView        bool   `json:"allow_view"`
	VolumeSource     string `json:"volume_source"`
	VolumeTarget     string `json:"volume_target"`
	VolumeMode       string `json:"volume_mode"`
	AllowStartupData bool   `json:"allow_startup_data"`
}

// Policy converts p to the accounting form.
func (p Policy) Policy() accounting.Policy {
	return accounting.Policy{
		AppLicense: p.AppLicense, AllowHome: p.AllowHome, AllowView: p.AllowView,
		Volume:           accounting.Volume{Source: p.VolumeSource, Target: p.VolumeTarget, Mode: p.VolumeMode},
		AllowStartupData: p.AllowStartupData,
	}
}

// Import is the body of POST /api/v1/admin/import: another installation's
// records (see admin.Service.Import). Every grant's user and application
// must be listed.
type Import struct {
	Users        []string `json:"users"`
	Applications []string `json:"applications"`
	Grants       []Grant  `json:"grants"`
	DryRun       bool     `json:"dry_run"`
}

// ImportReport answers POST /api/v1/admin/import: what was added (or with
// dry_run would be), how many records were there already, and the
// conflicts that were not imported, one line each.
type ImportReport struct {
	DryRun       bool               `json:"dry_run"`
	Users        []string           `json:"users"`
	Applications []string           `json:"applications"`
	Grants       []accounting.Grant `json:"grants"`
	Unchanged    int                `json:"unchanged"`
	Conflicts    []string           `json:"conflicts"`
}
