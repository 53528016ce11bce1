package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"
)

// fileServer is the workspace file browser. Every file access goes through
// root (os.Root), so neither "..", encoded or not, nor a symbolic link can
// reach outside the workspace.
type fileServer struct {
	base      string   // /user/{name}/containers/{url_id}/
	dir       string   // the workspace's path, for messages
	root      *os.Root // nil when no workspace is mounted
	maxUpload int64
	echo      bool // serve {base}_echo/headers
}

func newFileServer(dir, base string, maxUpload int64, echo bool) (*fileServer, error) {
	root, err := openWorkspace(dir)
	if err != nil {
		return nil, err
	}
	return &fileServer{base: base, dir: dir, root: root, maxUpload: maxUpload, echo: echo}, nil
}

// Close releases the workspace.
func (s *fileServer) Close() error {
	if s.root == nil {
		return nil
	}
	return s.root.Close()
}

// errNoWorkspace is the answer to changes when no workspace is mounted.
var errNoWorkspace = &pageError{http.StatusConflict, "No workspace is mounted: this application's policy gives you no home directory, so there is nowhere to store files."}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rel, ok := strings.CutPrefix(r.URL.Path, s.base)
	if !ok {
		if r.URL.Path+"/" == s.base {
			http.Redirect(w, r, s.base, http.StatusFound)
			return
		}
		http.NotFound(w, r)
		return
	}
	if s.echo && rel == "_echo/headers" && r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.Header)
		return
	}
	if err := s.serve(w, r, rel); err != nil {
		renderError(w, s.base, s.portalHref(r), err)
	}
}

// serve handles rel, the path below the base: a directory when it is empty
// or ends with '/', else a file.
func (s *fileServer) serve(w http.ResponseWriter, r *http.Request, rel string) error {
	name, err := cleanPath(rel)
	if err != nil {
		return err
	}
	isDir := rel == "" || strings.HasSuffix(rel, "/")
	if s.root == nil {
		switch {
		case r.Method == http.MethodPost:
			return errNoWorkspace
		case rel != "":
			return &pageError{http.StatusNotFound, "No workspace is mounted, so there is no " + rel + "."}
		}
		return renderPage(w, http.StatusOK, listing{Title: "Files", NoWorkspace: true, Portal: s.portalHref(r)})
	}
	op := r.URL.Query().Get("op")
	if r.Method == http.MethodPost {
		if !isDir {
			return &pageError{http.StatusBadRequest, "Files are uploaded, renamed and deleted, and folders created, in a folder: the address must end with '/'."}
		}
		switch op {
		case "upload":
			return s.upload(w, r, rel, name)
		case "mkdir":
			return s.mkdir(w, r, rel, name)
		case "rename":
			return s.rename(w, r, rel, name)
		case "delete":
			return s.remove(w, r, rel, name)
		default:
			return &pageError{http.StatusBadRequest, "Unknown operation " + strings.TrimSpace(op) + ": use op=upload, op=mkdir, op=rename or op=delete."}
		}
	}
	if isDir && (op == "rename" || op == "delete") {
		return s.askAction(w, r, rel, name, op)
	}
	if isDir {
		return s.list(w, r, rel, name)
	}
	return s.download(w, r, rel, name)
}

// cleanPath turns rel (slash-separated, already URL-decoded) into a name
// for os.Root, refusing any component that is empty, "." or "..".
func cleanPath(rel string) (string, error) {
	rel = strings.TrimSuffix(rel, "/")
	if rel == "" {
		return ".", nil
	}
	for _, part := range strings.Split(rel, "/") {
		if err := checkName(part); err != nil {
			return "", &pageError{http.StatusBadRequest, "Bad path: " + err.Error() + "."}
		}
	}
	return rel, nil
}

// checkName accepts a file or folder name: not empty, not "." or "..",
// no '/' and no NUL.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("a name cannot be empty")
	case name == "." || name == "..":
		return errors.New(`a name cannot be "." or ".."`)
	case strings.ContainsAny(name, "/\x00"):
		return errors.New("a name cannot contain '/' or NUL")
	}
	return nil
}

// openError turns an error from the workspace into a page.
func openError(what string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &pageError{http.StatusNotFound, "There is no " + what + " in the workspace."}
	case errors.Is(err, fs.ErrPermission):
		return &pageError{http.StatusForbidden, "You may not open " + what + "."}
	}
	// Most likely os.Root refusing a path that leads out of the workspace
	// (through a symbolic link); its error is not exported.
	return &pageError{http.StatusForbidden, "Cannot open " + what + ": it is outside the workspace or not accessible."}
}

