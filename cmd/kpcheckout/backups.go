package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/store/sqlite"
)

// Scheduled backups are named kpcheckout-20261201T030000Z.db, by their UTC time, so that names
// sort as times do.
const (
	backupPrefix = "kpcheckout-"
	backupSuffix = ".db"
	backupTime   = "20060102T150405Z"
)

// backupSchedule writes the backups of `serve --backup-dir`: a copy of the SQLite database every
// `every`, of which the newest `keep` stay.
type backupSchedule struct {
	src, dir string
	every    time.Duration
	keep     int
	log      *slog.Logger
	now      func() time.Time
}

// validateBackups checks the settings of scheduled backups.
func (c *Config) validateBackups() error {
	if c.BackupDir == "" {
		return nil
	}
	if backend, _, err := c.database(); err == nil && backend == backendPostgres {
		return errors.New("--backup-dir (KPCHECKOUT_BACKUP_DIR) backs up a SQLite database; back PostgreSQL up with pg_dump or pg_basebackup (docs/operations.md: Backups)")
	}
	if c.BackupEvery <= 0 {
		return errors.New("--backup-every (KPCHECKOUT_BACKUP_EVERY) must be positive, e.g. 24h")
	}
	if c.BackupKeep < 1 {
		return errors.New("--backup-keep (KPCHECKOUT_BACKUP_KEEP) must be at least 1")
	}
	return nil
}

// startBackups starts the schedule when cfg has a backup directory; stop ends it, waiting for a
// backup under way to be abandoned and its temporary file removed.
func startBackups(ctx context.Context, cfg *Config, log *slog.Logger) (stop func()) {
	if cfg.BackupDir == "" {
		return func() {}
	}
	_, src, _ := cfg.database() // validateBackups made sure it is SQLite
	b := &backupSchedule{src: src, dir: cfg.BackupDir, every: cfg.BackupEvery, keep: cfg.BackupKeep, log: log, now: time.Now}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.run(ctx)
	}()
	log.Info("scheduled backups", "dir", cfg.BackupDir, "every", cfg.BackupEvery.String(), "keep", cfg.BackupKeep, "next", b.due())
	return func() {
		cancel()
		<-done
	}
}

// run writes a backup whenever one is due, until ctx ends. A failure is logged and the backup
// tried again at the next time: it never stops the server.
func (b *backupSchedule) run(ctx context.Context) {
	next := b.due()
	for {
		t := time.NewTimer(max(0, next.Sub(b.now())))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		next = b.now().Add(b.every)
		if err := b.once(ctx); err != nil && ctx.Err() == nil {
			b.log.Error("scheduled backup failed", "err", err, "dir", b.dir, "next", next)
		}
	}
}

// due is when the next backup is: every after the newest in the directory (so that a restart
// does not wait a whole period more), or now when there is none.
func (b *backupSchedule) due() time.Time {
	list := b.backups()
	if len(list) == 0 {
		return b.now()
	}
	last, _ := backupTimeOf(list[len(list)-1])
	if next := b.now().Add(b.every); last.After(b.now()) {
		return next // a backup dated ahead of the clock waits no longer than a period
	}
	return last.Add(b.every)
}

// backups lists the schedule's backups in the directory, oldest first.
func (b *backupSchedule) backups() []string {
	entries, _ := os.ReadDir(b.dir) // sorted by name, and so by time
	var list []string
	for _, e := range entries {
		if _, ok := backupTimeOf(e.Name()); ok && e.Type().IsRegular() {
			list = append(list, e.Name())
		}
	}
	return list
}

// backupTimeOf reads the time in a scheduled backup's name.
func backupTimeOf(name string) (time.Time, bool) {
	s, ok1 := strings.CutPrefix(name, backupPrefix)
	s, ok2 := strings.CutSuffix(s, backupSuffix)
	t, err := time.Parse(backupTime, s)
	return t, ok1 && ok2 && err == nil
}

// once writes a backup, then deletes the oldest past keep.
func (b *backupSchedule) once(ctx context.Context) error {
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return err
	}
	b.removeStale()
	dest := filepath.Join(b.dir, backupPrefix+b.now().UTC().Format(backupTime)+backupSuffix)
	info, err := sqlite.Backup(ctx, b.src, dest, true)
	if err != nil {
		return err
	}
	list := b.backups()
	for _, name := range list[:max(0, len(list)-b.keep)] {
		if err := os.Remove(filepath.Join(b.dir, name)); err != nil {
			b.log.Warn("deleting an old backup", "err", err)
		}
	}
	b.log.Info("backup written", "file", dest, "bytes", info.Size, "merchants", info.Merchants,
		"checkouts", info.Checkouts, "payments", info.Payments)
	return nil
}

// removeStale deletes what backups that died half-way left: temporary files untouched for an
// hour (one being written is touched all along).
func (b *backupSchedule) removeStale() {
	list, _ := filepath.Glob(filepath.Join(b.dir, "."+backupPrefix+"*"+backupSuffix+".tmp-*"))
	for _, p := range list {
		if fi, err := os.Stat(p); err == nil && b.now().Sub(fi.ModTime()) > time.Hour {
			os.Remove(p)
		}
	}
}
