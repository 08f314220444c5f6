//! Backups of the node's database in generations: each made as a consistent copy by the
//! dialect's [`BackupEngine`] (SQLite: `VACUUM INTO`) while the node serves, verified before it
//! counts, described by a manifest (time, size, SHA-256, schema version). A restore takes the newest generation that still
//! verifies and falls back one generation at a time; when none is left it says so and leaves
//! the database as it was.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::domain::alert::{NewAlert, Severity};
use crate::ops::alerts;
use crate::store::{BackupEngine, CommonStore};

/// The alert raised while the latest backup attempt failed (subject: the backup directory).
pub const BACKUP_FAILED: &str = "backup_failed";
/// The alert a restore raises when it had to pass over newer generations.
pub const RESTORE_FELL_BACK: &str = "backup_restore_fell_back";

const PREFIX: &str = "attaka-";
const MANIFEST: &str = ".json";
const PARTIAL: &str = ".partial";

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
    /// checksum, the dialect's own check, and a schema this version of Attaka can run.
    pub fn check(&self, engine: &dyn BackupEngine) -> Result<(), String> {
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
        let version = engine.verify(&self.path)?;
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
        if !name.starts_with(PREFIX) || name.ends_with(MANIFEST) || name.ends_with(PARTIAL) {
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
    crate::ops::files::make_owner_only(&tmp)?;
    fs::rename(&tmp, path)
}

/// Makes a generation of the database in `dir` with the dialect's `engine` and verifies it;
/// keeps the newest `keep` generations. A copy that fails its check is deleted and the error
/// says why, so a generation on disk is one that verified when it was made.
pub fn make(
    engine: &dyn BackupEngine,
    dir: &Path,
    keep: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<Generation> {
    crate::ops::files::create_owner_only_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = format!(
        "{PREFIX}{}{}",
        now.format("%Y%m%dT%H%M%S%.3fZ"),
        engine.extension()
    );
    let path = dir.join(&name);
    let partial = dir.join(format!("{name}{PARTIAL}"));
    // What an interrupted backup left.
    for entry in fs::read_dir(dir)?.flatten() {
        let left = entry.file_name().to_string_lossy().into_owned();
        if left.starts_with(PREFIX) && left.ends_with(PARTIAL) {
            let _ = fs::remove_file(entry.path());
        }
    }
    if let Err(e) = engine.copy_to(&partial) {
        // Nothing of a refused or cut-short copy is kept, let alone counted as a generation.
        let _ = fs::remove_file(&partial);
        return Err(e);
    }
    let checked = engine.verify(&partial).and_then(|version| {
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
    if engine.node_writes_copies() {
        // Opened for writing: Windows refuses to flush a file opened read-only.
        fs::OpenOptions::new().write(true).open(&partial)?.sync_all()?;
        // A copy of personal data: owner-only whatever the process's umask.
        crate::ops::files::make_owner_only(&partial)?;
    }
    fs::rename(&partial, &path)?;
    let manifest = Manifest {
        created_at: now,
        bytes,
        sha256,
        schema_version,
    };
    write_atomically(&manifest_path(&path), &serde_json::to_vec_pretty(&manifest)?)?;
    // The new generation is made and verified: an old one that cannot be removed now (on
    // Windows, a file another program has open, a virus scanner say) is left for the next
    // backup to remove, not counted as a failed backup.
    for old in generations(dir)?.into_iter().skip(keep.max(1)) {
        match fs::remove_file(&old.path) {
            Ok(()) => {
                let _ = fs::remove_file(manifest_path(&old.path));
            }
            Err(e) => {
                tracing::warn!(event = "backup_prune_failed", generation = %old.name(), error = %e, "old backup generation not removed; the next backup tries again");
            }
        }
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
pub fn choose(engine: &dyn BackupEngine, dir: &Path) -> anyhow::Result<(Generation, Vec<(String, String)>)> {
    let all = generations(dir)?;
    if all.is_empty() {
        bail!("no backup in {}", dir.display());
    }
    let mut skipped = Vec::new();
    for generation in all {
        match generation.check(engine) {
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

/// Puts the newest good generation in place of the database (the node must be stopped); the
/// engine keeps the database it replaces, so a restore can itself be undone.
pub fn restore(engine: &dyn BackupEngine, dir: &Path, now: DateTime<Utc>) -> anyhow::Result<Restored> {
    let (from, skipped) = choose(engine, dir)?;
    let previous = engine.restore_from(&from.path, now)?;
    Ok(Restored {
        from,
        skipped,
        previous,
    })
}

/// Makes one generation now (off the async threads), keeping `backup.keep`; raises the
/// `backup_failed` alert when it fails and clears it when it succeeds.
pub async fn run_once(store: &dyn CommonStore, settings: &Settings) -> anyhow::Result<Generation> {
    let engine = crate::store::backup_engine(settings)?;
    let dir = settings.backup_dir();
    let keep = settings.backup.keep;
    let subject = dir.display().to_string();
    let made = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || make(engine.as_ref(), &dir, keep, Utc::now()))
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

/// The database's use by nodes, marked by an OS file lock on `<database>.serving.lock` that
/// ends with the process holding it (flock on Unix, LockFileEx on Windows): every serving node
/// holds it shared, a restore holds it alone. Dropping it releases it.
#[derive(Debug)]
pub struct DatabaseUse {
    _file: fs::File,
}

/// Where the lock of an SQLite database is (none for other engines: nothing to swap there).
fn use_lock_path(settings: &Settings) -> Option<PathBuf> {
    settings.sqlite_path().map(|db| {
        let mut name = db.into_os_string();
        name.push(".serving.lock");
        PathBuf::from(name)
    })
}

fn open_use_lock(path: &Path) -> anyhow::Result<fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

/// Marks the database as served from, for as long as the result is kept (`attaka serve`, the
/// Windows service); fails while a restore is replacing it.
pub fn serving(settings: &Settings) -> anyhow::Result<Option<DatabaseUse>> {
    let Some(path) = use_lock_path(settings) else {
        return Ok(None);
    };
    let file = open_use_lock(&path)?;
    match fs4::FileExt::try_lock_shared(&file) {
        Ok(()) => Ok(Some(DatabaseUse { _file: file })),
        Err(fs4::TryLockError::WouldBlock) => {
            bail!(
                "a restore is replacing the database ({} is locked); start the node when it has finished",
                path.display()
            )
        }
        Err(fs4::TryLockError::Error(e)) => Err(e).with_context(|| format!("locking {}", path.display())),
    }
}

/// Takes the database for a restore: fails while a node serves from it.
fn exclusive(settings: &Settings) -> anyhow::Result<Option<DatabaseUse>> {
    let Some(path) = use_lock_path(settings) else {
        return Ok(None);
    };
    let file = open_use_lock(&path)?;
    match fs4::FileExt::try_lock(&file) {
        Ok(()) => Ok(Some(DatabaseUse { _file: file })),
        Err(fs4::TryLockError::WouldBlock) => bail!(
            "the node is serving from this database; stop it first (Windows: attaka service stop), then restore"
        ),
        Err(fs4::TryLockError::Error(e)) => Err(e).with_context(|| format!("locking {}", path.display())),
    }
}

/// Restores as [`restore`] does from the configured database and backup directory, then
/// opens the restored database and raises `backup_restore_fell_back` when newer generations
/// had to be passed over, so the operator hears of it.
///
/// Refuses while a node serves from the database ([`serving`]): on Unix the swap would succeed
/// under it, and it would go on writing to the database it had open; on Windows the swap fails
/// half-way with the file in use.
pub async fn restore_configured(settings: &Settings) -> anyhow::Result<Restored> {
    let engine = crate::store::backup_engine(settings)?;
    let taken = exclusive(settings)?;
    let dir = settings.backup_dir();
    let restored = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || restore(engine.as_ref(), &dir, Utc::now()))
            .await
            .map_err(|e| anyhow::anyhow!("the restore task failed: {e}"))??
    };
    drop(taken);
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
