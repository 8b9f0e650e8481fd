//! Following real files in a temporary directory.
#![allow(clippy::unwrap_used)]

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ipsec_doctor_sources::{follow, DropReason, FilePosition, FollowOptions, Received, Stats};
use tokio::sync::mpsc::{channel, Receiver};
use tokio::task::JoinHandle;
use tokio::time::{sleep, timeout};

const WAIT: Duration = Duration::from_secs(3);
const POLL: Duration = Duration::from_millis(20);

fn append(path: &Path, text: &[u8]) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text).unwrap();
}

fn start(
    path: &Path,
    start: Option<FilePosition>,
) -> (
    Receiver<Received>,
    Arc<Stats>,
    JoinHandle<std::io::Result<()>>,
) {
    let stats = Stats::new();
    let (tx, rx) = channel(64);
    let opts = FollowOptions {
        poll: POLL,
        start,
        ..FollowOptions::default()
    };
    let task = tokio::spawn(follow(path.to_path_buf(), opts, tx, stats.clone()));
    (rx, stats, task)
}

async fn recv(rx: &mut Receiver<Received>) -> Received {
    timeout(WAIT, rx.recv())
        .await
        .expect("no line in time")
        .expect("channel closed")
}

async fn lines(rx: &mut Receiver<Received>, n: usize) -> Vec<String> {
    let mut got = Vec::new();
    for _ in 0..n {
        got.push(recv(rx).await.line);
    }
    got
}

async fn nothing_more(rx: &mut Receiver<Received>) {
    if let Ok(Some(extra)) = timeout(POLL * 8, rx.recv()).await {
        panic!("unexpected line {:?}", extra.line);
    }
}

fn inode(path: &Path) -> (u64, u64) {
    let meta = fs::metadata(path).unwrap();
    (meta.dev(), meta.ino())
}

fn log_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("charon.log")
}

#[tokio::test]
async fn appended_lines_arrive_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let path = log_in(&dir);
    append(&path, b"one\r\ntwo\n");
    let (dev, ino) = inode(&path);
    let (mut rx, stats, _task) = start(&path, None);
    let first = recv(&mut rx).await;
    assert_eq!(first.line, "one");
    assert_eq!(&*first.source, path.to_str().unwrap());
    assert_eq!(
        first.position,
        Some(FilePosition {
            dev,
            ino,
            offset: 5
        })
    );
    assert_eq!(recv(&mut rx).await.position.unwrap().offset, 9);
    append(&path, b"three\n\nfour\n");
    let third = recv(&mut rx).await;
    assert_eq!(
        (third.line.as_str(), third.position.unwrap().offset),
        ("three", 15)
    );
    let fourth = recv(&mut rx).await;
    assert_eq!(
        (fourth.line.as_str(), fourth.position.unwrap().offset),
        ("four", 21)
    );
    nothing_more(&mut rx).await;
    assert_eq!(stats.lines(), vec![(Arc::from(path.to_str().unwrap()), 4)]);
}

#[tokio::test]
async fn partial_last_line_is_held_until_completed() {
    let dir = tempfile::tempdir().unwrap();
    let path = log_in(&dir);
    append(&path, b"whole\npar");
    let (mut rx, _stats, _task) = start(&path, None);
    assert_eq!(recv(&mut rx).await.line, "whole");
    nothing_more(&mut rx).await;
    append(&path, b"tial\n");
    let line = recv(&mut rx).await;
    assert_eq!(line.line, "partial");
    assert_eq!(line.position.unwrap().offset, 14);
    nothing_more(&mut rx).await;
}

#[tokio::test]
async fn rename_rotation_reads_old_to_end_then_new() {
    let dir = tempfile::tempdir().unwrap();
    let path = log_in(&dir);
    append(&path, b"a1\n");
    let old = inode(&path);
    let (mut rx, _stats, _task) = start(&path, None);
    assert_eq!(recv(&mut rx).await.line, "a1");
    // The writer still holds the old file for a moment after the rename.
    let rotated = dir.path().join("charon.log.1");
    fs::rename(&path, &rotated).unwrap();
    append(&rotated, b"a2\na3-unterminated");
    sleep(POLL * 3).await;
    append(&path, b"b1\n");
    let new = inode(&path);
    assert_ne!(old, new);
    let got: Vec<Received> = vec![
        recv(&mut rx).await,
        recv(&mut rx).await,
        recv(&mut rx).await,
    ];
    let text: Vec<&str> = got.iter().map(|r| r.line.as_str()).collect();
    assert_eq!(text, ["a2", "a3-unterminated", "b1"]);
    let positions: Vec<FilePosition> = got.iter().map(|r| r.position.unwrap()).collect();
    assert_eq!((positions[0].ino, positions[0].offset), (old.1, 6));
    assert_eq!((positions[1].ino, positions[1].offset), (old.1, 21));
    assert_eq!((positions[2].ino, positions[2].offset), (new.1, 3));
    append(&path, b"b2\n");
    assert_eq!(recv(&mut rx).await.line, "b2");
    nothing_more(&mut rx).await;
}

