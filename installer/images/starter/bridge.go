package main

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// websockify accepts a WebSocket and bridges its binary messages both ways
// to a new TCP connection to the VNC server.
func (f *vncFront) websockify(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		http.Error(w, "this is a WebSocket endpoint for noVNC", http.StatusBadRequest)
		return
	}
	d := net.Dialer{Timeout: 5 * time.Second}
	tcp, err := d.DialContext(r.Context(), "tcp", f.vnc)
	if err != nil {
		log.Printf("connecting to the VNC server at %s: %v", f.vnc, err)
		http.Error(w, "the desktop's VNC server does not answer", http.StatusBadGateway)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// noVNC offers "binary"; websockify's older clients offer none.
		Subprotocols: []string{"binary"},
		// No Origin check: the appliance's proxy authenticates and
		// authorises every request before it reaches this container, which
		// is published on 127.0.0.1 only, behind that proxy. The browser's
		// Origin is the portal's, which this container cannot know.
		InsecureSkipVerify: true,
	})
	if err != nil {
		_ = tcp.Close() // Accept has answered the client
		log.Printf("accepting a WebSocket: %v", err)
		return
	}
	bridge(r.Context(), ws, tcp)
}

// bridge copies between ws and tcp until either side ends, then closes
// both.
func bridge(ctx context.Context, ws *websocket.Conn, tcp net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	nc := websocket.NetConn(ctx, ws, websocket.MessageBinary)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(nc, tcp); done <- struct{}{} }()
	go func() { _, _ = io.Copy(tcp, nc); done <- struct{}{} }()
	<-done
	_ = nc.Close()
	_ = tcp.Close()
	<-done
}
