//! Following a log file as `tail -F` does.
//!
//! The file is polled rather than watched with inotify: polling works on
//! every filesystem (NFS, FUSE, overlay and bind mounts inside containers,
//! where change notifications are missing or never arrive), costs one
//! `stat` per interval, and notices rotation by the inode alone.

use std::io::{self, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::mpsc::Sender;

use crate::framing::{Frame, LineFramer};
use crate::{normalise, DropReason, FilePosition, Received, Stats, MAX_FRAME};

/// How a file is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowOptions {
    /// How often the file is looked at for growth, rotation or truncation
    /// (default 250 ms).
    pub poll: Duration,
    /// Where to resume (a [`Received::position`] saved before a restart):
    /// used when its device and inode are the file's and the file is at
    /// least that long; otherwise the file is read from its start.
    pub start: Option<FilePosition>,
    /// The longest line delivered, in bytes (default [`MAX_FRAME`],
    /// 64 KiB); a longer one is cut and counted [`DropReason::Oversize`].
    pub max_line: usize,
}

impl Default for FollowOptions {
    fn default() -> FollowOptions {
        FollowOptions {
            poll: Duration::from_millis(250),
            start: None,
            max_line: MAX_FRAME,
        }
    }
}

/// Follows the file at `path` until the channel closes, delivering its
/// complete lines in order, each with the [`FilePosition`] just after it.
///
/// - The file is read from its start, or from `opts.start`.
/// - A last line without its newline is held until it is completed (or
///   until the file is rotated away or truncated, when it is delivered as
///   it is).
/// - Rotation by rename or re-creation (another inode at the path): the old
///   file is read to its end, then the new one from its start. Until a new
///   file appears, the old one is still read (a writer may hold it open).
/// - Copy-truncate (the file became shorter than what was read): read again
///   from its start.
/// - A missing file is waited for, as `tail -F` does.
///
/// Blank lines are skipped. Returns an error naming the path when the file
/// cannot be opened or read (permission denied, a directory, an I/O
/// error); returns `Ok` when the channel closes.
pub async fn follow(
    path: PathBuf,
    opts: FollowOptions,
    tx: Sender<Received>,
    stats: Arc<Stats>,
) -> io::Result<()> {
    let source: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
    let follower = Follower {
        counter: stats.line_counter(&source),
        source,
        path,
        opts,
        tx,
        stats,
    };
    follower.run().await
}

struct Follower {
    source: Arc<str>,
    path: PathBuf,
    opts: FollowOptions,
    tx: Sender<Received>,
    stats: Arc<Stats>,
    counter: Arc<AtomicU64>,
}

/// The file being read.
struct Open {
    file: File,
    dev: u64,
    ino: u64,
    /// Bytes read so far (what the framer has been fed).
    offset: u64,
    framer: LineFramer,
}

/// Whether to go on (`Continue`) or stop because the channel closed.
enum Flow {
    Continue,
    Closed,
}

impl Follower {
    async fn run(self) -> io::Result<()> {
        let mut start = self.opts.start;
        let mut current: Option<Open> = None;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            if self.tx.is_closed() {
                return Ok(());
            }
            let Some(open) = current.as_mut() else {
                match self.open(start).await? {
                    Some(open) => {
                        // A saved position is for the first file opened only.
                        start = None;
                        current = Some(open);
                    }
                    None => {
                        // Not there (yet, or between rotation steps).
                        if let Flow::Closed = self.pause().await {
                            return Ok(());
                        }
                    }
                }
                continue;
            };
            if let Flow::Closed = self.read_to_end(open, &mut buf).await? {
                return Ok(());
            }
            match tokio::fs::metadata(&self.path).await {
                Ok(meta) if meta.dev() == open.dev && meta.ino() == open.ino => {
                    if meta.len() < open.offset {
                        // Copy-truncate: what is held is all there will be of it.
                        if let Flow::Closed = self.flush_partial(open).await {
                            return Ok(());
                        }
                        open.file
                            .seek(SeekFrom::Start(0))
                            .await
                            .map_err(|e| self.error(e))?;
                        open.offset = 0;
                        continue;
                    }
                }
                Ok(_) => {
                    // Rotated: finish the old file (lines written between our
                    // last read and the rename), then take the new one.
                    if let Flow::Closed = self.read_to_end(open, &mut buf).await? {
                        return Ok(());
                    }
                    if let Flow::Closed = self.flush_partial(open).await {
                        return Ok(());
                    }
                    current = None;
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    // Renamed away and not yet re-created: keep the old one.
                }
                Err(e) => return Err(self.error(e)),
            }
            if let Flow::Closed = self.pause().await {
                return Ok(());
            }
        }
    }

    /// Opens the file at the path, at `start` when it is this file's; `None`
    /// when there is no file there.
    async fn open(&self, start: Option<FilePosition>) -> io::Result<Option<Open>> {
        let mut file = match File::open(&self.path).await {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error(e)),
        };
        let meta = file.metadata().await.map_err(|e| self.error(e))?;
        if meta.is_dir() {
            return Err(self.error(io::Error::other("is a directory")));
        }
        let (dev, ino) = (meta.dev(), meta.ino());
        let offset = match start {
            Some(p) if p.dev == dev && p.ino == ino && p.offset <= meta.len() => {
                file.seek(SeekFrom::Start(p.offset))
                    .await
                    .map_err(|e| self.error(e))?;
                p.offset
            }
            _ => 0,
        };
        Ok(Some(Open {
            file,
            dev,
            ino,
            offset,
            framer: LineFramer::new(self.opts.max_line, false),
        }))
    }

    /// Reads and delivers what the file holds now, up to its end.
    async fn read_to_end(&self, open: &mut Open, buf: &mut [u8]) -> io::Result<Flow> {
        let mut frames = Vec::new();
        loop {
            let n = open.file.read(buf).await.map_err(|e| self.error(e))?;
            if n == 0 {
                return Ok(Flow::Continue);
            }
            let chunk_start = open.offset;
            open.framer.push(&buf[..n], &mut frames);
            open.offset += n as u64;
            for frame in frames.drain(..) {
                let end = chunk_start + frame.end as u64;
                if let Flow::Closed = self.deliver(open, frame, end).await {
                    return Ok(Flow::Closed);
                }
            }
        }
    }

    /// Delivers the held unterminated line, if any, as it is.
    async fn flush_partial(&self, open: &mut Open) -> Flow {
        match open.framer.take_partial() {
            Some(frame) => {
                let end = open.offset;
                self.deliver(open, frame, end).await
            }
            None => Flow::Continue,
        }
    }

    async fn deliver(&self, open: &Open, frame: Frame, end: u64) -> Flow {
        if frame.cut {
            self.stats.record_drop(DropReason::Oversize);
        }
        let line = normalise(&frame.bytes, None);
        if line.is_empty() {
            return Flow::Continue;
        }
        let received = Received {
            source: self.source.clone(),
            line,
            position: Some(FilePosition {
                dev: open.dev,
                ino: open.ino,
                offset: end,
            }),
        };
        if self.tx.send(received).await.is_err() {
            return Flow::Closed;
        }
        self.counter.fetch_add(1, Ordering::Relaxed);
        Flow::Continue
    }

    /// Waits one poll interval, or less if the channel closes.
    async fn pause(&self) -> Flow {
        tokio::select! {
            () = tokio::time::sleep(self.opts.poll.max(Duration::from_millis(1))) => Flow::Continue,
            () = self.tx.closed() => Flow::Closed,
        }
    }

    /// `e` with the path in its message.
    fn error(&self, e: io::Error) -> io::Error {
        named(&self.path, e)
    }
}

fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
