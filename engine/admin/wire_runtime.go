package admin

import (
	"time"

	"github.com/simphony/simphony-remote/engine/api/wire"
)

// The admin API's forms of the runtime's types, both ways: the server
// (engine/api) writes them, Client reads them.

// WireSession is s as GET /containers shows it; url is its address.
func WireSession(s Session, url string) wire.AdminContainer {
	w := wire.AdminContainer{
		URLID: s.URLID, MappingID: s.MappingID, User: s.User, Image: s.Image, URLPath: s.URLPath, URL: url,
		Started: s.Started.UTC(), LastActive: s.LastActive.UTC(), Viewers: []wire.Viewer{},
	}
	for _, v := range s.Viewers {
		w.Viewers = append(w.Viewers, wire.Viewer{User: v.User, Mode: v.Mode, Expires: v.Expires})
	}
	return w
}

func sessionOfWire(w wire.AdminContainer) Session {
	s := Session{URLID: w.URLID, MappingID: w.MappingID, User: w.User, Image: w.Image, URLPath: w.URLPath,
		Started: w.Started, LastActive: w.LastActive, Viewers: []Viewer{}}
	for _, v := range w.Viewers {
		s.Viewers = append(s.Viewers, Viewer{User: v.User, Mode: v.Mode, Expires: v.Expires})
	}
	return s
}

// WireShares are ss as GET /shares?user= shows them.
func WireShares(ss []Share) []wire.AdminShare {
	out := make([]wire.AdminShare, 0, len(ss))
	for _, s := range ss {
		out = append(out, wire.AdminShare{URLID: s.URLID, Owner: s.Owner, Image: s.Image, User: s.User, Mode: s.Mode, Expires: s.Expires})
	}
	return out
}

// WireStats is st as GET /stats shows it.
func WireStats(st Stats) wire.AdminStats {
	w := wire.AdminStats{
		Realm: st.Realm, Users: st.Users, ActiveUsers: st.ActiveUsers, Applications: st.Applications,
		RunningSessions: st.RunningSessions, SignedInUsers: st.SignedInUsers,
		Starts24h: st.Starts24h, Failures24h: st.Failures24h, PerApplication: st.PerApplication,
		Docker: st.Docker, DataBytes: st.DataBytes, HomesBytes: st.HomesBytes,
		Running: make([]wire.RunningSample, 0, len(st.Running)), StartTimes: make([]wire.StartTimes, 0, len(st.StartTimes)),
	}
	if w.PerApplication == nil {
		w.PerApplication = map[string]int{}
	}
	for _, s := range st.Running {
		w.Running = append(w.Running, wire.RunningSample{Time: s.Time, Count: s.Count})
	}
	for _, h := range st.StartTimes {
		w.StartTimes = append(w.StartTimes, wire.StartTimes{Hour: h.Hour, Starts: h.Starts, P50MS: h.P50.Milliseconds(), P95MS: h.P95.Milliseconds()})
	}
	return w
}

func statsOfWire(w wire.AdminStats) Stats {
	st := Stats{
		Realm: w.Realm, Users: w.Users, ActiveUsers: w.ActiveUsers, Applications: w.Applications,
		RunningSessions: w.RunningSessions, SignedInUsers: w.SignedInUsers,
		Starts24h: w.Starts24h, Failures24h: w.Failures24h, PerApplication: w.PerApplication,
		Docker: w.Docker, DataBytes: w.DataBytes, HomesBytes: w.HomesBytes,
		Running: make([]Sample, 0, len(w.Running)), StartTimes: make([]StartTimes, 0, len(w.StartTimes)),
	}
	if st.PerApplication == nil {
		st.PerApplication = map[string]int{}
	}
	for _, s := range w.Running {
		st.Running = append(st.Running, Sample{Time: s.Time, Count: s.Count})
	}
	for _, h := range w.StartTimes {
		st.StartTimes = append(st.StartTimes, StartTimes{Hour: h.Hour, Starts: h.Starts,
			P50: time.Duration(h.P50MS) * time.Millisecond, P95: time.Duration(h.P95MS) * time.Millisecond})
	}
	return st
}

// WireInfo is i as GET /info shows it.
func WireInfo(i Info) wire.AdminInfo {
	w := wire.AdminInfo{Realm: i.Realm, Backend: i.Backend, ReadOnly: i.ReadOnly, Warnings: i.Warnings,
		Version: i.Version, Commit: i.Commit, URL: i.URL, CAFingerprint: i.CAFingerprint, PID: i.PID}
	if w.Warnings == nil {
		w.Warnings = []string{}
	}
	if !i.Started.IsZero() {
		t := i.Started.UTC()
		w.Started = &t
	}
	return w
}

