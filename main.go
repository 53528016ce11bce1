// Command simphony-remote is the SimPhoNy Remote appliance and its command
// line. See README.md, or run simphony-remote --help.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/simphony/simphony-remote/engine/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
