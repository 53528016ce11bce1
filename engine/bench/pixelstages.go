package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/simphony/simphony-remote/engine/protocol"
)

// The stages of a desktop start, each measured from the click on Start:
// from the browser's network events (Chromium's DevTools protocol), and
// from Docker (the container's creation and start, and its output, which
// Docker timestamps line by line as it arrives).
var pixelStages = []struct{ key, label string }{
	{"starting_page", "the starting page answered (the start's POST and its redirect)"},
	{"created", "container created (Docker's Created)"},
	{"started", "container started (Docker's StartedAt)"},
	{"xvnc", "Xvnc listening (its log line)"},
	{"vncfront", "vnc-front listening (its log line)"},
	{"probe_ok", "the appliance's readiness probe answered (vnc-front's log line)"},
	{"session_page", "the browser asks for the session page (it learnt the start is ready)"},
	{"frame", "the frame asks for the session's address"},
	{"novnc", "noVNC's page and scripts loaded"},
	{"ws_open", "noVNC's WebSocket open"},
	{"rfb_init", "RFB handshake done (ServerInit received)"},
	{"fbu", "first framebuffer update begins to arrive"},
}

// netLog records the browser's network events of one desktop start.
type netLog struct {
	mu     sync.Mutex
	on     bool
	offset time.Duration // wall clock minus Chromium's monotonic clock
	reqs   map[network.RequestID]*netReq
	order  []*netReq
	ws     map[network.RequestID]*wsConn
	wsList []*wsConn // in the order they were opened
}

// wsConn is one of noVNC's WebSockets. A page loaded again (after
// ERR_NETWORK_CHANGED) opens another, and the one that shows the desktop
// is followed on its own: two sockets' bytes make no one RFB stream.
type wsConn struct {
	open   time.Time
	rfb    rfbStream
	frames []string // the server's first messages: how long, when
}

type netReq struct {
	url, method     string
	sent, finished  time.Time
	status          int64
	bytes           float64
	websocket, done bool
}

func (l *netLog) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on, l.offset, l.reqs, l.order, l.ws, l.wsList = true, 0, map[network.RequestID]*netReq{}, nil, map[network.RequestID]*wsConn{}, nil
}

func (l *netLog) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = false
}

func (l *netLog) wall(t cdp.MonotonicTime) time.Time {
	sec, frac := math.Modf(float64(t))
	return time.Unix(int64(sec), int64(frac*1e9)).Add(l.offset)
}

func epoch(t cdp.TimeSinceEpoch) time.Time {
	sec, frac := math.Modf(float64(t))
	return time.Unix(int64(sec), int64(frac*1e9))
}

// event is chromedp.ListenTarget's listener.
func (l *netLog) event(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.on {
		return
	}
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		w := epoch(e.WallTime)
		sec, frac := math.Modf(float64(e.Timestamp))
		l.offset = w.Sub(time.Unix(int64(sec), int64(frac*1e9)))
		if r, ok := l.reqs[e.RequestID]; ok && e.RedirectResponse != nil {
			r.status, r.finished, r.done = e.RedirectResponse.Status, w, true
		}
		r := &netReq{url: e.Request.URL, method: e.Request.Method, sent: w}
		l.reqs[e.RequestID] = r
		l.order = append(l.order, r)
	case *network.EventResponseReceived:
		if r, ok := l.reqs[e.RequestID]; ok {
			r.status = e.Response.Status
		}
	case *network.EventLoadingFinished:
		if r, ok := l.reqs[e.RequestID]; ok {
			r.finished, r.bytes, r.done = l.wall(e.Timestamp), e.EncodedDataLength, true
		}
	case *network.EventWebSocketWillSendHandshakeRequest:
		l.order = append(l.order, &netReq{url: "websocket", sent: epoch(e.WallTime), websocket: true})
	case *network.EventWebSocketHandshakeResponseReceived:
		if _, ok := l.ws[e.RequestID]; !ok {
			c := &wsConn{open: l.wall(e.Timestamp)}
			l.ws[e.RequestID] = c
			l.wsList = append(l.wsList, c)
		}
	case *network.EventWebSocketFrameReceived:
		if c, ok := l.ws[e.RequestID]; ok && e.Response != nil && e.Response.Opcode == 2 {
			c.rfb.feed(e.Response.PayloadData, l.wall(e.Timestamp))
			if len(c.frames) < 200 {
				c.frames = append(c.frames, fmt.Sprintf("%d@%d", len(e.Response.PayloadData), l.wall(e.Timestamp).UnixMilli()))
			}
		}
	}
}