func infoOfWire(w wire.AdminInfo) Info {
	i := Info{Realm: w.Realm, Backend: w.Backend, ReadOnly: w.ReadOnly, Warnings: w.Warnings,
		Version: w.Version, Commit: w.Commit, URL: w.URL, CAFingerprint: w.CAFingerprint, PID: w.PID}
	if i.Warnings == nil {
		i.Warnings = []string{}
	}
	if w.Started != nil {
		i.Started = *w.Started
	}
	return i
}

// WireLog is p as GET /log shows it.
func WireLog(p LogPage) wire.LogPage {
	w := wire.LogPage{Lines: make([]wire.LogLine, len(p.Lines)), Next: p.Next, Dropped: p.Dropped}
	for i, l := range p.Lines {
		w.Lines[i] = wire.LogLine{Seq: l.Seq, Line: l.Line}
	}
	return w
}

func logOfWire(w wire.LogPage) LogPage {
	p := LogPage{Lines: make([]LogLine, len(w.Lines)), Next: w.Next, Dropped: w.Dropped}
	for i, l := range w.Lines {
		p.Lines[i] = LogLine{Seq: l.Seq, Line: l.Line}
	}
	return p
}

// WireImage is img as GET /images shows it.
func WireImage(img Image) wire.ImageInfo {
	w := wire.ImageInfo{Name: img.Name, ID: img.ID, UIName: img.UIName, Type: img.Type, Description: img.Description,
		HasProtocol: img.HasProtocol, Registered: img.Registered, Size: img.Size, Created: img.Created.UTC(), InUse: img.InUse,
		Icon128: img.Icon128, Env: []wire.DeclaredEnv{}, Configurables: append([]string{}, img.Configurables...)}
	for _, e := range img.Env {
		w.Env = append(w.Env, wire.DeclaredEnv{Name: e.Name, Description: e.Description})
	}
	return w
}

func imageOfWire(w wire.ImageInfo) Image {
	img := Image{Name: w.Name, ID: w.ID, Size: w.Size, Created: w.Created, HasProtocol: w.HasProtocol,
		Registered: w.Registered, InUse: w.InUse, UIName: w.UIName, Type: w.Type, Description: w.Description,
		Icon128: w.Icon128, Env: []DeclaredEnv{}, Configurables: append([]string{}, w.Configurables...)}
	for _, e := range w.Env {
		img.Env = append(img.Env, DeclaredEnv{Name: e.Name, Description: e.Description})
	}
	return img
}

// WireImport is r as POST /images/import answers it.
func WireImport(r ImportResult) wire.ImportResult {
	w := wire.ImportResult{Images: []wire.ImportedImage{}, Warnings: []string{}}
	for _, i := range r.Images {
		w.Images = append(w.Images, wire.ImportedImage{Name: i.Name, ID: i.ID, HasProtocol: i.HasProtocol})
	}
	w.Warnings = append(w.Warnings, r.Warnings...)
	return w
}

func importOfWire(w wire.ImportResult) ImportResult {
	r := ImportResult{Images: []ImportedImage{}, Warnings: []string{}}
	for _, i := range w.Images {
		r.Images = append(r.Images, ImportedImage{Name: i.Name, ID: i.ID, HasProtocol: i.HasProtocol})
	}
	r.Warnings = append(r.Warnings, w.Warnings...)
	return r
}

// WireBuild is r as POST /images/build answers it.
func WireBuild(r BuildResult) wire.BuildResult {
	return wire.BuildResult{Name: r.Name, ID: r.ID, HasProtocol: r.HasProtocol, Log: r.Log}
}

// WireStarters is b as GET /starters shows it.
func WireStarters(b StartersBuild) wire.StartersBuild {
	w := wire.StartersBuild{Running: b.Running, Log: b.Log, Error: b.Err}
	if w.Log == nil {
		w.Log = []string{}
	}
	if !b.Started.IsZero() {
		t := b.Started.UTC()
		w.Started = &t
	}
	if !b.Finished.IsZero() {
		t := b.Finished.UTC()
		w.Finished = &t
	}
	return w
}

func startersOfWire(w wire.StartersBuild) StartersBuild {
	b := StartersBuild{Running: w.Running, Log: w.Log, Err: w.Error}
	if b.Log == nil {
		b.Log = []string{}
	}
	if w.Started != nil {
		b.Started = *w.Started
	}
	if w.Finished != nil {
		b.Finished = *w.Finished
	}
	return b
}
