// Command package builds SimPhoNy Remote's Debian packages with nfpm, from
// the binaries make build and make desktop write:
//
//	dist/simphony-remote_VERSION_ARCH.deb          the appliance (no GTK)
//	dist/simphony-remote-console_VERSION_ARCH.deb  the desktop console
//
// make package runs it from the repository's top directory:
//
//	go run ./installer/package -version "$(git describe --tags --always --dirty)" -out dist
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
)

func main() {
	var o options
	flag.StringVar(&o.describe, "version", "", "the version as git describe --tags --always --dirty prints it (made a Debian version)")
	flag.StringVar(&o.out, "out", "dist", "directory to write the packages into (relative to the current one)")
	flag.StringVar(&o.bin, "bin", "bin", "directory holding simphony-remote, simphony-remote-starter and simphony-remote-console (relative to -src)")
	flag.StringVar(&o.src, "src", ".", "the repository's top directory")
	flag.StringVar(&o.arch, "arch", runtime.GOARCH, "Debian architecture (Go's GOARCH names match for amd64 and arm64)")
	flag.Parse()
	if o.describe == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: package -version VERSION [-out DIR] [-bin DIR] [-src DIR] [-arch ARCH]")
		os.Exit(2)
	}
	o.commits = commitCount(o.src)
	paths, err := build(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(1)
	}
	for _, p := range paths {
		fmt.Println(p)
	}
}
