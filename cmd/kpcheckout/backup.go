package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/kpcheckout/kpcheckout/store/sqlite"
)

const backupUsage = "usage: kpcheckout backup [--force] FILE"

// backupCommand serves `kpcheckout backup [--force] FILE`: a consistent copy of the SQLite
// database, written while a server may be running and writing, and what it holds.
func backupCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := newFlagSet("backup", stdout)
	force := flags.Bool("force", false, "replace FILE when it exists")
	cfg := newConfig(flags, getenv)
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	// FILE may come before the flags too: kpcheckout backup FILE --force.
	dest := flags.Arg(0)
	if err := parseFlags(flags, flags.Args()[min(1, flags.NArg()):]); err != nil {
		return err
	}
	if dest == "" || flags.NArg() > 0 {
		return errors.New(backupUsage)
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	backend, src, err := cfg.database()
	if err != nil {
		return err
	}
	if backend == backendPostgres {
		return errors.New(pgBackupAdvice)
	}
	info, err := sqlite.Backup(ctx, src, dest, *force)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w; choose another name, or add --force to replace it", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s, schema version %d, %s, %s, %s; integrity ok\n", info.Path, byteSize(info.Size),
		info.Version, count(info.Merchants, "merchant"), count(info.Checkouts, "checkout"), count(info.Payments, "payment"))
	return nil
}

// pgBackupAdvice is what backup says with PostgreSQL, which has its own tools.
const pgBackupAdvice = "kpcheckout backup copies a SQLite database; back PostgreSQL up with its own tools: " +
	"pg_dump --format=custom for a copy of the database, or pg_basebackup with WAL archiving to restore to any moment " +
	"(docs/operations.md: Backups)"

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// byteSize is a size as people read it: 4.2 MB.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