// entry is one row of a directory listing.
type entry struct {
	Name, Href, Size, Modified string
	Dir, Broken                bool
}

func (s *fileServer) list(w http.ResponseWriter, r *http.Request, rel, name string) error {
	f, err := s.root.Open(name)
	if err != nil {
		return openError(s.displayPath(rel), err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return openError(s.displayPath(rel), err)
	}
	if !fi.IsDir() {
		return &pageError{http.StatusNotFound, s.displayPath(rel) + " is a file, not a folder."}
	}
	des, err := f.ReadDir(-1)
	if err != nil {
		return openError(s.displayPath(rel), err)
	}
	entries := make([]entry, 0, len(des))
	for _, de := range des {
		if strings.HasPrefix(de.Name(), uploadPrefix) {
			continue // an upload in progress
		}
		entries = append(entries, s.entry(rel, name, de))
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].Dir != entries[j].Dir {
			return entries[i].Dir
		}
		return strings.ToLower(entries[i].Name) < strings.ToLower(entries[j].Name)
	})
	page := listing{Title: s.displayPath(rel), Crumbs: s.crumbs(rel), Entries: entries, Action: s.href(rel), MaxUpload: humanSize(s.maxUpload), Portal: s.portalHref(r)}
	if rel != "" {
		page.Parent = s.href(parentOf(rel))
	}
	return renderPage(w, http.StatusOK, page)
}

func (s *fileServer) entry(rel, dir string, de fs.DirEntry) entry {
	e := entry{Name: de.Name(), Href: s.href(rel + de.Name())}
	fi, err := de.Info()
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		// Follow links only within the workspace.
		fi, err = s.root.Stat(path.Join(dir, de.Name()))
	}
	if err != nil {
		e.Broken, e.Href = true, ""
		return e
	}
	e.Modified = fi.ModTime().UTC().Format("2006-01-02 15:04")
	if fi.IsDir() {
		e.Dir, e.Href = true, e.Href+"/"
		return e
	}
	e.Size = humanSize(fi.Size())
	return e
}

func (s *fileServer) download(w http.ResponseWriter, r *http.Request, rel, name string) error {
	// Stat first: opening a FIFO would block.
	fi, err := s.root.Stat(name)
	if err != nil {
		return openError(s.displayPath(rel), err)
	}
	if fi.IsDir() {
		http.Redirect(w, r, s.href(rel)+"/", http.StatusFound)
		return nil
	}
	if !fi.Mode().IsRegular() {
		return &pageError{http.StatusForbidden, s.displayPath(rel) + " is not a regular file."}
	}
	f, err := s.root.Open(name)
	if err != nil {
		return openError(s.displayPath(rel), err)
	}
	defer f.Close()
	h := w.Header()
	// Always a download, never shown inline: the portal's origin must not
	// render files users uploaded.
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(name)}))
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", fi.ModTime(), f)
	return nil
}

// href is the escaped absolute URL of rel.
func (s *fileServer) href(rel string) string {
	return s.base + (&url.URL{Path: rel}).EscapedPath()
}

// portalHref is the address of the appliance's portal, for a link back
// there: on a session's own origin ({url_id}.{host}) the portal is on
// {host}, over HTTPS as every session origin; else (path mode) the
// application shares the portal's origin, and it is "/".
func (s *fileServer) portalHref(r *http.Request) string {
	id := path.Base(strings.TrimSuffix(s.base, "/"))
	if label, host, ok := strings.Cut(r.Host, "."); ok && host != "" && strings.EqualFold(label, id) {
		return "https://" + host + "/"
	}
	return "/"
}

// crumbs are the links from the workspace down to rel.
func (s *fileServer) crumbs(rel string) []crumb {
	out := []crumb{{Name: "workspace", Href: s.base}}
	acc := ""
	for _, part := range strings.Split(strings.TrimSuffix(rel, "/"), "/") {
		if part == "" {
			continue
		}
		acc += part + "/"
		out = append(out, crumb{Name: part, Href: s.href(acc)})
	}
	return out
}

type crumb struct{ Name, Href string }

// parentOf is the folder above rel ("a/b/" → "a/", "a/" → "").
func parentOf(rel string) string {
	rel = strings.TrimSuffix(rel, "/")
	i := strings.LastIndex(rel, "/")
	if i < 0 {
		return ""
	}
	return rel[:i+1]
}

// displayPath shows rel as a path in the workspace.
func (s *fileServer) displayPath(rel string) string {
	return strings.TrimSuffix(s.dir, "/") + "/" + rel
}

func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
