package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// BackupInfo is what a backup wrote.
type BackupInfo struct {
	Path      string
	Size      int64 // bytes
	Version   int   // the schema version of the copy
	Merchants int
	Checkouts int
	Payments  int
}

// Backup writes a consistent copy of the database at src to dest while other connections and
// processes go on writing: VACUUM INTO reads one snapshot, never a file copy of a live database.
// The copy is a single file (no -wal) that passes integrity_check before it is put at dest,
// atomically; a dest that exists is an error wrapping fs.ErrExist unless replace.
func Backup(ctx context.Context, src, dest string, replace bool) (*BackupInfo, error) {
	si, err := os.Stat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: there is no database at %s", src)
	}
	if di, err := os.Stat(dest); err == nil && os.SameFile(si, di) {
		return nil, fmt.Errorf("store: %s is the database itself; write the backup elsewhere", dest)
	}
	if err := checkDest(dest, replace); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("store: cannot write the backup in %s: %w", filepath.Dir(dest), err)
	}
	tmp.Close()
	info, err := writeCopy(ctx, src, tmp.Name())
	if err == nil {
		err = place(tmp.Name(), dest, replace)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	info.Path = dest
	return info, nil
}

// checkDest tells why dest cannot be written before any work is done.
func checkDest(dest string, replace bool) error {
	dir := filepath.Dir(dest)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store: the directory %s does not exist; create it or choose another place for the backup", dir)
	case err != nil:
		return fmt.Errorf("store: the backup's directory %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("store: %s is not a directory, so the backup %s cannot be written in it", dir, dest)
	}
	if _, err := os.Lstat(dest); err == nil && !replace {
		return fmt.Errorf("store: will not overwrite %s: %w", dest, fs.ErrExist)
	}
	return nil
}

// writeCopy writes the snapshot of src into the empty file tmp, turns it into a single-file
// database, checks it, counts what it holds and syncs it to disk.
func writeCopy(ctx context.Context, src, tmp string) (*BackupInfo, error) {
	// Read-write though it only reads: a read-only connection, the last to close, would leave
	// the -wal and -shm files it made behind (owned by whoever ran the backup).
	from, err := sql.Open("sqlite", "file:"+src+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", src, err)
	}
	defer from.Close()
	if _, err := from.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return nil, copyError(tmp, err)
	}
	to, err := sql.Open("sqlite", "file:"+tmp)
	if err != nil {
		return nil, fmt.Errorf("store: open the copy: %w", err)
	}
	defer to.Close()
	to.SetMaxOpenConns(1)
	var info BackupInfo
	var check string
	err = to.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&check)
	if err == nil {
		err = to.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check)
	}
	if err == nil && check != "ok" {
		err = fmt.Errorf("the copy fails SQLite's integrity check: %s", check)
	}
	if err == nil {
		err = to.QueryRowContext(ctx, `SELECT (SELECT COALESCE(MAX(version), 0) FROM schema_migrations),
			(SELECT COUNT(*) FROM merchants), (SELECT COUNT(*) FROM checkouts), (SELECT COUNT(*) FROM payments)`).
			Scan(&info.Version, &info.Merchants, &info.Checkouts, &info.Payments)
	}
	if err == nil {
		err = to.Close()
	}
	if err != nil {
		return nil, copyError(tmp, err)
	}
	return &info, syncFile(tmp, &info)
}

// copyError words an error of writing or reading the copy at tmp.
func copyError(tmp string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			return fmt.Errorf("store: could not write the backup: the disk holding %s is full: %w", filepath.Dir(tmp), err)
		case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
			return fmt.Errorf("store: could not write the backup in %s (is the disk full?): %w", filepath.Dir(tmp), err)
		}
	}
	return fmt.Errorf("store: backup: %w", err)
}

// syncFile flushes the copy to disk and records its size.
func syncFile(path string, info *BackupInfo) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: could not write the backup in %s (is the disk full?): %w", filepath.Dir(path), err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	info.Size = fi.Size()
	return nil
}

// place puts the finished copy tmp at dest in one step: a rename when it may replace a file,
// else a hard link, which fails when dest appeared meanwhile.
func place(tmp, dest string, replace bool) error {
	if replace {
		if err := os.Rename(tmp, dest); err != nil {
			return fmt.Errorf("store: backup: %w", err)
		}
	} else {
		err := os.Link(tmp, dest)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			// A file system without hard links: a rename, once dest is known to be free.
			if _, err = os.Lstat(dest); errors.Is(err, fs.ErrNotExist) {
				err = os.Rename(tmp, dest)
			} else if err == nil {
				err = fs.ErrExist
			}
		}
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("store: will not overwrite %s: %w", dest, fs.ErrExist)
		}
		if err != nil {
			return fmt.Errorf("store: backup: %w", err)
		}
		os.Remove(tmp)
	}
	// The new name is durable once the directory is.
	d, err := os.Open(filepath.Dir(dest))
	if err != nil {
		return nil
	}
	defer d.Close()
	d.Sync()
	return nil
}
