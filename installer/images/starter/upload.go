package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
)

// uploadPrefix names the temporary files of uploads in progress; listings
// hide them.
const uploadPrefix = ".simphony-upload-"

// formOverhead is what a multipart body may hold besides the files' bytes.
const formOverhead = 1 << 20

// pending is an uploaded file waiting to be renamed into place.
type pending struct{ tmp, final, name string }

// upload stores the files of a multipart form in the folder dir (rel is its
// URL path). It is all or nothing: every file is streamed to a temporary
// file first, and renamed into place only once all have arrived within the
// size limit. An existing name is never overwritten.
func (s *fileServer) upload(w http.ResponseWriter, r *http.Request, rel, dir string) error {
	if err := s.checkDir(rel, dir); err != nil {
		return err
	}
	tooLarge := &pageError{http.StatusRequestEntityTooLarge, fmt.Sprintf("The upload is too large: at most %s may be uploaded at once.", humanSize(s.maxUpload))}
	if r.ContentLength > s.maxUpload+formOverhead {
		return tooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.maxUpload+formOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		return &pageError{http.StatusBadRequest, "An upload is a multipart/form-data form with the files in it."}
	}
	var files []pending
	renamed := 0
	defer func() {
		for _, p := range files[renamed:] {
			_ = s.root.Remove(p.tmp)
		}
	}()
	seen := map[string]bool{}
	left := s.maxUpload
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bodyError(err, tooLarge)
		}
		name := part.FileName()
		if name == "" {
			_ = part.Close() // another field, or an empty file input
			continue
		}
		if err := checkName(name); err != nil {
			return &pageError{http.StatusBadRequest, fmt.Sprintf("Cannot upload %q: %v.", name, err)}
		}
		final := path.Join(dir, name)
		if seen[name] {
			return &pageError{http.StatusBadRequest, fmt.Sprintf("The upload holds two files named %q.", name)}
		}
		seen[name] = true
		if err := s.checkFree(rel, final, name); err != nil {
			return err
		}
		tmp, n, err := s.receive(dir, part, left)
		if tmp != "" {
			files = append(files, pending{tmp: tmp, final: final, name: name})
		}
		if err != nil {
			return bodyError(err, tooLarge)
		}
		left -= n
	}
	if len(files) == 0 {
		return &pageError{http.StatusBadRequest, "Choose at least one file to upload."}
	}
	for _, p := range files {
		// Rename would replace a file created meanwhile: look again.
		if err := s.checkFree(rel, p.final, p.name); err != nil {
			return err
		}
		if err := s.root.Rename(p.tmp, p.final); err != nil {
			return fmt.Errorf("storing %s: %w", p.name, err)
		}
		renamed++
	}
	http.Redirect(w, r, s.href(rel), http.StatusSeeOther)
	return nil
}

// errTooLarge marks a file that went over the limit while streaming.
var errTooLarge = errors.New("over the upload limit")

// receive streams one file to a new temporary file in dir, reading at most
// limit bytes. It returns the temporary file's name (to remove on error) and
// the bytes written.
func (s *fileServer) receive(dir string, src io.Reader, limit int64) (string, int64, error) {
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(dir, uploadPrefix+hex.EncodeToString(rnd[:])+".part")
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", 0, fmt.Errorf("creating a file in %s: %w", dir, err)
	}
	n, err := io.Copy(f, io.LimitReader(src, limit+1))
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing %s: %w", tmp, cerr)
	}
	if err == nil && n > limit {
		err = errTooLarge
	}
	return tmp, n, err
}

// bodyError maps an error while reading or storing the upload.
func bodyError(err error, tooLarge error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, errTooLarge), errors.As(err, &mbe):
		return tooLarge
	case errors.Is(err, fs.ErrPermission):
		return &pageError{http.StatusForbidden, "You may not write in this folder."}
	}
	return &pageError{http.StatusBadRequest, "The upload could not be read: " + err.Error() + "."}
}

// checkDir answers 404 unless dir is a folder.
func (s *fileServer) checkDir(rel, dir string) error {
	fi, err := s.root.Stat(dir)
	if err != nil {
		return openError(s.displayPath(rel), err)
	}
	if !fi.IsDir() {
		return &pageError{http.StatusNotFound, s.displayPath(rel) + " is not a folder."}
	}
	return nil
}

// checkFree answers 409 when name exists in the folder.
func (s *fileServer) checkFree(rel, full, name string) error {
	_, err := s.root.Lstat(full)
	switch {
	case err == nil:
		return &pageError{http.StatusConflict, fmt.Sprintf("%q exists already in %s: rename or remove it first; nothing was changed.", name, s.displayPath(rel))}
	case errors.Is(err, fs.ErrNotExist):
		return nil
	}
	return openError(s.displayPath(rel)+name, err)
}

// mkdir creates the folder named by the form field "name" in dir.
func (s *fileServer) mkdir(w http.ResponseWriter, r *http.Request, rel, dir string) error {
	if err := s.checkDir(rel, dir); err != nil {
		return err
	}
	if err := smallForm(w, r); err != nil {
		return err
	}
	name := r.PostForm.Get("name")
	if err := checkName(name); err != nil {
		return &pageError{http.StatusBadRequest, fmt.Sprintf("Cannot create folder %q: %v.", name, err)}
	}
	if err := s.checkFree(rel, path.Join(dir, name), name); err != nil {
		return err
	}
	if err := s.root.Mkdir(path.Join(dir, name), 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &pageError{http.StatusConflict, fmt.Sprintf("%q exists already in %s.", name, s.displayPath(rel))}
		}
		if errors.Is(err, fs.ErrPermission) {
			return &pageError{http.StatusForbidden, "You may not create folders in " + s.displayPath(rel) + "."}
		}
		return fmt.Errorf("creating folder %s: %w", name, err)
	}
	http.Redirect(w, r, s.href(rel), http.StatusSeeOther)
	return nil
}
