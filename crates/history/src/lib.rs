//! The history of `ipsec-doctor watch`: every tunnel state change and every
//! finding raised or resolved, with its evidence, and the positions of the
//! followed log files, in one SQLite database.
//!
//! [`History::open`] opens or creates the database (WAL journal, so
//! `ipsec-doctor history` reads while `watch` writes; a busy timeout of 5 s).
//! [`History::record_with_positions`] writes a batch of [`Event`]s and the
//! files' [`Position`]s in one transaction, so a restarted watch resumes
//! exactly after what it recorded: [`History::positions`] says where,
//! [`History::active_findings`] what still stands and
//! [`History::latest_states`] each tunnel's last state.
//! [`History::events`] answers `ipsec-doctor history` ([`Query`],
//! [`parse_since`]), and [`write_text`] / [`write_json`] print the answer.
//! [`History::prune`] applies `--retain` ([`parse_duration`]).
//!
//! Errors ([`HistoryError`]) name the database's path and say what an
//! operator can do about them: locked by another process, disk full, not
//! a database, cannot open.
//!
//! The schema is versioned with `PRAGMA user_version` (the current version
//! is [`SCHEMA_VERSION`]); opening applies the missing migrations in one
//! transaction, so opening twice, or from two processes at once, changes
//! nothing the second time. `PRAGMA application_id` marks the file as
//! ipsec-doctor's, so another program's database is refused rather than
//! written into.
//!
//! ```
//! use ipsec_doctor_history::{Event, EventKind, History, Query};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let mut history = History::open(&dir.path().join("history.db"))?;
//! history.record(&[Event {
//!     at_ms: 1_764_583_200_000,
//!     host: "gw-a".into(),
//!     tunnel: Some("site-b".into()),
//!     kind: EventKind::State { from: "connecting".into(), to: "up".into() },
//! }])?;
//! assert_eq!(history.events(&Query::default())?.len(), 1);
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod output;
mod time;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};
use serde::{Deserialize, Serialize};

pub use error::HistoryError;
pub use output::{write_json, write_text};
pub use time::{parse_duration, parse_since};

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 1;

/// `PRAGMA application_id` of an ipsec-doctor history: "IPSD".
const APPLICATION_ID: i64 = 0x4950_5344;

/// Migrations: entry `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: events (one row per event, kind-specific columns) and positions.
    "CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        host TEXT NOT NULL,
        tunnel TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('state', 'raised', 'resolved')),
        state_from TEXT,
        state_to TEXT,
        finding TEXT,
        severity TEXT,
        summary TEXT,
        fix TEXT,
        evidence TEXT,
        CHECK (CASE kind
            WHEN 'state' THEN state_from IS NOT NULL AND state_to IS NOT NULL
            WHEN 'raised' THEN finding IS NOT NULL AND severity IS NOT NULL
                AND summary IS NOT NULL AND fix IS NOT NULL AND evidence IS NOT NULL
            ELSE finding IS NOT NULL AND severity IS NOT NULL
        END)
    );
    CREATE INDEX IF NOT EXISTS events_by_tunnel ON events (host, tunnel, at_ms);
    CREATE INDEX IF NOT EXISTS events_by_time ON events (at_ms);
    CREATE TABLE IF NOT EXISTS positions (
        source TEXT PRIMARY KEY,
        dev INTEGER NOT NULL,
        ino INTEGER NOT NULL,
        byte_offset INTEGER NOT NULL
    );",
];

/// The columns an [`Event`] is read from, in this order.
const EVENT_COLUMNS: &str =
    "id, at_ms, host, tunnel, kind, state_from, state_to, finding, severity, summary, fix, evidence";

/// Where a followed file was read up to: the file's identity (device and
/// inode, so a rotated file is told from its successor) and the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The file's device number.
    pub dev: u64,
    /// The file's inode number.
    pub ino: u64,
    /// Bytes read and recorded so far.
    pub offset: u64,
}

