package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
)

// runWebapp is the `webapp` command: the workspace file browser.
func runWebapp(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fl := flag.NewFlagSet("webapp", flag.ContinueOnError)
	listen := fl.String("listen", ":8888", "address to serve HTTP on")
	root := fl.String("root", "/workspace", "directory to browse (the user's workspace)")
	maxUpload := fl.Int64("max-upload", 1<<30, "largest upload in bytes (all the files of one upload together)")
	if help, err := parseFlags(fl, args, stderr, fmt.Sprintf("Serves a file browser for the workspace under $%s/containers/$%s/.", envBaseURL, envURLID)); help || err != nil {
		return err
	}
	if *maxUpload <= 0 {
		return fmt.Errorf("-max-upload must be more than 0")
	}
	base, err := basePath(getenv)
	if err != nil {
		return err
	}
	if os.Getuid() == 0 {
		uid, gid := dropTarget(*root)
		if err := dropPrivileges(uid, gid); err != nil {
			return err
		}
		log.Printf("running as uid %d, gid %d", uid, gid)
	}
	srv, err := newFileServer(*root, base, *maxUpload, getenv("STARTER_ECHO_HEADERS") == "1")
	if err != nil {
		return err
	}
	defer srv.Close()
	if srv.root == nil {
		log.Printf("%s does not exist: no workspace is mounted", *root)
	}
	log.Printf("serving %s under %s", *root, base)
	return serve(ctx, *listen, requireSessionKey(getenv(envSessionKey), srv))
}

// openWorkspace opens dir as the root of every file access; a missing dir
// gives a nil root (no workspace is mounted).
func openWorkspace(dir string) (*os.Root, error) {
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening the workspace: %w", err)
	}
	return root, nil
}
