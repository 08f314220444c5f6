//! SQL Server's part of backups: `BACKUP DATABASE … TO DISK … WITH COPY_ONLY, CHECKSUM, INIT`
//! for a consistent copy while the hub serves, `RESTORE VERIFYONLY … WITH CHECKSUM` and the
//! schema version the copy's header carries for the check, and `RESTORE DATABASE … WITH
//! REPLACE` for the restore, after a copy of the database it replaces.
//!
//! The database server writes and reads the files, so the generations' directory must be one
//! the server can write: `backup.server_dir` is that directory as the server names it
//! (`D:\attaka-backups`, `/var/opt/mssql/backups/attaka`), `backup.dir` the same directory as
//! the node sees it (the same machine, or a share), where `ops::backup` keeps the manifests and
//! checks sizes and SHA-256. `COPY_ONLY` leaves the DBA's own backup chain (differentials, logs)
//! as it is. Babelfish for PostgreSQL refuses BACKUP and RESTORE: the engine then fails with the
//! server's words and nothing is recorded (see the runbook, "Backups of a hub on SQL Server").

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::conn::{connect, Client};
use super::connect::ConnectOptions;
use super::migrations::MIGRATIONS;
use crate::store::BackupEngine;

/// Statements of this module, for the parse test.
#[cfg(test)]
pub(super) const SQL: &[&str] = &[DATABASE_AND_SCHEMA, BACKUP, VERIFY, HEADER, RESTORE];

/// The database's name and the newest migration it holds, read just before the copy.
pub(super) const DATABASE_AND_SCHEMA: &str = "SELECT DB_NAME(), (SELECT MAX(version) FROM schema_migrations)";
/// A full copy outside the DBA's chain, checksummed, into a new file; the description carries
/// the schema version for the check.
pub(super) const BACKUP: &str =
    "BACKUP DATABASE @P1 TO DISK = @P2 WITH COPY_ONLY, CHECKSUM, INIT, FORMAT, DESCRIPTION = @P3";
/// The server reads the whole copy and checks its page checksums.
pub(super) const VERIFY: &str = "RESTORE VERIFYONLY FROM DISK = @P1 WITH CHECKSUM";
/// The copy's header (its `BackupDescription` column, `DatabaseName`).
pub(super) const HEADER: &str = "RESTORE HEADERONLY FROM DISK = @P1";
/// Run from `master`, with no other session in the database.
pub(super) const RESTORE: &str = "RESTORE DATABASE @P1 FROM DISK = @P2 WITH REPLACE, CHECKSUM";

const DESCRIPTION_PREFIX: &str = "attaka schema ";

/// Backups of the hub's SQL Server database.
pub struct MssqlBackups {
    server: ConnectOptions,
    /// The generations' directory as the database server names it.
    server_dir: String,
}

impl MssqlBackups {
    /// Backups of the database `server` connects to, into `server_dir` as the server sees it.
    pub fn new(server: ConnectOptions, server_dir: String) -> MssqlBackups {
        MssqlBackups { server, server_dir }
    }