// shown is the WebSocket that brought the desktop: the newest one that
// got a framebuffer update, or else the newest one (nil before any).
func (l *netLog) shown() *wsConn {
	for i := len(l.wsList) - 1; i >= 0; i-- {
		if !l.wsList[i].rfb.fbuAt.IsZero() {
			return l.wsList[i]
		}
	}
	if len(l.wsList) == 0 {
		return nil
	}
	return l.wsList[len(l.wsList)-1]
}

// waitUpdate waits, up to timeout, for a WebSocket's first framebuffer
// update: DevTools may tell of the frame a little after the page drew it.
func (l *netLog) waitUpdate(ctx context.Context, timeout time.Duration) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	end := time.After(timeout)
	for {
		l.mu.Lock()
		c := l.shown()
		done := c != nil && !c.rfb.fbuAt.IsZero()
		l.mu.Unlock()
		if done {
			return
		}
		select {
		case <-tick.C:
		case <-end:
			return
		case <-ctx.Done():
			return
		}
	}
}

// rfbStream follows the server's side of an RFB 3.8 handshake with
// security type None, as Xvnc runs it here: the version (12 bytes), the
// security types, the security result (4 bytes) and ServerInit; then the
// server's messages up to the first framebuffer update (type 0), past
// TigerVNC's fences and the other short messages it may send first.
type rfbStream struct {
	buf    []byte
	next   int       // where the next message starts, once ServerInit is read
	initAt time.Time // ServerInit complete
	fbuAt  time.Time // the first byte of a framebuffer update
}

func (s *rfbStream) feed(b []byte, at time.Time) {
	if !s.fbuAt.IsZero() || s.next < 0 {
		return
	}
	s.buf = append(s.buf, b...)
	if s.next == 0 {
		n := 12
		if len(s.buf) < n+1 {
			return
		}
		n += 1 + int(s.buf[n]) + 4 // the security types, the result
		if len(s.buf) < n+24 {
			return
		}
		n += 24 + int(binary.BigEndian.Uint32(s.buf[n+20:n+24]))
		if len(s.buf) < n {
			return
		}
		s.next, s.initAt = n, at
	}
	for s.next < len(s.buf) {
		rest := s.buf[s.next:]
		switch rest[0] {
		case 0: // FramebufferUpdate
			s.fbuAt = at
			return
		case 2, 150: // Bell, EndOfContinuousUpdates
			s.next++
		case 248: // ServerFence: 3 padding, 4 flags, 1 length, data
			if len(rest) < 9 {
				return
			}
			s.next += 9 + int(rest[8])
		case 3: // ServerCutText: 3 padding, 4 length (negative: extended clipboard), text
			if len(rest) < 8 {
				return
			}
			n := int(int32(binary.BigEndian.Uint32(rest[4:8])))
			s.next += 8 + max(n, -n)
		default: // a message this does not follow
			s.next = -1
			return
		}
	}
}

