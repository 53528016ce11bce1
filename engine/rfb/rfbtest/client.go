// Package rfbtest is a small RFB (VNC) client over a WebSocket, for tests:
// it connects like noVNC does (protocol 3.8, security None), reads what
// the server sends, and types, clicks and pastes.
package rfbtest

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// Options tune Dial.
type Options struct {
	// HTTPClient makes the WebSocket handshake (TLS settings, cookies);
	// nil for http.DefaultClient.
	HTTPClient *http.Client
	// Header is sent with the handshake.
	Header http.Header
	// Subprotocols are offered; nil offers "binary", as noVNC does.
	Subprotocols []string
	// Exclusive asks the server to disconnect the other clients
	// (ClientInit's shared flag 0); by default the session is shared.
	Exclusive bool
}

// PixelFormat is how the server sends pixels.
type PixelFormat struct {
	BitsPerPixel, Depth             uint8
	BigEndian, TrueColour           bool
	RedMax, GreenMax, BlueMax       uint16
	RedShift, GreenShift, BlueShift uint8
}

// ServerInit is what the server says of its desktop.
type ServerInit struct {
	Width, Height uint16
	PixelFormat   PixelFormat
	Name          string
}

// Conn is an RFB connection over a WebSocket. ReadMessage must be called
// from one goroutine at a time; the input methods may be called from
// others meanwhile.
type Conn struct {
	ws   *websocket.Conn
	r    *bufio.Reader
	Init ServerInit
	// The framebuffer's size, updated by DesktopSize rectangles; only
	// the reading goroutine may look at them.
	Width, Height int
}

// writeTimeout bounds each message the client sends.
const writeTimeout = 10 * time.Second

// Dial opens the WebSocket at url (ws:// or wss://), does the RFB
// handshake and reads ServerInit. ctx bounds Dial only.
func Dial(ctx context.Context, url string, opts *Options) (*Conn, error) {
	if opts == nil {
		opts = &Options{}
	}
	protocols := opts.Subprotocols
	if protocols == nil {
		protocols = []string{"binary"}
	}
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPClient: opts.HTTPClient, HTTPHeader: opts.Header, Subprotocols: protocols,
	})
	if err != nil {
		return nil, fmt.Errorf("opening the RFB WebSocket %s: %w", url, err)
	}
	ws.SetReadLimit(-1)
	c := &Conn{ws: ws, r: bufio.NewReaderSize(&messageStream{ws: ws}, 64<<10)}
	stop := context.AfterFunc(ctx, func() { _ = ws.CloseNow() })
	defer stop()
	if err := c.handshake(!opts.Exclusive); err != nil {
		_ = ws.CloseNow()
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return nil, fmt.Errorf("RFB handshake with %s: %w", url, err)
	}
	return c, nil
}

// handshake speaks RFB 3.8 with security None up to ServerInit.
func (c *Conn) handshake(shared bool) error {
	version := make([]byte, 12)
	if _, err := io.ReadFull(c.r, version); err != nil {
		return fmt.Errorf("reading the server's version: %w", err)
	}
	if !strings.HasPrefix(string(version), "RFB 003.") {
		return fmt.Errorf("server version %q is not RFB 3.x", version)
	}
	if err := c.write([]byte("RFB 003.008\n")); err != nil {
		return err
	}
	n, err := c.r.ReadByte()
	if err != nil {
		return fmt.Errorf("reading the security types: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("the server refused the connection: %s", c.reason())
	}
	types := make([]byte, n)
	if _, err := io.ReadFull(c.r, types); err != nil {
		return fmt.Errorf("reading the security types: %w", err)
	}
	if !strings.ContainsRune(string(types), 1) {
		return fmt.Errorf("security types %v: no None (1)", types)
	}
	if err := c.write([]byte{1}); err != nil {
		return err
	}
	var result uint32
	if err := binary.Read(c.r, binary.BigEndian, &result); err != nil {
		return fmt.Errorf("reading the security result: %w", err)
	}
	if result != 0 {
		return fmt.Errorf("security failed (%d): %s", result, c.reason())
	}
	flag := byte(0)
	if shared {
		flag = 1
	}
	if err := c.write([]byte{flag}); err != nil {
		return err
	}
	var init struct {
		Width, Height uint16
		Format        [16]byte
		NameLen       uint32
	}
	if err := binary.Read(c.r, binary.BigEndian, &init); err != nil {
		return fmt.Errorf("reading ServerInit: %w", err)
	}
	if init.NameLen > 1<<20 {
		return fmt.Errorf("a desktop name of %d bytes", init.NameLen)
	}
	name := make([]byte, init.NameLen)
	if _, err := io.ReadFull(c.r, name); err != nil {
		return fmt.Errorf("reading the desktop's name: %w", err)
	}
	f := init.Format
	c.Init = ServerInit{Width: init.Width, Height: init.Height, Name: string(name), PixelFormat: PixelFormat{
		BitsPerPixel: f[0], Depth: f[1], BigEndian: f[2] != 0, TrueColour: f[3] != 0,
		RedMax: be16(f[4:]), GreenMax: be16(f[6:]), BlueMax: be16(f[8:]),
		RedShift: f[10], GreenShift: f[11], BlueShift: f[12],
	}}
	if bpp := f[0]; bpp != 8 && bpp != 16 && bpp != 32 {
		return fmt.Errorf("ServerInit: %d bits per pixel", bpp)
	}
	c.Width, c.Height = int(init.Width), int(init.Height)
	return nil
}

// reason reads a failure's reason string.
func (c *Conn) reason() string {
	var n uint32
	if err := binary.Read(c.r, binary.BigEndian, &n); err != nil || n > 4096 {
		return "(no reason given)"
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(c.r, b); err != nil {
		return "(no reason given)"
	}
	return string(b)
}

// write sends one client message.
func (c *Conn) write(msg []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageBinary, msg); err != nil {
		return fmt.Errorf("sending to the RFB server: %w", err)
	}
	return nil
}

// Close closes the connection.
func (c *Conn) Close() error {
	err := c.ws.Close(websocket.StatusNormalClosure, "")
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// messageStream reads the server's messages as one byte stream: RFB
// does not keep to WebSocket message boundaries.
type messageStream struct {
	ws  *websocket.Conn
	cur io.Reader
}

func (s *messageStream) Read(p []byte) (int, error) {
	for {
		if s.cur == nil {
			// No context: a ReadMessage's ends by closing the conn.
			_, r, err := s.ws.Reader(context.Background())
			if err != nil {
				return 0, err
			}
			s.cur = r
		}
		n, err := s.cur.Read(p)
		if err == io.EOF {
			s.cur = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
