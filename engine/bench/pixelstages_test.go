package main

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
)

// serverHandshake is the server's side of an RFB 3.8 handshake with
// security type None and a ServerInit named "desk".
func serverHandshake() []byte {
	b := []byte("RFB 003.008\n")
	b = append(b, 1, 1)          // one security type: None
	b = append(b, 0, 0, 0, 0)    // security result: OK
	init := make([]byte, 24, 28) // width, height, pixel format, name length
	binary.BigEndian.PutUint32(init[20:], 4)
	return append(append(b, init...), "desk"...)
}

// A page loaded again opens a second WebSocket: its stages are the
// second socket's, whatever the first one got before it was dropped.
func TestStagesFollowTheSocketThatShowedTheDesktop(t *testing.T) {
	var l netLog
	l.start()
	t0 := time.Now()
	mono := func(ms int) cdp.MonotonicTime { return cdp.MonotonicTime(float64(ms) / 1000) }
	frame := func(id network.RequestID, ms int, b []byte) {
		l.event(&network.EventWebSocketFrameReceived{RequestID: id, Timestamp: mono(ms), Response: &network.WebSocketFrame{Opcode: 2, PayloadData: b}})
	}
	// The offset from Chromium's clock to the wall clock, as a request's
	// event gives it: monotonic 0 is t0.
	l.event(&network.EventRequestWillBeSent{RequestID: "page", Timestamp: mono(0), WallTime: cdp.TimeSinceEpoch(float64(t0.UnixNano()) / 1e9), Request: &network.Request{URL: "https://x/"}})

	hs := serverHandshake()
	l.event(&network.EventWebSocketHandshakeResponseReceived{RequestID: "first", Timestamp: mono(1000)})
	frame("first", 1100, hs[:20]) // dropped mid-handshake
	l.event(&network.EventWebSocketHandshakeResponseReceived{RequestID: "second", Timestamp: mono(2000)})
	frame("second", 2100, hs)
	frame("first", 2150, []byte{0xff, 0xff})  // a late byte of the dropped socket
	frame("second", 2200, []byte{0, 0, 0, 1}) // a framebuffer update

	at, _, _ := l.stages("/user/admin/containers/x/")
	for key, ms := range map[string]int{"ws_open": 2000, "rfb_init": 2100, "fbu": 2200} {
		if got := at[key].Sub(t0).Round(time.Millisecond); got != time.Duration(ms)*time.Millisecond {
			t.Errorf("%s at %v after t0, want %d ms", key, got, ms)
		}
	}
}
