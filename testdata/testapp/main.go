// Command testapp is a tiny application image for the appliance's tests. It
// serves under the simphony-remote base path and reports what it received;
// TESTAPP_MODE makes it misbehave on purpose: "never-ready" answers 503,
// "exit" exits at once, "slow" waits TESTAPP_DELAY before listening. Under
// the base path, "ws" echoes WebSocket messages and "write?name=&data="
// writes a file into /workspace, "unlisten" closes the HTTP server while
// the process keeps running, "ws-report" sends the WebSocket handshake's
// request headers as one JSON message, and "?respond-header=Name:value"
// adds a header to the report's response. "hostile" attacks whoever opens
// it (hostile.go).
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coder/websocket"
)

func main() {
	base := os.Getenv("JPY_BASE_USER_URL") + "/containers/" + os.Getenv("URL_ID") + "/"
	switch os.Getenv("TESTAPP_MODE") {
	case "exit":
		fmt.Fprintln(os.Stderr, "testapp: exiting at once, as asked")
		os.Exit(3)
	case "slow":
		d, _ := time.ParseDuration(os.Getenv("TESTAPP_DELAY"))
		time.Sleep(d)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(base, func(w http.ResponseWriter, r *http.Request) {
		if os.Getenv("TESTAPP_MODE") == "never-ready" {
			http.Error(w, "never ready", http.StatusServiceUnavailable)
			return
		}
		if os.Getenv("TESTAPP_MODE") == "hostile" && hostile(w, r, strings.TrimPrefix(r.URL.Path, base)) {
			return
		}
		switch strings.TrimPrefix(r.URL.Path, base) {
		case "":
			report(w, r)
		case "ws":
			echo(w, r)
		case "ws-report":
			wsReport(w, r)
		case "write":
			// Writes a file into the workspace as the image's user.
			name := filepath.Base(r.URL.Query().Get("name"))
			err := os.WriteFile(filepath.Join("/workspace", name), []byte(r.URL.Query().Get("data")), 0o644)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			fmt.Fprintln(w, "written")
		default:
			http.NotFound(w, r)
		}
	})
	srv := &http.Server{Addr: ":8888", Handler: mux}
	mux.HandleFunc(base+"unlisten", func(w http.ResponseWriter, r *http.Request) {
		// Stop answering, but keep running: the container stays up.
		fmt.Fprintln(w, "no longer listening")
		go func() { _ = srv.Close() }()
	})
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Keep running without listening (a bare select{} would be reported as
	// a deadlock and end the process).
	for {
		time.Sleep(time.Hour)
	}
}

// echo sends back every WebSocket message it receives.
func echo(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	for {
		typ, data, err := c.Read(r.Context())
		if err != nil {
			return
		}
		if err := c.Write(r.Context(), typ, data); err != nil {
			return
		}
	}
}

// wsReport sends the handshake's request headers as one message, then
// closes.
func wsReport(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	hdr, _ := json.Marshal(r.Header)
	if err := c.Write(r.Context(), websocket.MessageText, hdr); err != nil {
		return
	}
	_ = c.Close(websocket.StatusNormalClosure, "reported")
}

func report(w http.ResponseWriter, r *http.Request) {
	if h := r.URL.Query().Get("respond-header"); h != "" {
		k, v, _ := strings.Cut(h, ":")
		w.Header().Add(k, strings.TrimSpace(v))
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	var files []string
	entries, _ := os.ReadDir("/workspace")
	for _, e := range entries {
		files = append(files, e.Name())
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"path": r.URL.Path, "env": env, "headers": r.Header, "workspace": files,
		"uid": os.Getuid(), "gid": os.Getgid(),
	})
}
