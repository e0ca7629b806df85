package store

import (
	"fmt"
	"strings"
)

// Migration is one step of a backend's schema. Steps are numbered from 1 in the order they are
// applied, and the database keeps the numbers it has applied (schema_migrations).
type Migration struct {
	Version int
	Name    string // what the step does, in a few words
}

// Migrations numbers a backend's list of migration SQL. A step's name is its leading
// "-- " comment line or, for a step without one, the start of its first statement
// ("ALTER TABLE links ADD COLUMN note").
func Migrations(steps []string) []Migration {
	list := make([]Migration, len(steps))
	for i, sql := range steps {
		list[i] = Migration{Version: i + 1, Name: migrationName(sql)}
	}
	return list
}

// migrationName is a step's "-- " comment line, or its first statement shortened to a line.
func migrationName(sql string) string {
	sql = strings.TrimSpace(sql)
	if rest, ok := strings.CutPrefix(sql, "-- "); ok {
		line, _, _ := strings.Cut(rest, "\n")
		return strings.TrimSpace(line)
	}
	// Six words name a table (CREATE TABLE t), a column (ALTER TABLE t ADD COLUMN c) or an index.
	stmt, _, _ := strings.Cut(sql, ";")
	stmt, _, _ = strings.Cut(stmt, "(")
	words := strings.Fields(stmt)
	return strings.Join(words[:min(len(words), 6)], " ")
}

// NewerSchemaError refuses a database that a newer kpcheckout migrated past the last version
// this one knows: this one's queries may not fit the schema, so it changes nothing.
type NewerSchemaError struct {
	Database int // the highest version the database has applied
	Known    int // the last version this kpcheckout knows
}

// Error says both versions and what to do.
func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("store: the database is at schema version %d, but this kpcheckout knows versions up to %d: "+
		"a newer kpcheckout has upgraded it. Run that version or a later one, or restore the backup made before "+
		"the upgrade; this one changed nothing", e.Database, e.Known)
}

// PendingMigrations are the steps of known that a database which has applied the versions in
// have lacks; a NewerSchemaError when have holds a version past the last of known.
func PendingMigrations(known []Migration, have map[int]bool) ([]Migration, error) {
	newest := 0
	for v := range have {
		newest = max(newest, v)
	}
	if newest > len(known) {
		return nil, &NewerSchemaError{Database: newest, Known: len(known)}
	}
	var todo []Migration
	for _, m := range known {
		if !have[m.Version] {
			todo = append(todo, m)
		}
	}
	return todo, nil
}

// ApplyMigrations applies the steps of todo in order through one, which applies a step in its
// own transaction unless the database has it already and tells which, and answers the steps it
// applied; the first error stops it, naming its step.
func ApplyMigrations(todo []Migration, one func(m Migration) (applied bool, err error)) ([]Migration, error) {
	var applied []Migration
	for _, m := range todo {
		done, err := one(m)
		if err != nil {
			return applied, fmt.Errorf("store: migration %d (%s): %w", m.Version, m.Name, err)
		}
		if done {
			applied = append(applied, m)
		}
	}
	return applied, nil
}

// SchemaCurrent tells whether a database whose newest applied step is have fits a kpcheckout
// that knows the steps up to known: a NewerSchemaError when a newer kpcheckout migrated it
// further, an error when it lacks steps.
func SchemaCurrent(have, known int) error {
	switch {
	case have > known:
		return &NewerSchemaError{Database: have, Known: known}
	case have != known:
		return fmt.Errorf("store: schema at version %d, want %d", have, known)
	}
	return nil
}
