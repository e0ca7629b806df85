package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/postgres"
	"github.com/kpcheckout/kpcheckout/store/sqlite"
)

// migrateCommand serves `kpcheckout migrate [--dry-run]`: it brings the schema up to date and
// lists the steps it applied, or with --dry-run the steps it would apply, changing nothing.
func migrateCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stdout)
	dryRun := fs.Bool("dry-run", false, "list the steps the database lacks, changing nothing")
	cfg := newConfig(fs, getenv)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	backend, target, err := cfg.database()
	if err != nil {
		return err
	}
	known := len(sqlite.Migrations())
	if backend == backendPostgres {
		known = len(postgres.Migrations())
	}
	if *dryRun {
		var todo []store.Migration
		if backend == backendPostgres {
			todo, err = postgres.Pending(ctx, target)
		} else {
			todo, err = sqlite.Pending(ctx, target)
		}
		if err != nil {
			return fmt.Errorf("%w (KPCHECKOUT_DATABASE_URL=%s)", err, cfg.databaseName())
		}
		printSteps(stdout, todo, known, fmt.Sprintf("%s to apply; this kpcheckout knows versions up to %d:", steps(len(todo)), known))
		return nil
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	applied := migrated(db)
	printSteps(stdout, applied, known, fmt.Sprintf("applied %s; the database is at schema version %d:", steps(len(applied)), known))
	return nil
}

// printSteps prints head and the steps, one a line, or that there is nothing to apply.
func printSteps(w io.Writer, list []store.Migration, known int, head string) {
	if len(list) == 0 {
		fmt.Fprintf(w, "nothing to apply: the database has all %s this kpcheckout knows\n", steps(known))
		return
	}
	fmt.Fprintln(w, head)
	for _, m := range list {
		fmt.Fprintf(w, "%3d  %s\n", m.Version, m.Name)
	}
}

func steps(n int) string {
	if n == 1 {
		return "1 step"
	}
	return fmt.Sprintf("%d steps", n)
}

// migrated lists the steps opening db applied.
func migrated(db store.Store) []store.Migration {
	if m, ok := db.(interface{ Migrated() []store.Migration }); ok {
		return m.Migrated()
	}
	return nil
}

// logMigrated logs the steps opening db applied, when it applied any.
func logMigrated(log *slog.Logger, db store.Store) {
	list := migrated(db)
	if len(list) == 0 {
		return
	}
	names := make([]string, len(list))
	for i, m := range list {
		names[i] = fmt.Sprintf("%d %s", m.Version, m.Name)
	}
	log.Info("database migrated", "applied", len(list), "version", list[len(list)-1].Version, "steps", names)
}
