//! The history database on real SQLite files in temporary directories.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ipsec_doctor_history::{
    Event, EventKind, EvidenceLine, History, HistoryError, Options, Position, Query, SCHEMA_VERSION,
};

fn db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    (dir, path)
}

fn state(at_ms: i64, host: &str, tunnel: Option<&str>, from: &str, to: &str) -> Event {
    Event {
        at_ms,
        host: host.into(),
        tunnel: tunnel.map(Into::into),
        kind: EventKind::State {
            from: from.into(),
            to: to.into(),
        },
    }
}

fn raised(at_ms: i64, host: &str, tunnel: Option<&str>, id: &str) -> Event {
    Event {
        at_ms,
        host: host.into(),
        tunnel: tunnel.map(Into::into),
        kind: EventKind::Raised {
            id: id.into(),
            severity: "error".into(),
            summary: format!("{id} at {at_ms}"),
            fix: vec!["first step".into(), "second step".into()],
            evidence: vec![EvidenceLine {
                path: "/var/log/charon.log".into(),
                line: 42,
                text: "received NO_PROPOSAL_CHOSEN notify".into(),
            }],
        },
    }
}

fn resolved(at_ms: i64, host: &str, tunnel: Option<&str>, id: &str) -> Event {
    Event {
        at_ms,
        host: host.into(),
        tunnel: tunnel.map(Into::into),
        kind: EventKind::Resolved {
            id: id.into(),
            severity: "error".into(),
        },
    }
}

fn all(h: &History) -> Vec<Event> {
    h.events(&Query::default()).unwrap()
}

/// A second, raw connection to the same file, as another process would have.
fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn every_event_kind_round_trips_through_a_reopen() {
    let (_dir, path) = db();
    let mut hostile = raised(3_000, "gw-a", None, "no-proposal-chosen");
    if let EventKind::Raised { evidence, fix, .. } = &mut hostile.kind {
        evidence.push(EvidenceLine {
            path: "/var/log/\"odd\" name.log".into(),
            line: u64::MAX,
            text: "ünïcödé \u{0} \x1b[31m".into(),
        });
        fix.clear();
    }
    let events = vec![
        state(1_000, "gw-a", Some("site-b"), "connecting", "up"),
        raised(2_000, "gw-a", Some("site-b"), "no-proposal-chosen"),
        hostile,
        resolved(4_000, "gw-a", Some("site-b"), "no-proposal-chosen"),
        state(-5, "gw-b", None, "unknown", "down"),
    ];
    History::open(&path).unwrap().record(&events).unwrap();
    let got = all(&History::open(&path).unwrap());
    let mut expected = events.clone();
    expected.sort_by_key(|e| e.at_ms);
    assert_eq!(got, expected);
}

#[test]
fn a_failing_batch_records_nothing_and_moves_no_position() {
    let (_dir, path) = db();
    let mut h = History::open(&path).unwrap();
    let before = Position {
        dev: 1,
        ino: 2,
        offset: 100,
    };
    h.record_with_positions(
        &[state(1, "gw-a", Some("t"), "down", "up")],
        &[("/log".into(), before)],
    )
    .unwrap();
    // A trigger rejects the batch's second event, after the first was inserted.
    raw(&path)
        .execute_batch(
            "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.host = 'poison'
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END;",
        )
        .unwrap();
    let batch = [
        state(2, "gw-a", Some("t"), "up", "down"),
        state(3, "poison", Some("t"), "up", "down"),
    ];
    let after = Position {
        dev: 1,
        ino: 2,
        offset: 900,
    };
    let err = h
        .record_with_positions(&batch, &[("/log".into(), after)])
        .unwrap_err();
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert_eq!(all(&h).len(), 1);
    assert_eq!(h.positions().unwrap(), vec![("/log".to_string(), before)]);
    // The connection is still usable after the failure.
    h.record(&batch[..1]).unwrap();
    assert_eq!(all(&h).len(), 2);
}

#[test]
fn positions_saved_with_events_survive_reopening() {
    let (_dir, path) = db();
    {
        let mut h = History::open(&path).unwrap();
        let p = |offset| Position {
            dev: u64::MAX,
            ino: 7,
            offset,
        };
        h.record_with_positions(
            &[state(1, "gw-a", Some("t"), "down", "up")],
            &[
                ("/var/log/b.log".into(), p(10)),
                ("/var/log/a.log".into(), p(20)),
            ],
        )
        .unwrap();
        h.record_with_positions(&[], &[("/var/log/b.log".into(), p(30))])
            .unwrap();
    }
    let h = History::open(&path).unwrap();
    let p = |offset| Position {
        dev: u64::MAX,
        ino: 7,
        offset,
    };
    assert_eq!(
        h.positions().unwrap(),
        vec![
            ("/var/log/a.log".to_string(), p(20)),
            ("/var/log/b.log".to_string(), p(30)),
        ]
    );
    assert_eq!(all(&h).len(), 1);
}

fn active_ids(h: &History) -> Vec<(String, Option<String>, String, i64)> {
    h.active_findings()
        .unwrap()
        .into_iter()
        .map(|e| match e.kind {
            EventKind::Raised { id, .. } => (e.host, e.tunnel, id, e.at_ms),
            other => panic!("not a raise: {other:?}"),
        })
        .collect()
}

