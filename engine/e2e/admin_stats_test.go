package e2e

import (
	"net/http"
	"testing"

	"github.com/simphony/simphony-remote/engine/api/wire"
)

// TestAdminSessionsStatsAndInfo follows a session through the admin API of
// the whole appliance: listed with its viewers, counted in the stats and
// their history, stopped by an administrator; and the history survives a
// restart, rebuilt from the audit log.
func TestAdminSessionsStatsAndInfo(t *testing.T) {
	m := newMatrix(t)

	var list []wire.AdminContainer
	m.admin.json("GET", "/api/v1/admin/containers", nil, http.StatusOK, &list)
	if len(list) != 1 || list[0].URLID != m.session.URLID || list[0].User != "alice" || list[0].URL != m.Server.URL+m.session.URLPath {
		t.Fatalf("containers: %+v", list)
	}
	if v := list[0].Viewers; len(v) != 2 || v[0].User != "bob" || v[0].Mode != "view" || v[1].User != "carol" || v[1].Mode != "control" {
		t.Errorf("viewers: %+v", v)
	}

	var info wire.AdminInfo
	m.admin.json("GET", "/api/v1/admin/info", nil, http.StatusOK, &info)
	if info.Realm != m.Config.Realm || info.Backend != "bbolt" || info.ReadOnly {
		t.Errorf("info: %+v", info)
	}

	var st wire.AdminStats
	m.admin.json("GET", "/api/v1/admin/stats", nil, http.StatusOK, &st)
	// The newest sample, and the hour that holds the one start: the last
	// hour, or the one before when the test runs across o'clock.
	last := func(st wire.AdminStats) (wire.RunningSample, wire.StartTimes) {
		t.Helper()
		if len(st.Running) != 144 || len(st.StartTimes) != 24 {
			t.Fatalf("stats: %d samples, %d hours; want 144, 24", len(st.Running), len(st.StartTimes))
		}
		hour := st.StartTimes[23]
		if prev := st.StartTimes[22]; hour.Starts == 0 && prev.Starts != 0 {
			hour = prev
		}
		return st.Running[143], hour
	}
	run, hour := last(st)
	if st.RunningSessions != 1 || st.ActiveUsers != 1 || st.PerApplication[m.image] != 1 || st.Starts24h != 1 || st.Failures24h != 0 ||
		st.Docker != "ok" || st.DataBytes <= 0 || st.HomesBytes < 0 || run.Count != 1 || hour.Starts != 1 || hour.P50MS <= 0 {
		t.Errorf("stats with a session: %+v, now %+v, this hour %+v", st, run, hour)
	}

	// Stopped by an administrator: audited, gone from the list.
	m.admin.json("DELETE", "/api/v1/admin/containers/"+m.session.URLID, nil, http.StatusNoContent, nil)
	m.admin.json("DELETE", "/api/v1/admin/containers/"+m.session.URLID, nil, http.StatusNotFound, nil)
	m.admin.json("GET", "/api/v1/admin/containers", nil, http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("containers after the stop: %+v", list)
	}
	var page wire.AuditPage
	m.admin.json("GET", "/api/v1/admin/audit?limit=5", nil, http.StatusOK, &page)
	if len(page.Entries) == 0 || page.Entries[0].Action != "session.stop" || page.Entries[0].Target != m.session.URLID || page.Entries[0].Actor != "admin" {
		t.Errorf("the newest audit entry: %+v", page.Entries)
	}

	// After a restart, the history is rebuilt from the audit log: the
	// start and how long it took, the session that ran this hour (the
	// most in its 10 minutes), nothing running now.
	p50 := hour.P50MS
	m.Server.Restart()
	st = wire.AdminStats{}
	m.admin.json("GET", "/api/v1/admin/stats", nil, http.StatusOK, &st)
	run, hour = last(st)
	if st.RunningSessions != 0 || st.Starts24h != 1 || hour.Starts != 1 || hour.P50MS != p50 || run.Count != 1 && st.Running[142].Count != 1 {
		t.Errorf("stats after a restart: %d running, %d starts, now %+v, this hour %+v; want 0, 1, the session of this hour's start, p50 %d ms",
			st.RunningSessions, st.Starts24h, run, hour, p50)
	}
}