#[tokio::test]
async fn rotation_by_rename_and_create_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = log_in(&dir);
    append(&path, b"a\n");
    let (mut rx, _stats, _task) = start(&path, None);
    assert_eq!(recv(&mut rx).await.line, "a");
    append(&path, b"a-last\n");
    fs::rename(&path, dir.path().join("charon.log.1")).unwrap();
    append(&path, b"b\n");
    assert_eq!(lines(&mut rx, 2).await, ["a-last", "b"]);
    nothing_more(&mut rx).await;
}

#[tokio::test]
async fn copy_truncate_starts_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = log_in(&dir);
    append(&path, b"first line\nsecond line\n");
    let (mut rx, _stats, _task) = start(&path, None);
    assert_eq!(lines(&mut rx, 2).await, ["first line", "second line"]);
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(0).unwrap();
    drop(file);
    append(&path, b"new\n");
    let line = recv(&mut rx).await;
    assert_eq!(line.line, "new");
    assert_eq!(line.position.unwrap().offset, 4);
    nothing_more(&mut rx).await;
}

#[tokio::test]
async fn resumes_from_a_position_without_redelivering() {
    let dir = tempfile::tempdir().unwrap();
    let path = log_in(&dir);
    append(&path, b"a\nb\nc\n");
    let (mut rx, _stats, task) = start(&path, None);
    let got = [recv(&mut rx).await, recv(&mut rx).await];
    assert_eq!(got[1].line, "b");
    let saved = got[1].position.unwrap();
    drop(rx);
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    append(&path, b"d\n");
    let (mut rx, _stats, _task) = start(&path, Some(saved));
    assert_eq!(lines(&mut rx, 2).await, ["c", "d"]);
    nothing_more(&mut rx).await;

    // A position of another file, or beyond this one's end, is not used.
    for stale in [
        FilePosition {
            ino: saved.ino.wrapping_add(1),
            ..saved
        },
        FilePosition {
            offset: 1_000,
            ..saved
        },
    ] {
        let (mut rx, _stats, _task) = start(&path, Some(stale));
        assert_eq!(lines(&mut rx, 4).await, ["a", "b", "c", "d"]);
        nothing_more(&mut rx).await;
    }
}

#[tokio::test]
async fn a_missing_file_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = log_in(&dir);
    let (mut rx, _stats, task) = start(&path, None);
    sleep(POLL * 3).await;
    assert!(!task.is_finished());
    append(&path, b"appeared\n");
    assert_eq!(recv(&mut rx).await.line, "appeared");
}

#[tokio::test]
async fn an_unreadable_file_is_an_error_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = log_in(&dir);
    append(&path, b"secret\n");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::File::open(&path).is_ok() {
        eprintln!("skipped: running with permission to read anything (root)");
        return;
    }
    let (_rx, _stats, task) = start(&path, None);
    let error = timeout(WAIT, task).await.unwrap().unwrap().unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(
        error.to_string().contains(path.to_str().unwrap()),
        "{error}"
    );
}

#[tokio::test]
async fn a_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (_rx, _stats, task) = start(dir.path(), None);
    let error = timeout(WAIT, task).await.unwrap().unwrap().unwrap_err();
    assert!(
        error.to_string().contains(dir.path().to_str().unwrap()),
        "{error}"
    );
}

#[tokio::test]
async fn long_lines_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let path = log_in(&dir);
    let mut long = vec![b'x'; 70_000];
    long.extend_from_slice(b"\nnext\n");
    append(&path, &long);
    let (mut rx, stats, _task) = start(&path, None);
    let first = recv(&mut rx).await;
    assert_eq!(first.line.len(), 65536);
    assert_eq!(first.position.unwrap().offset, 70_001);
    assert_eq!(recv(&mut rx).await.line, "next");
    assert_eq!(stats.dropped_for(DropReason::Oversize), 1);
}

#[tokio::test]
async fn following_ends_when_the_channel_closes() {
    let dir = tempfile::tempdir().unwrap();
    let path = log_in(&dir);
    let (rx, _stats, task) = start(&path, None);
    drop(rx);
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();
}
