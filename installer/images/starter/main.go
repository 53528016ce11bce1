// Command simphony-remote-starter is the one program inside the starter
// images. It follows simphony-remote's image protocol: it serves HTTP on
// port 8888 under $JPY_BASE_USER_URL/containers/$URL_ID/.
//
//	simphony-remote-starter webapp     a file browser for /workspace
//	simphony-remote-starter vnc-front  noVNC and a WebSocket bridge to a VNC server
//	simphony-remote-starter novnc-bundle  noVNC's modules as one file (at image build)
package main

import (
	"context"
	"errors"
	"flag"
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
  novnc-bundle
             bundle noVNC's modules into one file, which vnc-front serves
             (run once, when the desktop image is built)

webapp and vnc-front serve under $JPY_BASE_USER_URL/containers/$URL_ID/.
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
	case "novnc-bundle":
		return runBundleNoVNC(args[1:], stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// parseFlags parses the flags of the command fl names, which takes no
// arguments. With -h it prints the command's usage line, summary and
// flags, and says help was asked for: the command then does nothing.
func parseFlags(fl *flag.FlagSet, args []string, stderr io.Writer, summary string) (help bool, err error) {
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: simphony-remote-starter %s [flags]\n\n%s\n\n", fl.Name(), summary)
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, err
	}
	if fl.NArg() > 0 {
		return false, fmt.Errorf("%s takes no arguments, got %q", fl.Name(), fl.Args())
	}
	return false, nil
}
