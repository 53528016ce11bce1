package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/appliance"
	"github.com/simphony/simphony-remote/engine/appliance/appliancetest"
)

// A request on the admin socket that is still being served when the
// appliance stops ends before Run returns (and so before the store and
// the Docker client it uses close): the shutdown waits for it, within the
// grace period, and then cuts it.
func TestShutdownEndsAdminSocketRequestsFirst(t *testing.T) {
	s := appliancetest.Start(t)
	conn, err := net.Dial("unix", filepath.Join(s.Config.DataDir, appliance.SocketName))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A request whose body comes slowly: its handler is reading it once
	// the server says 100 Continue.
	fmt.Fprint(conn, "POST /api/v1/admin/users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"+
		"Content-Length: 100\r\nExpect: 100-continue\r\n\r\n")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("the admin socket answered %q, %v; want 100 Continue", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil { // the blank line after it
		t.Fatal(err)
	}
	fmt.Fprint(conn, `{"name":`)

	s.Stop() // returns when appliance.Run has

	// By now the request must be over: answered, or its connection cut.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.ReadAll(br)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("appliance.Run returned while a request on the admin socket was still being served")
	}
}
