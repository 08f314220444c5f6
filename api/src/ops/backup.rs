//! Backups of the node's SQLite database in generations: each made as a consistent snapshot
//! (`VACUUM INTO`) while the node serves, verified before it counts, described by a manifest
//! (time, size, SHA-256, schema version). A restore takes the newest generation that still
//! verifies and falls back one generation at a time; when none is left it says so and leaves
//! the database as it was.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::domain::alert::{NewAlert, Severity};
use crate::ops::alerts;
use crate::store::sqlite::migrations::MIGRATIONS;
use crate::store::CommonStore;

/// The alert raised while the latest backup attempt failed (subject: the backup directory).
pub const BACKUP_FAILED: &str = "backup_failed";
/// The alert a restore raises when it had to pass over newer generations.
pub const RESTORE_FELL_BACK: &str = "backup_restore_fell_back";

const PREFIX: &str = "attaka-";
const EXTENSION: &str = ".sqlite3";

/// What a generation's `.json` beside it says of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub created_at: DateTime<Utc>,
    pub bytes: u64,
    pub sha256: String,
    /// The newest migration the copy holds.
    pub schema_version: u32,
}

/// One generation: the copy and its manifest (unreadable manifests are kept as the reason).
#[derive(Debug, Clone)]
pub struct Generation {
    pub path: PathBuf,
    pub manifest: Result<Manifest, String>,
}

impl Generation {
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Why this generation cannot be restored, if it cannot: its manifest, its size and
    /// checksum, SQLite's integrity check, and a schema this version of Attaka can run.
    pub fn check(&self) -> Result<(), String> {
        let manifest = self.manifest.as_ref().map_err(Clone::clone)?;
        let bytes = fs::metadata(&self.path)
            .map_err(|e| format!("ファイルを読めません: {e}"))?
            .len();
        if bytes != manifest.bytes {
            return Err(format!(
                "大きさが記録と違います（記録 {} バイト、実際 {bytes} バイト）",
                manifest.bytes
            ));
        }
        if sha256_of(&self.path).map_err(|e| format!("ファイルを読めません: {e}"))? != manifest.sha256
        {
            return Err("SHA-256 が記録と違います（ファイルが変わっています）".into());
        }
        let version = verify_database(&self.path)?;
        if version != manifest.schema_version {
            return Err(format!(
                "スキーマの版が記録と違います（記録 {}、実際 {version}）",
                manifest.schema_version
            ));
        }
        Ok(())
    }
}

fn manifest_path(copy: &Path) -> PathBuf {
    let mut name = copy.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// SQLite's own integrity check, then the schema version; the reason when either fails or the
/// schema is newer than this version of Attaka knows.
fn verify_database(path: &Path) -> Result<u32, String> {
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

/// The generations in `dir`, newest first.
pub fn generations(dir: &Path) -> anyhow::Result<Vec<Generation>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !(name.starts_with(PREFIX) && name.ends_with(EXTENSION)) {
            continue;
        }
        let manifest = fs::read(manifest_path(&path))
            .map_err(|e| format!("マニフェストを読めません: {e}"))
            .and_then(|b| {
                serde_json::from_slice::<Manifest>(&b).map_err(|e| format!("マニフェストが壊れています: {e}"))
            });
        found.push(Generation { path, manifest });
    }
    // The names carry the UTC time they were made, so the names sort by age.
    found.sort_by_key(|g| std::cmp::Reverse(g.name()));
    Ok(found)
}

/// Writes `bytes` to `path` through a temporary file renamed into place, synced first.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("partial");
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, path)
}

/// Makes a generation of the database at `db` in `dir` and verifies it; keeps the newest
/// `keep` generations. A copy that fails its check is deleted and the error says why, so a
/// generation on disk is one that verified when it was made.
pub fn make(db: &Path, dir: &Path, keep: usize, now: DateTime<Utc>) -> anyhow::Result<Generation> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = format!("{PREFIX}{}{EXTENSION}", now.format("%Y%m%dT%H%M%S%.3fZ"));
    let path = dir.join(&name);
    let partial = dir.join(format!("{name}.partial"));
    // What an interrupted backup left.
    for entry in fs::read_dir(dir)?.flatten() {
        if entry.file_name().to_string_lossy().ends_with(".sqlite3.partial") {
            let _ = fs::remove_file(entry.path());
        }
    }
    let source = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .with_context(|| format!("opening {}", db.display()))?;
    source.busy_timeout(std::time::Duration::from_secs(30))?;
    let target = partial
        .to_str()
        .context("the backup directory's path is not UTF-8")?;
    source
        .execute("VACUUM INTO ?1", [target])
        .with_context(|| format!("copying {} to {}", db.display(), partial.display()))?;
    drop(source);
    let checked = verify_database(&partial).and_then(|version| {
        Ok((
            version,
            sha256_of(&partial).map_err(|e| e.to_string())?,
            fs::metadata(&partial).map_err(|e| e.to_string())?.len(),
        ))
    });
    let (schema_version, sha256, bytes) = match checked {
        Ok(found) => found,
        Err(reason) => {
            let _ = fs::remove_file(&partial);
            bail!("the new backup did not verify: {reason}");
        }
    };
    fs::File::open(&partial)?.sync_all()?;
    fs::rename(&partial, &path)?;
    let manifest = Manifest {
        created_at: now,
        bytes,
        sha256,
        schema_version,
    };
    write_atomically(&manifest_path(&path), &serde_json::to_vec_pretty(&manifest)?)?;
    for old in generations(dir)?.into_iter().skip(keep.max(1)) {
        fs::remove_file(&old.path).with_context(|| format!("removing {}", old.path.display()))?;
        let _ = fs::remove_file(manifest_path(&old.path));
    }
    Ok(Generation {
        path,
        manifest: Ok(manifest),
    })
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// The generation now in place.
    pub from: Generation,
    /// Newer generations passed over, with why.
    pub skipped: Vec<(String, String)>,
    /// Where the database that was replaced was kept (none when there was none).
    pub previous: Option<PathBuf>,
}

