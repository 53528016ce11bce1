package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"syscall"
)

// Renaming and deleting work on one entry of a folder: the folder's URL
// with ?op=rename or ?op=delete, and the entry's name in the form field
// "name" (and the new one in "to"). A GET shows the form that asks (the
// new name, or whether to delete: no script needed); the POST does it.
// Like uploads, the POSTs reach the application only through the
// appliance's proxy, which refuses cross-site requests, with the session
// key (sessionkey.go).

// actionPage asks for a rename's new name or a deletion's confirmation.
type actionPage struct {
	Title  string
	Crumbs []crumb
	Op     string // rename or delete
	Name   string
	Dir    bool
	Action string // the folder's URL
	Portal string
}

// entryOf finds the entry name of the folder dir (rel is its URL path),
// without following a symbolic link: the link itself is renamed or
// deleted.
func (s *fileServer) entryOf(rel, dir, name, doing string) (fs.FileInfo, error) {
	if err := s.checkDir(rel, dir); err != nil {
		return nil, err
	}
	if err := checkName(name); err != nil {
		return nil, &pageError{http.StatusBadRequest, fmt.Sprintf("Cannot %s %q: %v.", doing, name, err)}
	}
	fi, err := s.root.Lstat(path.Join(dir, name))
	if err != nil {
		return nil, openError(s.displayPath(rel)+name, err)
	}
	return fi, nil
}

// askAction shows the form of a rename or a deletion of the entry named in
// the query.
func (s *fileServer) askAction(w http.ResponseWriter, r *http.Request, rel, dir, op string) error {
	name := r.URL.Query().Get("name")
	fi, err := s.entryOf(rel, dir, name, op)
	if err != nil {
		return err
	}
	title := "Rename " + name
	if op == "delete" {
		title = "Delete " + name
	}
	return renderPage(w, http.StatusOK, actionPage{
		Title: title, Crumbs: s.crumbs(rel), Op: op, Name: name, Dir: fi.IsDir(),
		Action: s.href(rel), Portal: s.portalHref(r),
	})
}

// rename renames the entry "name" of the folder dir to "to", in the same
// folder; an existing entry is never replaced.
func (s *fileServer) rename(w http.ResponseWriter, r *http.Request, rel, dir string) error {
	if err := smallForm(w, r); err != nil {
		return err
	}
	name, to := r.PostForm.Get("name"), r.PostForm.Get("to")
	if _, err := s.entryOf(rel, dir, name, "rename"); err != nil {
		return err
	}
	if err := checkName(to); err != nil {
		return &pageError{http.StatusBadRequest, fmt.Sprintf("Cannot rename %q to %q: %v.", name, to, err)}
	}
	if err := s.checkFree(rel, path.Join(dir, to), to); err != nil {
		return err
	}
	if err := s.root.Rename(path.Join(dir, name), path.Join(dir, to)); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return &pageError{http.StatusForbidden, "You may not rename " + s.displayPath(rel) + name + "."}
		}
		return fmt.Errorf("renaming %s to %s: %w", name, to, err)
	}
	http.Redirect(w, r, s.href(rel), http.StatusSeeOther)
	return nil
}

// remove deletes the entry "name" of the folder dir: a file, a symbolic
// link, or an empty folder.
func (s *fileServer) remove(w http.ResponseWriter, r *http.Request, rel, dir string) error {
	if err := smallForm(w, r); err != nil {
		return err
	}
	name := r.PostForm.Get("name")
	fi, err := s.entryOf(rel, dir, name, "delete")
	if err != nil {
		return err
	}
	err = s.root.Remove(path.Join(dir, name))
	switch {
	case err == nil:
	case fi.IsDir() && (errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST)):
		return &pageError{http.StatusConflict, fmt.Sprintf("The folder %q is not empty: only an empty folder can be deleted. Delete what it holds first; nothing was deleted.", name)}
	case errors.Is(err, fs.ErrPermission):
		return &pageError{http.StatusForbidden, "You may not delete " + s.displayPath(rel) + name + "."}
	default:
		return fmt.Errorf("deleting %s: %w", name, err)
	}
	http.Redirect(w, r, s.href(rel), http.StatusSeeOther)
	return nil
}

// smallForm reads a urlencoded form of at most 64 KiB.
func smallForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return &pageError{http.StatusBadRequest, "The form could not be read."}
	}
	return nil
}