// stages are the browser's times of the stages of the start of the
// session at urlPath, and how many requests (and bytes) noVNC's page and
// scripts took.
func (l *netLog) stages(urlPath string) (map[string]time.Time, int, float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := map[string]time.Time{}
	var wsOpen time.Time
	if c := l.shown(); c != nil {
		wsOpen = c.open
		at["ws_open"], at["rfb_init"], at["fbu"] = c.open, c.rfb.initAt, c.rfb.fbuAt
	}
	first := func(key string, t time.Time) {
		if _, ok := at[key]; !ok && !t.IsZero() {
			at[key] = t
		}
	}
	n, size := 0, 0.0
	for _, r := range l.order {
		u, err := url.Parse(r.url)
		if err != nil || r.websocket || u.Scheme == "data" {
			continue
		}
		switch p := u.Path; {
		case strings.HasPrefix(p, "/starting/") && u.RawQuery == "" && r.done:
			first("starting_page", r.finished)
		case strings.HasPrefix(p, "/sessions/"):
			first("session_page", r.sent)
		case p == urlPath:
			first("frame", r.sent)
		case strings.HasPrefix(p, urlPath) && !strings.HasSuffix(p, "/websockify"):
			n++
			size += r.bytes
			if r.done && (wsOpen.IsZero() || r.finished.Before(wsOpen)) && r.finished.After(at["novnc"]) {
				at["novnc"] = r.finished
			}
		}
	}
	return at, n, size
}

// containerStages are the container's times: created, started, and the
// first log lines that say Xvnc and vnc-front listen and that the
// readiness probe got its answer (vnc-front logs each request).
func (r *rig) containerStages(ctx context.Context, urlID, urlPath string) (map[string]time.Time, int, error) {
	api := r.docker.API()
	list, err := api.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", protocol.LabelURLID+"="+urlID))})
	if err != nil || len(list) != 1 {
		return nil, 0, fmt.Errorf("finding the desktop's container: %d found, %v", len(list), err)
	}
	info, err := api.ContainerInspect(ctx, list[0].ID)
	if err != nil {
		return nil, 0, err
	}
	at := map[string]time.Time{}
	if t, err := time.Parse(time.RFC3339Nano, info.Created); err == nil {
		at["created"] = t
	}
	if t, err := time.Parse(time.RFC3339Nano, info.State.StartedAt); err == nil {
		at["started"] = t
	}
	rc, err := api.ContainerLogs(ctx, list[0].ID, container.LogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true})
	if err != nil {
		return nil, 0, err
	}
	defer rc.Close()
	var out strings.Builder
	if _, err := stdcopy.StdCopy(&out, &out, rc); err != nil {
		return nil, 0, err
	}
	if dir := os.Getenv("BENCH_PIXEL_DUMP"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "container-"+urlID+".log"), []byte(out.String()), 0o644)
	}
	probes := 0
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		stamp, line, ok := strings.Cut(sc.Text(), " ")
		t, err := time.Parse(time.RFC3339Nano, stamp)
		if !ok || err != nil {
			continue
		}
		first := func(key string) {
			if _, ok := at[key]; !ok {
				at[key] = t
			}
		}
		switch {
		case strings.Contains(line, "Listening for VNC connections"):
			first("xvnc")
		case strings.Contains(line, "simphony-remote-starter") && strings.Contains(line, " listening on "):
			first("vncfront")
		case strings.Contains(line, "GET "+urlPath+" "):
			if _, ok := at["probe_ok"]; !ok {
				probes++
			}
			if strings.Contains(line, "GET "+urlPath+" 302") {
				first("probe_ok")
			}
		}
	}
	return at, probes, nil
}

// dump writes the requests and their times (ms after t0), for studying a start.
func (l *netLog) dump(w io.Writer, t0 time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ms := func(t time.Time) float64 {
		if t.IsZero() {
			return -1
		}
		return float64(t.Sub(t0).Microseconds()) / 1000
	}
	for _, r := range l.order {
		if strings.HasPrefix(r.url, "data:") {
			continue
		}
		fmt.Fprintf(w, "%8.1f %8.1f %4d %8.0f %s %s\n", ms(r.sent), ms(r.finished), r.status, r.bytes, r.method, r.url)
	}
	fmt.Fprintf(w, "t0 %d\n", t0.UnixMilli())
	for i, c := range l.wsList {
		fmt.Fprintf(w, "WebSocket %d: open %.1f, rfb %d bytes, ServerInit %.1f, first update %.1f; the server's messages (bytes@ms since the epoch): %s\n",
			i+1, ms(c.open), len(c.rfb.buf), ms(c.rfb.initAt), ms(c.rfb.fbuAt), strings.Join(c.frames, " "))
	}
}
