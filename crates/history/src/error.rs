//! What can go wrong with the history database, in an operator's words.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::ErrorCode;

/// An error from the history database. Every variant names the database's
/// path, so the message alone tells an operator which file to look at.
#[derive(Debug)]
#[non_exhaustive]
pub enum HistoryError {
    /// Another process (another `watch`, a `history` reading) held the
    /// database for longer than the busy timeout.
    Busy {
        /// The database.
        path: PathBuf,
        /// How long this process waited.
        waited: Duration,
    },
    /// The disk (or the file system's quota) is full.
    DiskFull {
        /// The database.
        path: PathBuf,
    },
    /// The file is not an SQLite database, is another program's database,
    /// or is corrupt.
    NotADatabase {
        /// The database.
        path: PathBuf,
    },
    /// The database cannot be opened or created (missing directory, a
    /// directory in its place, no permission).
    CannotOpen {
        /// The database.
        path: PathBuf,
        /// Why, as far as the file system tells.
        reason: String,
    },
    /// The database (or its directory, which holds the `-wal` and `-shm`
    /// files) may not be written.
    ReadOnly {
        /// The database.
        path: PathBuf,
    },
    /// The database was written by a newer ipsec-doctor whose schema this
    /// one does not know.
    NewerSchema {
        /// The database.
        path: PathBuf,
        /// The database's schema version.
        found: i64,
        /// The newest schema version this build knows.
        known: i64,
    },
    /// A stored event cannot be read back (an unknown kind, damaged JSON).
    BadRecord {
        /// The database.
        path: PathBuf,
        /// The event's row id.
        row: i64,
        /// What is wrong with it.
        detail: String,
    },
    /// Any other SQLite error.
    Sqlite {
        /// The database.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
}

impl HistoryError {
    /// The database the error is about.
    pub fn path(&self) -> &Path {
        match self {
            HistoryError::Busy { path, .. }
            | HistoryError::DiskFull { path }
            | HistoryError::NotADatabase { path }
            | HistoryError::CannotOpen { path, .. }
            | HistoryError::ReadOnly { path }
            | HistoryError::NewerSchema { path, .. }
            | HistoryError::BadRecord { path, .. }
            | HistoryError::Sqlite { path, .. } => path,
        }
    }

    /// Classifies a rusqlite error met while using the database at `path`.
    pub(crate) fn from_sqlite(path: &Path, waited: Duration, err: rusqlite::Error) -> Self {
        let path = path.to_path_buf();
        let code = match &err {
            rusqlite::Error::SqliteFailure(e, _) => e.code,
            _ => return HistoryError::Sqlite { path, source: err },
        };
        match code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                HistoryError::Busy { path, waited }
            }
            ErrorCode::DiskFull => HistoryError::DiskFull { path },
            ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => {
                HistoryError::NotADatabase { path }
            }
            ErrorCode::CannotOpen => {
                let reason = cannot_open_reason(&path);
                HistoryError::CannotOpen { path, reason }
            }
            ErrorCode::PermissionDenied | ErrorCode::ReadOnly => HistoryError::ReadOnly { path },
            _ => HistoryError::Sqlite { path, source: err },
        }
    }
}

/// Asks the file system why SQLite could not open `path`.
fn cannot_open_reason(path: &Path) -> String {
    if path.is_dir() {
        return "it is a directory".to_owned();
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            return format!("directory {} does not exist", parent.display());
        }
    }
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(false)
        .open(path)
    {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            "permission denied".to_owned()
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "permission denied (cannot create it in its directory)".to_owned()
        }
        Err(e) => e.to_string(),
        Ok(_) => "permission denied on its directory (for the -wal and -shm files)".to_owned(),
    }
}

/// `5 s`, `200 ms`, `1.5 s`.
fn show_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryError::Busy { path, waited } => write!(
                f,
                "database {} is locked by another process (busy for {})",
                path.display(),
                show_duration(*waited)
            ),
            HistoryError::DiskFull { path } => write!(f, "disk full writing {}", path.display()),
            HistoryError::NotADatabase { path } => write!(
                f,
                "{} is not an ipsec-doctor database (or is corrupt)",
                path.display()
            ),
            HistoryError::CannotOpen { path, reason } => {
                write!(f, "cannot open {}: {reason}", path.display())
            }
            HistoryError::ReadOnly { path } => write!(
                f,
                "cannot write {}: permission denied or read-only (the file, or its directory, \
                 which holds the -wal and -shm files)",
                path.display()
            ),
            HistoryError::NewerSchema { path, found, known } => write!(
                f,
                "{} was written by a newer ipsec-doctor (schema version {found}; this one knows up to {known})",
                path.display()
            ),
            HistoryError::BadRecord { path, row, detail } => write!(
                f,
                "{} holds a damaged event (row {row}): {detail}",
                path.display()
            ),
            HistoryError::Sqlite { path, source } => {
                write!(f, "database {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for HistoryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HistoryError::Sqlite { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    fn shown(code: i32) -> String {
        HistoryError::from_sqlite(Path::new("/x/y.db"), Duration::from_secs(5), sqlite(code))
            .to_string()
    }

    #[test]
    fn codes_map_to_operator_messages() {
        use rusqlite::ffi;
        assert_eq!(
            shown(ffi::SQLITE_BUSY),
            "database /x/y.db is locked by another process (busy for 5 s)"
        );
        assert_eq!(
            shown(ffi::SQLITE_LOCKED),
            "database /x/y.db is locked by another process (busy for 5 s)"
        );
        assert_eq!(shown(ffi::SQLITE_FULL), "disk full writing /x/y.db");
        assert_eq!(
            shown(ffi::SQLITE_NOTADB),
            "/x/y.db is not an ipsec-doctor database (or is corrupt)"
        );
        assert_eq!(
            shown(ffi::SQLITE_CORRUPT),
            "/x/y.db is not an ipsec-doctor database (or is corrupt)"
        );
        assert!(shown(ffi::SQLITE_CANTOPEN).starts_with("cannot open /x/y.db: "));
        assert!(shown(ffi::SQLITE_READONLY).starts_with("cannot write /x/y.db: permission denied"));
        assert!(shown(ffi::SQLITE_PERM).starts_with("cannot write /x/y.db: permission denied"));
        assert!(shown(ffi::SQLITE_IOERR).starts_with("database /x/y.db: "));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(show_duration(Duration::from_millis(200)), "200 ms");
        assert_eq!(show_duration(Duration::from_secs(5)), "5 s");
        assert_eq!(show_duration(Duration::from_millis(1500)), "1.5 s");
    }
}