#[test]
fn active_findings_follow_raises_and_resolves() {
    let (_dir, path) = db();
    let mut h = History::open(&path).unwrap();
    let t = Some("site-b");
    h.record(&[
        // Raised twice, never resolved: active once, latest raise.
        raised(10, "gw-a", t, "a"),
        raised(20, "gw-a", t, "a"),
        // Raised, resolved: not active.
        raised(11, "gw-a", t, "b"),
        resolved(21, "gw-a", t, "b"),
        // Raised, resolved, raised again: active once.
        raised(12, "gw-a", t, "c"),
        resolved(22, "gw-a", t, "c"),
        raised(32, "gw-a", t, "c"),
        // The same id on another tunnel, on the host itself, on another host.
        raised(13, "gw-a", Some("other"), "a"),
        raised(14, "gw-a", None, "a"),
        raised(15, "gw-b", t, "a"),
        resolved(25, "gw-b", t, "a"),
        // A resolve recorded at the same millisecond after its raise wins.
        raised(40, "gw-a", t, "d"),
        resolved(40, "gw-a", t, "d"),
    ])
    .unwrap();
    let s = |v: &str| v.to_string();
    assert_eq!(
        active_ids(&h),
        vec![
            (s("gw-a"), Some(s("other")), s("a"), 13),
            (s("gw-a"), None, s("a"), 14),
            (s("gw-a"), Some(s("site-b")), s("a"), 20),
            (s("gw-a"), Some(s("site-b")), s("c"), 32),
        ]
    );
    // The raise comes back whole.
    let c = h.active_findings().unwrap().pop().unwrap();
    assert_eq!(c, raised(32, "gw-a", t, "c"));
    // Resolving one more leaves three.
    h.record(&[resolved(50, "gw-a", None, "a")]).unwrap();
    assert_eq!(active_ids(&h).len(), 3);
}

#[test]
fn latest_states_per_host_and_tunnel() {
    let (_dir, path) = db();
    let mut h = History::open(&path).unwrap();
    h.record(&[
        state(30, "gw-a", Some("t1"), "up", "down"),
        state(10, "gw-a", Some("t1"), "connecting", "up"),
        state(20, "gw-a", Some("t2"), "connecting", "up"),
        state(5, "gw-b", Some("t1"), "unknown", "flapping"),
        state(6, "gw-b", None, "unknown", "up"),
        raised(99, "gw-a", Some("t1"), "a"),
    ])
    .unwrap();
    assert_eq!(
        h.latest_states().unwrap(),
        vec![
            state(5, "gw-b", Some("t1"), "unknown", "flapping"),
            state(6, "gw-b", None, "unknown", "up"),
            state(20, "gw-a", Some("t2"), "connecting", "up"),
            state(30, "gw-a", Some("t1"), "up", "down"),
        ]
    );
}

#[test]
fn prune_deletes_old_events_but_keeps_what_stands() {
    let (_dir, path) = db();
    let mut h = History::open(&path).unwrap();
    let t = Some("t");
    h.record(&[
        state(10, "gw-a", t, "connecting", "up"),
        state(20, "gw-a", t, "up", "down"), // latest state: kept
        raised(11, "gw-a", t, "gone"),
        resolved(21, "gw-a", t, "gone"),
        raised(12, "gw-a", t, "stands"),
        raised(22, "gw-a", t, "stands"), // active raise: kept
        state(100, "gw-a", Some("new"), "down", "up"),
        raised(101, "gw-a", t, "new"),
    ])
    .unwrap();
    assert_eq!(h.prune(50).unwrap(), 4);
    let at: Vec<i64> = all(&h).iter().map(|e| e.at_ms).collect();
    assert_eq!(at, vec![20, 22, 100, 101]);
    assert_eq!(h.prune(50).unwrap(), 0);
    assert_eq!(
        h.prune(i64::MAX).unwrap(),
        0,
        "everything left still stands"
    );
    h.record(&[resolved(200, "gw-a", t, "stands")]).unwrap();
    assert_eq!(h.prune(i64::MAX).unwrap(), 2, "the raise and its resolve");
}

