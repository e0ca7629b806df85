package main

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// liveDatabase is a SQLite database with a merchant in it.
func liveDatabase(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "live.db")
	cliMerchant(t, "상점", "sqlite:"+src)
	return src
}

// names lists the files in dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for _, e := range entries {
		list = append(list, e.Name())
	}
	return list
}

// checkBackup opens a backup and checks it holds the merchant and passes integrity_check.
func checkBackup(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	var merchants int
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("%s: integrity_check %q %v", path, check, err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM merchants`).Scan(&merchants); err != nil || merchants != 1 {
		t.Errorf("%s: %d merchants (%v)", path, merchants, err)
	}
}

// Scheduled backups are named by their UTC time and the newest --backup-keep stay; a temporary
// file a crash left is removed, other files are not.
func TestScheduledBackupsKeepTheNewest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups") // made by the first backup
	now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	b := &backupSchedule{src: liveDatabase(t), dir: dir, every: time.Hour, keep: 2, log: slog.New(slog.DiscardHandler),
		now: func() time.Time { return now }}
	if due := b.due(); !due.Equal(now) {
		t.Errorf("with no backup, the first is due at %v, want now (%v)", due, now)
	}
	for i := range 3 {
		if err := b.once(t.Context()); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		if i == 0 {
			// What a backup that died half-way leaves, and what the operator keeps there.
			stale := filepath.Join(dir, ".kpcheckout-20261201T000000Z.db.tmp-123")
			os.WriteFile(stale, []byte("half"), 0o600)
			os.Chtimes(stale, now.Add(-2*time.Hour), now.Add(-2*time.Hour))
			os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600)
		}
		now = now.Add(time.Hour)
	}
	want := []string{"kpcheckout-20261201T040000Z.db", "kpcheckout-20261201T050000Z.db", "notes.txt"}
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Errorf("the backup directory holds %v, want %v", got, want)
	}
	checkBackup(t, filepath.Join(dir, want[1]))
	if due := b.due(); !due.Equal(time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("the next backup is due at %v, want an hour after the newest", due)
	}
}

// A scheduled backup that fails is logged and tried again at the next time; the schedule goes on.
func TestScheduledBackupFailureIsRetried(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	if err := os.WriteFile(dir, []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &handlerstest.LogBuffer{}
	b := &backupSchedule{src: liveDatabase(t), dir: dir, every: 20 * time.Millisecond, keep: 3,
		log: slog.New(slog.NewJSONHandler(logs, nil)), now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.run(ctx); close(done) }()
	defer cancel()
	waitFor(t, func() bool { return strings.Contains(logs.String(), `"msg":"scheduled backup failed"`) }, "a failure logged")
	os.Remove(dir)
	waitFor(t, func() bool { return strings.Contains(logs.String(), `"msg":"backup written"`) }, "a backup after the failure")
	cancel()
	<-done
	list, _ := filepath.Glob(filepath.Join(dir, "kpcheckout-*.db"))
	if len(list) == 0 {
		t.Fatalf("no backup in %s: %v", dir, names(t, dir))
	}
	checkBackup(t, list[0])
}

// waitFor polls cond until it holds; what is waited for happens in another goroutine.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
	}
}

// `kpcheckout serve --backup-dir DIR` writes a backup at start when DIR holds none.
func TestServeWritesScheduledBackups(t *testing.T) {
	dir := t.TempDir()
	startServeEnv(t, map[string]string{"KPCHECKOUT_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "s.db"),
		"KPCHECKOUT_BACKUP_DIR": dir, "KPCHECKOUT_BACKUP_KEEP": "3"})
	var list []string
	waitFor(t, func() bool { list, _ = filepath.Glob(filepath.Join(dir, "kpcheckout-*.db")); return len(list) > 0 }, "a backup")
	if _, err := time.Parse("20060102T150405Z", strings.TrimSuffix(strings.TrimPrefix(filepath.Base(list[0]), "kpcheckout-"), ".db")); err != nil {
		t.Errorf("the backup's name %s is not its UTC time: %v", list[0], err)
	}
}

func TestBackupSettingsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"KPCHECKOUT_BACKUP_DIR": "/var/backups", "KPCHECKOUT_DATABASE_URL": "postgres://kp@db/kp"}, "pg_dump"},
		{map[string]string{"KPCHECKOUT_BACKUP_DIR": "/var/backups", "KPCHECKOUT_BACKUP_KEEP": "0"}, "backup-keep"},
		{map[string]string{"KPCHECKOUT_BACKUP_DIR": "/var/backups", "KPCHECKOUT_BACKUP_EVERY": "0s"}, "backup-every"},
	} {
		if _, _, err := parseConfig("serve", nil, env(tc.vars), io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.vars, err, tc.want)
		}
	}
}
