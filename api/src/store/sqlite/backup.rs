//! SQLite's part of backups: `VACUUM INTO` for a consistent copy while the node serves,
//! `PRAGMA integrity_check` and the schema version for the check, and a file swap for the
//! restore that keeps the replaced database (with its `-wal`) beside it.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};

use super::migrations::MIGRATIONS;
use crate::store::BackupEngine;

/// Backups of the SQLite file at `db`.
pub struct SqliteBackups {
    db: PathBuf,
}

impl SqliteBackups {
    pub fn new(db: PathBuf) -> SqliteBackups {
        SqliteBackups { db }
    }
}

impl BackupEngine for SqliteBackups {
    fn extension(&self) -> &'static str {
        ".sqlite3"
    }

    fn copy_to(&self, path: &Path) -> anyhow::Result<()> {
        let source = Connection::open_with_flags(&self.db, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .with_context(|| format!("opening {}", self.db.display()))?;
        source.busy_timeout(std::time::Duration::from_secs(30))?;
        let target = path
            .to_str()
            .context("the backup directory's path is not UTF-8")?;
        source
            .execute("VACUUM INTO ?1", [target])
            .with_context(|| format!("copying {} to {}", self.db.display(), path.display()))?;
        Ok(())
    }

    /// SQLite's own integrity check, then the schema version; the reason when either fails or
    /// the schema is newer than this version of Attaka knows.
    fn verify(&self, path: &Path) -> Result<u32, String> {
        let unreadable = |e: rusqlite::Error| format!("データベースとして読めません: {e}");
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(unreadable)?;
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(unreadable)?;
        if integrity != "ok" {
            return Err(format!("整合性検査で不具合が見つかりました: {integrity}"));
        }
        let version: Option<u32> = conn
            .query_row("SELECT max(version) FROM schema_migrations", [], |r| r.get(0))
            .map_err(unreadable)?;
        let version = version.ok_or("マイグレーションの記録がありません")?;
        let newest = MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0);
        if version > newest {
            return Err(format!(
                "この版の Attaka より新しいスキーマです（{version} > {newest}）"
            ));
        }
        Ok(version)
    }

    /// Copies the generation beside the database, moves the database (and its `-wal`, `-shm`)
    /// aside as `<name>.before-restore-<time>`, then renames the copy into place, so a restore
    /// can itself be undone.
    fn restore_from(&self, path: &Path, now: DateTime<Utc>) -> anyhow::Result<Option<PathBuf>> {
        let db = &self.db;
        let incoming = db.with_extension("restoring");
        fs::copy(path, &incoming).with_context(|| format!("copying {}", path.display()))?;
        // fs::copy keeps the generation's mode: an older or copied-back one may be world-readable.
        crate::ops::files::make_owner_only(&incoming)
            .with_context(|| format!("making {} owner-only", incoming.display()))?;
        // Opened for writing: Windows refuses to flush a file opened read-only.
        fs::OpenOptions::new().write(true).open(&incoming)?.sync_all()?;
        let mut previous = None;
        if db.exists() {
            let mut kept = db.as_os_str().to_owned();
            kept.push(format!(".before-restore-{}", now.format("%Y%m%dT%H%M%SZ")));
            let kept = PathBuf::from(kept);
            fs::rename(db, &kept).with_context(|| format!("moving {} aside", db.display()))?;
            for suffix in ["-wal", "-shm"] {
                let mut side = db.as_os_str().to_owned();
                side.push(suffix);
                let side = PathBuf::from(side);
                if side.exists() {
                    let mut to = kept.as_os_str().to_owned();
                    to.push(suffix);
                    fs::rename(&side, PathBuf::from(to))?;
                }
            }
            previous = Some(kept);
        }
        fs::rename(&incoming, db)
            .with_context(|| format!("putting the backup in place at {}", db.display()))?;
        Ok(previous)
    }
}