/// The generation a restore would take: the newest that checks, with the ones passed over.
pub fn choose(dir: &Path) -> anyhow::Result<(Generation, Vec<(String, String)>)> {
    let all = generations(dir)?;
    if all.is_empty() {
        bail!("no backup in {}", dir.display());
    }
    let mut skipped = Vec::new();
    for generation in all {
        match generation.check() {
            Ok(()) => return Ok((generation, skipped)),
            Err(reason) => {
                tracing::warn!(generation = %generation.name(), %reason, "backup generation unusable; trying the one before");
                skipped.push((generation.name(), reason));
            }
        }
    }
    let reasons: Vec<String> = skipped.iter().map(|(n, r)| format!("{n}: {r}")).collect();
    bail!(
        "no usable backup in {}; the database was left as it was:\n  {}",
        dir.display(),
        reasons.join("\n  ")
    )
}

/// Puts the newest good generation in place of the database at `db` (the node must be
/// stopped). The database it replaces is kept beside it as `<name>.before-restore-<time>`
/// (with its `-wal`), so a restore can itself be undone.
pub fn restore(db: &Path, dir: &Path, now: DateTime<Utc>) -> anyhow::Result<Restored> {
    let (from, skipped) = choose(dir)?;
    let incoming = db.with_extension("restoring");
    fs::copy(&from.path, &incoming).with_context(|| format!("copying {}", from.path.display()))?;
    fs::File::open(&incoming)?.sync_all()?;
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
    fs::rename(&incoming, db).with_context(|| format!("putting the backup in place at {}", db.display()))?;
    Ok(Restored {
        from,
        skipped,
        previous,
    })
}

fn database_of(settings: &Settings) -> anyhow::Result<PathBuf> {
    settings
        .sqlite_path()
        .context("backups here copy the SQLite file; a SQL Server database is backed up by SQL Server itself")
}

/// Makes one generation now (off the async threads), keeping `backup.keep`; raises the
/// `backup_failed` alert when it fails and clears it when it succeeds.
pub async fn run_once(store: &dyn CommonStore, settings: &Settings) -> anyhow::Result<Generation> {
    let db = database_of(settings)?;
    let dir = settings.backup_dir();
    let keep = settings.backup.keep;
    let subject = dir.display().to_string();
    let made = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || make(&db, &dir, keep, Utc::now()))
            .await
            .map_err(|e| anyhow::anyhow!("the backup task failed: {e}"))
            .and_then(|r| r)
    };
    match made {
        Ok(generation) => {
            tracing::info!(event = "backup_made", generation = %generation.name(), dir = %subject, "backup made and verified");
            alerts::clear(store, BACKUP_FAILED, &subject).await?;
            Ok(generation)
        }
        Err(e) => {
            let alert = NewAlert {
                event: BACKUP_FAILED,
                subject,
                severity: Severity::Error,
                message: format!("バックアップを作成できませんでした: {e:#}"),
            };
            alerts::raise(store, alert).await?;
            Err(e)
        }
    }
}

/// Restores as [`restore`] does from the configured database and backup directory, then
/// opens the restored database and raises `backup_restore_fell_back` when newer generations
/// had to be passed over, so the operator hears of it.
pub async fn restore_configured(settings: &Settings) -> anyhow::Result<Restored> {
    let db = database_of(settings)?;
    let dir = settings.backup_dir();
    let restored = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || restore(&db, &dir, Utc::now()))
            .await
            .map_err(|e| anyhow::anyhow!("the restore task failed: {e}"))??
    };
    if !restored.skipped.is_empty() {
        let store = crate::store::open_common(settings).await?;
        store.migrate().await?;
        let passed: Vec<String> = restored
            .skipped
            .iter()
            .map(|(n, r)| format!("{n}（{r}）"))
            .collect();
        let alert = NewAlert {
            event: RESTORE_FELL_BACK,
            subject: dir.display().to_string(),
            severity: Severity::Warn,
            message: format!(
                "新しい世代が使えなかったため {} から復元しました。使えなかった世代: {}",
                restored.from.name(),
                passed.join("、")
            ),
        };
        alerts::raise(store.as_ref(), alert).await?;
    }
    Ok(restored)
}