/// One moment of a tunnel's (or a host's) history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// When, in unix milliseconds.
    pub at_ms: i64,
    /// The host whose log told.
    pub host: String,
    /// The tunnel, or `None` for the host as a whole.
    pub tunnel: Option<String>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened, serialised with its name in `"event"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// The tunnel changed state (`up`, `down`, `connecting`, `flapping`,
    /// `unknown`).
    State {
        /// The state before.
        from: String,
        /// The state after.
        to: String,
    },
    /// A finding was raised.
    Raised {
        /// The finding's id.
        id: String,
        /// Its severity.
        severity: String,
        /// Its one-line summary.
        summary: String,
        /// The steps to fix it.
        fix: Vec<String>,
        /// The log lines that show it.
        evidence: Vec<EvidenceLine>,
    },
    /// A finding raised before no longer holds.
    Resolved {
        /// The finding's id.
        id: String,
        /// Its severity.
        severity: String,
    },
}

/// One log line shown as evidence: `path:line: text`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceLine {
    /// The log file.
    pub path: String,
    /// The line number in it.
    pub line: u64,
    /// The line's text, as logged (escape it before showing it).
    pub text: String,
}

/// Which events [`History::events`] returns. All fields `None`: every event.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only this host's events.
    pub host: Option<String>,
    /// Only this tunnel's events (host-wide events have no tunnel and are
    /// left out).
    pub tunnel: Option<String>,
    /// Only events at or after this unix millisecond.
    pub since_ms: Option<i64>,
    /// Only the last this many of the matching events.
    pub limit: Option<usize>,
}

/// How [`History::open_with`] opens the database.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long to wait for another process's lock before giving up with
    /// [`HistoryError::Busy`]. [`History::open`] uses 5 s.
    pub busy_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// The history database: one SQLite file.
#[derive(Debug)]
pub struct History {
    conn: Connection,
    path: PathBuf,
    busy_timeout: Duration,
}

impl History {
    /// Opens or creates the database at `path`: schema (versioned with
    /// `PRAGMA user_version`, migrations idempotent), `journal_mode=WAL`,
    /// `synchronous=NORMAL`, a busy timeout of 5 s.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        History::open_with(path, Options::default())
    }

    /// [`History::open`] with other [`Options`].
    pub fn open_with(path: &Path, options: Options) -> Result<History, HistoryError> {
        let busy_timeout = options.busy_timeout;
        let fail = |e| HistoryError::from_sqlite(path, busy_timeout, e);
        // No SQLITE_OPEN_URI: a path is a path, even one starting `file:`.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(fail)?;
        conn.busy_timeout(busy_timeout).map_err(fail)?;
        let mut history = History {
            conn,
            path: path.to_path_buf(),
            busy_timeout,
        };
        history.configure()?;
        history.migrate()?;
        Ok(history)
    }

    /// The database's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail(&self, e: rusqlite::Error) -> HistoryError {
        HistoryError::from_sqlite(&self.path, self.busy_timeout, e)
    }

    fn configure(&self) -> Result<(), HistoryError> {
        // The first statement reads the file: a non-database fails here.
        // WAL may be refused (a file system without shared memory); the
        // database then works in its previous journal mode.
        let _mode: String = self
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| self.fail(e))?;
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| self.fail(e))
    }

    fn schema_version(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
        let version = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let app = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        Ok((version, app))
    }

    /// Brings the schema to [`SCHEMA_VERSION`]. A database already there is
    /// only read, so opening one does not wait for a writer.
    fn migrate(&mut self) -> Result<(), HistoryError> {
        let (version, app) = Self::schema_version(&self.conn).map_err(|e| self.fail(e))?;
        check_version(&self.path, version, app)?;
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        let path = self.path.clone();
        let busy = self.busy_timeout;
        let fail = |e| HistoryError::from_sqlite(&path, busy, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        // Another process may have migrated while this one waited.
        let (version, app) = Self::schema_version(&tx).map_err(fail)?;
        check_version(&path, version, app)?;
        if version == 0 {
            let tables: i64 = tx
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
                    [],
                    |r| r.get(0),
                )
                .map_err(fail)?;
            if tables > 0 {
                return Err(HistoryError::NotADatabase { path });
            }
        }
        let start = usize::try_from(version).unwrap_or(usize::MAX);
        for (step, sql) in MIGRATIONS.iter().enumerate().skip(start) {
            tx.execute_batch(sql).map_err(fail)?;
            tx.pragma_update(None, "user_version", step + 1)
                .map_err(fail)?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(fail)?;
        tx.commit().map_err(fail)
    }

    /// Records `events` in one transaction: all or nothing.
    pub fn record(&mut self, events: &[Event]) -> Result<(), HistoryError> {
        self.record_with_positions(events, &[])
    }

    /// Records `events` and the followed files' positions (source path,
    /// position) in one transaction: after a crash, the positions say
    /// exactly what the events hold.
    pub fn record_with_positions(
        &mut self,
        events: &[Event],
        positions: &[(String, Position)],
    ) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let busy = self.busy_timeout;
        let fail = |e| HistoryError::from_sqlite(&path, busy, e);
        // IMMEDIATE: take the write lock first, waiting for it under the
        // busy timeout, rather than fail when a read turns into a write.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO events (at_ms, host, tunnel, kind, state_from, state_to,
                         finding, severity, summary, fix, evidence)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(fail)?;
            for e in events {
                let none = None::<&str>;
                let (kind, from, to, id, severity, summary) = match &e.kind {
                    EventKind::State { from, to } => (
                        "state",
                        Some(from.as_str()),
                        Some(to.as_str()),
                        none,
                        none,
                        none,
                    ),
                    EventKind::Raised {
                        id,
                        severity,
                        summary,
                        ..
                    } => (
                        "raised",
                        none,
                        none,
                        Some(id.as_str()),
                        Some(severity.as_str()),
                        Some(summary.as_str()),
                    ),
                    EventKind::Resolved { id, severity } => (
                        "resolved",
                        none,
                        none,
                        Some(id.as_str()),
                        Some(severity.as_str()),
                        none,
                    ),
                };
                let (fix, evidence) = match &e.kind {
                    EventKind::Raised { fix, evidence, .. } => {
                        (Some(to_json(fix, &path)?), Some(to_json(evidence, &path)?))
                    }
                    _ => (None, None),
                };
                insert
                    .execute(params![
                        e.at_ms, e.host, e.tunnel, kind, from, to, id, severity, summary, fix,
                        evidence
                    ])
                    .map_err(fail)?;
            }
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO positions (source, dev, ino, byte_offset) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (source) DO UPDATE SET
                         dev = excluded.dev, ino = excluded.ino, byte_offset = excluded.byte_offset",
                )
                .map_err(fail)?;
            for (source, p) in positions {
                upsert
                    .execute(params![
                        source,
                        to_sql(p.dev),
                        to_sql(p.ino),
                        to_sql(p.offset)
                    ])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)
    }

    /// The followed files' positions, by source path.
    pub fn positions(&self) -> Result<Vec<(String, Position)>, HistoryError> {
        let fail = |e| self.fail(e);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT source, dev, ino, byte_offset FROM positions ORDER BY source")
            .map_err(fail)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Position {
                        dev: from_sql(r.get(1)?),
                        ino: from_sql(r.get(2)?),
                        offset: from_sql(r.get(3)?),
                    },
                ))
            })
            .map_err(fail)?;
        rows.collect::<Result<_, _>>().map_err(fail)
    }

    /// Deletes events older than `before_ms` and returns how many, but
    /// keeps what still stands: each tunnel's latest state and each active
    /// finding's latest raise, so pruning never makes a restarted watch
    /// lose a finding or forget a tunnel's state.
    pub fn prune(&mut self, before_ms: i64) -> Result<u64, HistoryError> {
        let path = self.path.clone();
        let busy = self.busy_timeout;
        let fail = |e| HistoryError::from_sqlite(&path, busy, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let deleted = tx
            .execute(
                &format!(
                    "DELETE FROM events WHERE at_ms < ?1
                     AND id NOT IN ({LATEST_STATE_IDS})
                     AND id NOT IN ({ACTIVE_RAISE_IDS})"
                ),
                [before_ms],
            )
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
    }

    /// The events matching `q`, oldest first. With a limit, the last
    /// `limit` of them (still oldest first), as `tail` would show.
    pub fn events(&self, q: &Query) -> Result<Vec<Event>, HistoryError> {
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        if let Some(host) = &q.host {
            values.push(Value::Text(host.clone()));
            conditions.push(format!("host = ?{}", values.len()));
        }
        if let Some(tunnel) = &q.tunnel {
            values.push(Value::Text(tunnel.clone()));
            conditions.push(format!("tunnel = ?{}", values.len()));
        }
        if let Some(since) = q.since_ms {
            values.push(Value::Integer(since));
            conditions.push(format!("at_ms >= ?{}", values.len()));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = match q.limit {
            Some(limit) => {
                values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
                format!(
                    "SELECT * FROM (SELECT {EVENT_COLUMNS} FROM events {filter}
                         ORDER BY at_ms DESC, id DESC LIMIT ?{})
                     ORDER BY at_ms, id",
                    values.len()
                )
            }
            None => format!("SELECT {EVENT_COLUMNS} FROM events {filter} ORDER BY at_ms, id"),
        };
        self.select(&sql, values)
    }

    /// The findings raised and not resolved since, one per (host, tunnel,
    /// finding id): its latest raise, oldest first. A restarted watch
    /// starts from these, so it neither loses nor doubles a finding.
    pub fn active_findings(&self) -> Result<Vec<Event>, HistoryError> {
        self.select(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE id IN ({ACTIVE_RAISE_IDS})
                 ORDER BY at_ms, id"
            ),
            Vec::new(),
        )
    }

    /// The latest state change per (host, tunnel), oldest first.
    pub fn latest_states(&self) -> Result<Vec<Event>, HistoryError> {
        self.select(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE id IN ({LATEST_STATE_IDS})
                 ORDER BY at_ms, id"
            ),
            Vec::new(),
        )
    }

    fn select(&self, sql: &str, values: Vec<Value>) -> Result<Vec<Event>, HistoryError> {
        let fail = |e| self.fail(e);
        let mut stmt = self.conn.prepare_cached(sql).map_err(fail)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(values), |r| {
                Ok(Row {
                    id: r.get(0)?,
                    at_ms: r.get(1)?,
                    host: r.get(2)?,
                    tunnel: r.get(3)?,
                    kind: r.get(4)?,
                    from: r.get(5)?,
                    to: r.get(6)?,
                    finding: r.get(7)?,
                    severity: r.get(8)?,
                    summary: r.get(9)?,
                    fix: r.get(10)?,
                    evidence: r.get(11)?,
                })
            })
            .map_err(fail)?;
        let mut events = Vec::new();
        for row in rows {
            events.push(row.map_err(fail)?.into_event(&self.path)?);
        }
        Ok(events)
    }
}

/// Ids of the latest state change per (host, tunnel); SQLite's partitions
/// put the `NULL` tunnels (host-wide) together.
const LATEST_STATE_IDS: &str = "SELECT id FROM (
        SELECT id, row_number() OVER (
            PARTITION BY host, tunnel ORDER BY at_ms DESC, id DESC) AS n
        FROM events WHERE kind = 'state')
    WHERE n = 1";

/// Ids of the latest raise of each finding whose latest event is a raise.
const ACTIVE_RAISE_IDS: &str = "SELECT id FROM (
        SELECT id, kind, row_number() OVER (
            PARTITION BY host, tunnel, finding ORDER BY at_ms DESC, id DESC) AS n
        FROM events WHERE kind IN ('raised', 'resolved'))
    WHERE n = 1 AND kind = 'raised'";

/// Refuses a database that is not ipsec-doctor's (another application id,
/// or a version without ours) or is newer than this build.
fn check_version(path: &Path, version: i64, app: i64) -> Result<(), HistoryError> {
    let path = path.to_path_buf();
    let ours = app == APPLICATION_ID || (app == 0 && version == 0);
    if !ours || version < 0 {
        return Err(HistoryError::NotADatabase { path });
    }
    if version > SCHEMA_VERSION {
        return Err(HistoryError::NewerSchema {
            path,
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// One `events` row as stored.
struct Row {
    id: i64,
    at_ms: i64,
    host: String,
    tunnel: Option<String>,
    kind: String,
    from: Option<String>,
    to: Option<String>,
    finding: Option<String>,
    severity: Option<String>,
    summary: Option<String>,
    fix: Option<String>,
    evidence: Option<String>,
}

impl Row {
    fn into_event(self, path: &Path) -> Result<Event, HistoryError> {
        let row = self.id;
        let bad = |detail: String| HistoryError::BadRecord {
            path: path.to_path_buf(),
            row,
            detail,
        };
        let need = |v: Option<String>, what: &str| v.ok_or_else(|| bad(format!("no {what}")));
        let kind = match self.kind.as_str() {
            "state" => EventKind::State {
                from: need(self.from, "previous state")?,
                to: need(self.to, "new state")?,
            },
            "raised" => EventKind::Raised {
                id: need(self.finding, "finding id")?,
                severity: need(self.severity, "severity")?,
                summary: need(self.summary, "summary")?,
                fix: serde_json::from_str(&need(self.fix, "fix steps")?)
                    .map_err(|e| bad(format!("fix steps: {e}")))?,
                evidence: serde_json::from_str(&need(self.evidence, "evidence")?)
                    .map_err(|e| bad(format!("evidence: {e}")))?,
            },
            "resolved" => EventKind::Resolved {
                id: need(self.finding, "finding id")?,
                severity: need(self.severity, "severity")?,
            },
            other => return Err(bad(format!("unknown kind {other:?}"))),
        };
        Ok(Event {
            at_ms: self.at_ms,
            host: self.host,
            tunnel: self.tunnel,
            kind,
        })
    }
}

fn to_json<T: Serialize + ?Sized>(value: &T, path: &Path) -> Result<String, HistoryError> {
    serde_json::to_string(value).map_err(|e| HistoryError::BadRecord {
        path: path.to_path_buf(),
        row: 0,
        detail: e.to_string(),
    })
}

/// SQLite integers are signed: a `u64` is stored by its bits.
fn to_sql(v: u64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

fn from_sql(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}
