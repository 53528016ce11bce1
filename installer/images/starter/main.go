// Command simphony-remote-starter is the one program inside the starter
// images. It follows simphony-remote's image protocol: it serves HTTP on
// port 8888 under $JPY_BASE_USER_URL/containers/$URL_ID/.
//
//	simphony-remote-starter webapp     a file browser for /workspace
//	simphony-remote-starter vnc-front  noVNC and a WebSocket bridge to a VNC server
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: simphony-remote-starter COMMAND [flags]

commands:
  webapp     serve a file browser for the workspace (/workspace)
  vnc-front  serve noVNC and bridge its WebSocket to a VNC server

Both serve under $JPY_BASE_USER_URL/containers/$URL_ID/.
Run 'simphony-remote-starter COMMAND -h' for a command's flags.
`

func main() {
	log.SetFlags(log.LstdFlags | log.LUTC)
	log.SetPrefix("simphony-remote-starter: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	if err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// run dispatches to a subcommand.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "webapp":
		return runWebapp(ctx, args[1:], getenv, stderr)
	case "vnc-front":
		return runVNCFront(ctx, args[1:], getenv, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
