package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/store"
)

func TestMigrationNames(t *testing.T) {
	list := store.Migrations([]string{
		"-- payment links\n\tCREATE TABLE links (id TEXT);",
		"ALTER TABLE links ADD COLUMN note TEXT NOT NULL DEFAULT '';\n\tCREATE INDEX x ON links (note);",
		"CREATE TABLE notes (id TEXT PRIMARY KEY);",
	})
	want := []store.Migration{{1, "payment links"}, {2, "ALTER TABLE links ADD COLUMN note"}, {3, "CREATE TABLE notes"}}
	for i := range want {
		if i >= len(list) || list[i] != want[i] {
			t.Errorf("step %d: %+v, want %+v", i+1, list, want[i])
		}
	}
}

func TestPendingMigrations(t *testing.T) {
	known := store.Migrations([]string{"-- a", "-- b", "-- c"})
	todo, err := store.PendingMigrations(known, map[int]bool{1: true, 3: true})
	if err != nil || len(todo) != 1 || todo[0].Version != 2 {
		t.Errorf("with 1 and 3 applied: %v %v", todo, err)
	}
	_, err = store.PendingMigrations(known, map[int]bool{1: true, 2: true, 3: true, 4: true})
	var newer *store.NewerSchemaError
	if !errors.As(err, &newer) || newer.Database != 4 || newer.Known != 3 {
		t.Errorf("with 4 applied: %v", err)
	}
}

func TestSchemaCurrent(t *testing.T) {
	if err := store.SchemaCurrent(12, 12); err != nil {
		t.Errorf("current: %v", err)
	}
	var newer *store.NewerSchemaError
	if err := store.SchemaCurrent(13, 12); !errors.As(err, &newer) || newer.Database != 13 || newer.Known != 12 {
		t.Errorf("newer: %v", err)
	}
	if err := store.SchemaCurrent(11, 12); err == nil || !strings.Contains(err.Error(), "schema at version 11, want 12") {
		t.Errorf("older: %v", err)
	}
}

func TestApplyMigrations(t *testing.T) {
	todo := store.Migrations([]string{"-- a", "-- b", "-- c", "-- d"})
	var ran []int
	applied, err := store.ApplyMigrations(todo, func(m store.Migration) (bool, error) {
		ran = append(ran, m.Version)
		switch m.Version {
		case 2: // another process applied it meanwhile
			return false, nil
		case 4:
			return false, errors.New("syntax error")
		}
		return true, nil
	})
	if len(ran) != 4 || len(applied) != 2 || applied[0].Version != 1 || applied[1].Version != 3 {
		t.Errorf("ran %v, applied %v", ran, applied)
	}
	if err == nil || !strings.Contains(err.Error(), "migration 4 (d): syntax error") {
		t.Errorf("the failed step: %v", err)
	}
	applied, err = store.ApplyMigrations(todo[:1], func(store.Migration) (bool, error) { return true, nil })
	if err != nil || len(applied) != 1 {
		t.Errorf("one step: %v %v", applied, err)
	}
}