#[test]
fn queries_filter_by_host_tunnel_since_and_limit() {
    let (_dir, path) = db();
    let mut h = History::open(&path).unwrap();
    h.record(&[
        state(1, "gw-a", Some("t1"), "down", "up"),
        state(2, "gw-a", Some("t2"), "down", "up"),
        state(3, "gw-b", Some("t1"), "down", "up"),
        state(4, "gw-a", None, "down", "up"),
        state(5, "gw-a", Some("t1"), "up", "down"),
        state(6, "gw-a", Some("t1"), "down", "up"),
    ])
    .unwrap();
    let at = |q: Query| -> Vec<i64> { h.events(&q).unwrap().iter().map(|e| e.at_ms).collect() };
    let s = |v: &str| Some(v.to_string());
    assert_eq!(at(Query::default()), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(
        at(Query {
            host: s("gw-a"),
            ..Query::default()
        }),
        vec![1, 2, 4, 5, 6]
    );
    assert_eq!(
        at(Query {
            tunnel: s("t1"),
            ..Query::default()
        }),
        vec![1, 3, 5, 6]
    );
    assert_eq!(
        at(Query {
            host: s("gw-a"),
            tunnel: s("t1"),
            ..Query::default()
        }),
        vec![1, 5, 6]
    );
    assert_eq!(
        at(Query {
            since_ms: Some(4),
            ..Query::default()
        }),
        vec![4, 5, 6]
    );
    assert_eq!(
        at(Query {
            limit: Some(2),
            ..Query::default()
        }),
        vec![5, 6]
    );
    assert_eq!(
        at(Query {
            limit: Some(0),
            ..Query::default()
        }),
        Vec::<i64>::new()
    );
    assert_eq!(
        at(Query {
            limit: Some(usize::MAX),
            ..Query::default()
        })
        .len(),
        6
    );
    assert_eq!(
        at(Query {
            host: s("gw-a"),
            tunnel: s("t1"),
            since_ms: Some(2),
            limit: Some(1),
        }),
        vec![6]
    );
    assert_eq!(
        at(Query {
            host: s("nobody"),
            ..Query::default()
        }),
        Vec::<i64>::new()
    );
    // Text that looks like SQL is only data.
    assert_eq!(
        at(Query {
            host: s("' OR 1=1 --"),
            ..Query::default()
        }),
        Vec::<i64>::new()
    );
}

#[test]
fn reopening_keeps_the_schema_version_and_migrates_once() {
    let (_dir, path) = db();
    History::open(&path)
        .unwrap()
        .record(&[state(1, "h", None, "down", "up")])
        .unwrap();
    let objects = |c: &rusqlite::Connection| -> Vec<String> {
        let mut s = c
            .prepare("SELECT type || ' ' || name FROM sqlite_master ORDER BY 1")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let first = objects(&raw(&path));
    assert_eq!(
        first,
        vec![
            "index events_by_time",
            "index events_by_tunnel",
            "index sqlite_autoindex_positions_1",
            "table events",
            "table positions",
        ]
    );
    for _ in 0..3 {
        let h = History::open(&path).unwrap();
        assert_eq!(all(&h).len(), 1);
    }
    let c = raw(&path);
    assert_eq!(objects(&c), first);
    let version: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_newer_schema_is_refused_by_name() {
    let (_dir, path) = db();
    drop(History::open(&path).unwrap());
    raw(&path)
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = History::open(&path).unwrap_err();
    assert!(matches!(err, HistoryError::NewerSchema { .. }), "{err:?}");
    assert!(err.to_string().contains(&path.display().to_string()));
}

#[test]
fn a_file_that_is_not_a_database_is_named() {
    let (_dir, path) = db();
    std::fs::write(
        &path,
        "Dec  1 10:00:00 gw-a charon: 05[IKE] this is a log, not a database\n".repeat(20),
    )
    .unwrap();
    let err = History::open(&path).unwrap_err();
    assert!(matches!(err, HistoryError::NotADatabase { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{} is not an ipsec-doctor database (or is corrupt)",
            path.display()
        )
    );
    assert_eq!(err.path(), path);
}

#[test]
fn another_programs_sqlite_database_is_refused() {
    let (_dir, path) = db();
    raw(&path)
        .execute_batch("CREATE TABLE contacts (name TEXT);")
        .unwrap();
    let err = History::open(&path).unwrap_err();
    assert!(matches!(err, HistoryError::NotADatabase { .. }), "{err:?}");
}

#[test]
fn an_unopenable_path_is_named_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let err = History::open(dir.path()).unwrap_err();
    assert!(matches!(err, HistoryError::CannotOpen { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("cannot open {}: it is a directory", dir.path().display())
    );

    let missing = dir.path().join("no/such/dir/history.db");
    let err = History::open(&missing).unwrap_err();
    assert!(matches!(err, HistoryError::CannotOpen { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("cannot open {}: directory ", missing.display())),
        "{err}"
    );
}

#[test]
fn a_write_lock_held_elsewhere_gives_busy_within_the_timeout() {
    let (_dir, path) = db();
    let options = Options {
        busy_timeout: Duration::from_millis(200),
    };
    let mut h = History::open_with(&path, options.clone()).unwrap();
    let other = raw(&path);
    other
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO positions VALUES ('x', 1, 2, 3);")
        .unwrap();

    let started = Instant::now();
    let err = h.record(&[state(1, "h", None, "down", "up")]).unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, HistoryError::Busy { .. }), "{err:?}");
    assert!(
        waited >= Duration::from_millis(150) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "database {} is locked by another process (busy for 200 ms)",
            path.display()
        )
    );
    // Reading is not blocked by the writer (WAL), and opening does not wait.
    assert_eq!(all(&History::open_with(&path, options).unwrap()).len(), 0);

    other.execute_batch("COMMIT").unwrap();
    h.record(&[state(1, "h", None, "down", "up")]).unwrap();
    assert_eq!(h.positions().unwrap().len(), 1);
}
