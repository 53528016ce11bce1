// Package legacy reads the accounting of the original simphony-remote
// (remoteappmanager), to import it: its sqlite database, written by its
// SQLAlchemy models (tables user, application, application_policy and
// accounting), or its CSV accounting file.
//
// Grants keep their mapping ids: the sqlite database's accounting.id
// column; for the CSV file, which had none that lasted (the original drew
// new ones at every start), the ids this appliance's CSV backend derives
// from each row (engine/accounting/csvfile), so that an appliance that ran
// on the CSV file keeps its ids as well.
//
// Reading checks everything: a file that is neither, a table or column
// that is missing, a record that breaks a rule gives an error naming the
// file, the table (or line) and the problem.
package legacy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/simphony/simphony-remote/engine/accounting"
)

// Format names the kind of file read.
type Format string

// The formats Read knows.
const (
	SQLite Format = "sqlite database"
	CSV    Format = "CSV file"
)

// ErrUnknownFormat means the file is not one of the original's formats.
var ErrUnknownFormat = errors.New("not a simphony-remote accounting file")

// sqliteMagic starts every sqlite 3 database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// Read reads the original's accounting at path, telling its format by its
// content: every user and application, and every grant with its mapping
// id.
func Read(ctx context.Context, path string) (accounting.Batch, Format, error) {
	head, err := readHead(path)
	if err != nil {
		return accounting.Batch{}, "", fmt.Errorf("reading %s: %w", path, err)
	}
	if bytes.HasPrefix(head, sqliteMagic) {
		b, err := readSQLite(ctx, path)
		return b, SQLite, err
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return accounting.Batch{}, "", fmt.Errorf("reading %s: %w: it is binary but not an sqlite database (a simphony-remote.db of this appliance is restored with 'db restore', not imported)", path, ErrUnknownFormat)
	}
	b, err := readCSV(path)
	return b, CSV, err
}

// readHead returns the first bytes of the file at path.
func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, errors.New("it is a directory")
	}
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return head[:n], nil
}