    /// The server's name for the file the node knows as `path` (same name, the server's folder).
    pub fn server_path(&self, path: &Path) -> anyhow::Result<String> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .context("a backup file name must be UTF-8")?;
        let dir = self.server_dir.trim_end_matches(['/', '\\']);
        // A Windows server's folder (`D:\…`, `\\host\share`) takes backslashes.
        let sep = if dir.contains('\\') || dir.as_bytes().get(1) == Some(&b':') {
            '\\'
        } else {
            '/'
        };
        Ok(format!("{dir}{sep}{name}"))
    }

    async fn client(&self, database: Option<&str>) -> anyhow::Result<Client> {
        let options = match database {
            Some(db) => self.server.with_database(db),
            None => self.server.clone(),
        };
        connect(&options.tiberius())
            .await
            .with_context(|| format!("connecting to SQL Server at {}", self.server.redacted()))
    }

    /// The database's name and schema version (on the hub's own database).
    async fn database_and_schema(&self) -> anyhow::Result<(String, u32)> {
        let mut client = self.client(None).await?;
        let row = client
            .simple_query(DATABASE_AND_SCHEMA)
            .await?
            .into_row()
            .await?
            .context("no answer to DB_NAME()")?;
        let name = row.get::<&str, _>(0).context("DB_NAME() is NULL")?.to_owned();
        let version = row
            .try_get::<i32, _>(1)
            .ok()
            .flatten()
            .context("the database has no schema_migrations rows: migrate it first")?;
        client.close().await?;
        Ok((name, u32::try_from(version).context("schema version")?))
    }

    async fn backup(&self, path: &Path) -> anyhow::Result<()> {
        let (database, version) = self.database_and_schema().await?;
        let target = self.server_path(path)?;
        let description = format!("{DESCRIPTION_PREFIX}{version}");
        backup_into(&mut self.client(None).await?, &database, &target, &description).await
    }

    async fn verify_copy(&self, path: &Path) -> Result<u32, String> {
        let target = self.server_path(path).map_err(|e| e.to_string())?;
        let mut client = self
            .client(None)
            .await
            .map_err(|e| format!("SQL Server に接続できません: {e:#}"))?;
        client
            .execute(VERIFY, &[&target.as_str()])
            .await
            .map_err(|e| format!("検査（RESTORE VERIFYONLY）が失敗しました（{target}）: {e}"))?;
        let rows = client
            .query(HEADER, &[&target.as_str()])
            .await
            .map_err(|e| format!("見出しの読み出し（RESTORE HEADERONLY）が失敗しました（{target}）: {e}"))?
            .into_first_result()
            .await
            .map_err(|e| format!("見出しの読み出し（RESTORE HEADERONLY）が失敗しました（{target}）: {e}"))?;
        let _ = client.close().await;
        let description = rows
            .first()
            .and_then(|r| r.try_get::<&str, _>("BackupDescription").ok().flatten())
            .unwrap_or_default();
        let version: u32 = description
            .strip_prefix(DESCRIPTION_PREFIX)
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| format!("Attaka のバックアップではありません（説明: {description:?}）"))?;
        let newest = MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0);
        if version > newest {
            return Err(format!(
                "この版の Attaka より新しいスキーマです（{version} > {newest}）"
            ));
        }
        Ok(version)
    }

    async fn restore(&self, path: &Path, now: DateTime<Utc>) -> anyhow::Result<Option<PathBuf>> {
        let (database, version) = self.database_and_schema().await?;
        let source = self.server_path(path)?;
        // The database replaced is kept first, as a copy beside the generations.
        let kept_name = format!("{database}.before-restore-{}.bak", now.format("%Y%m%dT%H%M%SZ"));
        let kept = path.with_file_name(&kept_name);
        let mut master = self.client(Some("master")).await?;
        backup_into(
            &mut master,
            &database,
            &self.server_path(&kept)?,
            &format!("{DESCRIPTION_PREFIX}{version}"),
        )
        .await
        .context("keeping the database before the restore")?;
        master
            .execute(RESTORE, &[&database.as_str(), &source.as_str()])
            .await
            .map_err(|e| {
                let in_use = matches!(&e, tiberius::error::Error::Server(t) if t.code() == 3101);
                if in_use {
                    anyhow::anyhow!(
                        "SQL Server refused RESTORE DATABASE: the database {database} is in use ({e}); stop \
                         every hub serving from it (and close other sessions in it), then restore again"
                    )
                } else {
                    anyhow::anyhow!("SQL Server refused RESTORE DATABASE {database} FROM {source}: {e}")
                }
            })?;
        let _ = master.close().await;
        Ok(Some(kept))
    }
}

async fn backup_into(
    client: &mut Client,
    database: &str,
    target: &str,
    description: &str,
) -> anyhow::Result<()> {
    client
        .execute(BACKUP, &[&database, &target, &description])
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "the database server refused BACKUP DATABASE {database} TO DISK = '{target}': {e} \
                 (the hub's login needs db_backupoperator in its database and the server must be able \
                 to write backup.server_dir; a server without BACKUP, such as Babelfish for PostgreSQL, \
                 needs the DBA's own backups and backup.enabled = false)"
            )
        })?;
    Ok(())
}

/// Runs `work` to completion on a thread of its own with its own runtime: the engine's methods
/// block (they are called off the async threads, or outside any runtime).
fn block_on<T: Send>(work: impl std::future::Future<Output = T> + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the backup")
                    .block_on(work)
            })
            .join()
            .expect("the backup thread")
    })
}

impl BackupEngine for MssqlBackups {
    fn extension(&self) -> &'static str {
        ".bak"
    }

    fn copy_to(&self, path: &Path) -> anyhow::Result<()> {
        block_on(self.backup(path))
    }

    fn verify(&self, path: &Path) -> Result<u32, String> {
        block_on(self.verify_copy(path))
    }

    fn restore_from(&self, path: &Path, now: DateTime<Utc>) -> anyhow::Result<Option<PathBuf>> {
        block_on(self.restore(path, now))
    }

    /// The database server writes the copies under its own account.
    fn node_writes_copies(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(dir: &str) -> MssqlBackups {
        let options =
            ConnectOptions::parse("sqlserver://hub:secret@127.0.0.1:1/attaka?encrypt=none").unwrap();
        MssqlBackups::new(options, dir.into())
    }

    #[test]
    fn the_server_names_the_file_in_its_own_folder_with_its_own_separator() {
        let file = Path::new("/srv/share/attaka-20260101T000000.000Z.bak.partial");
        assert_eq!(
            engine(r"D:\attaka-backups\").server_path(file).unwrap(),
            r"D:\attaka-backups\attaka-20260101T000000.000Z.bak.partial"
        );
        assert_eq!(
            engine("/var/opt/mssql/backups/attaka/")
                .server_path(file)
                .unwrap(),
            "/var/opt/mssql/backups/attaka/attaka-20260101T000000.000Z.bak.partial"
        );
        assert_eq!(
            engine(r"\\nas\attaka").server_path(file).unwrap(),
            r"\\nas\attaka\attaka-20260101T000000.000Z.bak.partial"
        );
    }

    #[test]
    fn a_server_that_cannot_be_reached_fails_the_copy_with_where_and_no_password() {
        let e = format!("{:#}", engine("/x").copy_to(Path::new("/x/a.bak")).unwrap_err());
        assert!(e.contains("127.0.0.1:1"), "{e}");
        assert!(!e.contains("secret"), "{e}");
    }
}
