//! The files the node creates hold personal data (the database and its WAL, backups), secrets
//! (the JWT key in the database) or what was done (logs): on Unix they are owner-only, 0600
//! files in 0700 directories. On Windows the data directory's ACL does it (operator runbook).

use std::io;
use std::path::Path;

/// Every file and directory this process creates from now on is owner-only (umask 077). Called
/// first thing by `attaka`; covers what libraries create (SQLite's WAL, the log appender).
pub fn owner_only_from_now_on() {
    #[cfg(unix)]
    {
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    }
}

/// Creates `dir` (and missing parents) owner-only; an existing directory is left as it is
/// (it may be the operator's, shared on purpose).
pub fn create_owner_only_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o700)
}

/// Makes the file at `path` owner-only if it exists (tightening one made before this rule).
pub fn make_owner_only(path: &Path) -> io::Result<()> {
    if path.exists() {
        set_mode(path, 0o600)
    } else {
        Ok(())
    }
}

/// Creates an empty owner-only file at `path` unless one is there, then makes it owner-only.
/// SQLite gives its `-wal` and `-shm` files the database file's mode, so a database file made
/// this way keeps its WAL owner-only too.
pub fn create_owner_only_file(path: &Path) -> io::Result<()> {
    if !path.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(path)?;
    }
    make_owner_only(path)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_and_directory_are_owner_only_and_an_old_file_is_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data/deeper");
        create_owner_only_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let db = dir.join("attaka.sqlite3");
        create_owner_only_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        let old = dir.join("old.sqlite3");
        std::fs::write(&old, b"x").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        make_owner_only(&old).unwrap();
        assert_eq!(mode(&old), 0o600);
    }
}
