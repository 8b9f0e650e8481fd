//! Reading inputs: files, directories (recursively), gzip, standard input.
//!
//! Every input is read as a stream of lines, so memory does not grow with the
//! file, except for log views exported newest-first from a web GUI, which are
//! detected from their timestamps and read backwards (they are small).

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};

use ipsec_doctor_findings::{KeptLine, Sieve};
use ipsec_doctor_logs::{detect_order, frame, LineOrder};

/// Longest line kept; the rest of a longer line is skipped, so a 50 MB line
/// costs 1 MiB of memory.
const MAX_LINE: usize = 1 << 20;
/// Lines sampled at the start of a file to detect newest-first order.
const ORDER_SAMPLE: usize = 200;
/// Largest newest-first file read into memory to be reversed.
const MAX_REVERSED_BYTES: usize = 256 << 20;

/// A problem with one input. The other inputs are still read.
#[derive(Debug)]
pub struct InputError {
    path: String,
    line: Option<u64>,
    message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path, line, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// Bytes read at a time: lines are handed on in chunks of about this size.
const CHUNK: usize = 1 << 20;

/// Whole lines of one input, numbered, as read in one go.
pub struct Chunk {
    /// The input's path as given (or found in a directory); `-` is stdin.
    pub path: Arc<str>,
    /// The number of the chunk's first line (1-based).
    pub first_line: u64,
    /// Lines are numbered downwards: a newest-first log read backwards.
    pub descending: bool,
    /// How many lines the chunk holds.
    pub lines: u64,
    /// The lines, each ending in `\n` except perhaps the input's last, in
    /// `data[..len]` (the rest is a reused buffer's old bytes).
    data: Vec<u8>,
    len: usize,
}

impl Chunk {
    /// The number of the chunk's last line.
    pub fn last_line(&self) -> u64 {
        let more = self.lines.saturating_sub(1);
        if self.descending {
            self.first_line.saturating_sub(more)
        } else {
            self.first_line + more
        }
    }

    /// The lines `sieve` keeps (see [`Sieve`]), each with its line number,
    /// before decoding: a worker decodes those it diagnoses.
    pub fn kept_lines(&self, sieve: &mut Sieve, mut f: impl FnMut(u64, KeptLine)) {
        sieve.lines(&self.data[..self.len], |kept| {
            f(self.line_no(kept.index), kept);
        });
    }

    /// The line at `range` (from [`Chunk::kept_lines`]), decoded as
    /// every line is: without its terminator, cut to [`MAX_LINE`] bytes,
    /// invalid UTF-8 replaced.
    pub fn line(&self, range: Range<usize>) -> Cow<'_, str> {
        self.data[..self.len]
            .get(range)
            .map_or(Cow::Borrowed(""), decode)
    }

    fn line_no(&self, index: usize) -> u64 {
        let index = index as u64;
        if self.descending {
            self.first_line.saturating_sub(index)
        } else {
            self.first_line + index
        }
    }
}

/// A line without its terminator, cut to [`MAX_LINE`] bytes, invalid UTF-8
/// replaced.
fn decode(line: &[u8]) -> Cow<'_, str> {
    let mut line = &line[..line.len().min(MAX_LINE)];
    if let [head @ .., b'\r'] = line {
        line = head;
    }
    match std::str::from_utf8(line) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(line),
    }
}

type OnChunk<'a> = dyn FnMut(Chunk) + 'a;
type OnError<'a> = dyn FnMut(InputError) + 'a;

/// Reads every path, calling `on_chunk` with its lines in order (inputs one
/// after the other, each in log order) and `on_error` for each input that
/// could not be read (whole or in part). `progress` is told how many bytes
/// of the files (compressed, for `.gz`) were read.
///
/// Files (rotated logs, most of them gzipped) are read and decompressed
/// [`FILES_AHEAD`] at a time, each on a thread of its own, while their
/// chunks are still handed on in the order of the inputs.
pub fn read_all(
    paths: &[String],
    on_chunk: &mut OnChunk<'_>,
    on_error: &mut OnError<'_>,
    progress: &(dyn Fn(u64) + Sync),
) {
    let mut inputs = Vec::new();
    for path in paths {
        if path == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let p = Path::new(path);
        match std::fs::metadata(p) {
            Ok(meta) if meta.is_dir() => list_dir(p, &mut inputs),
            Ok(_) => inputs.push(Input::File(p.to_path_buf())),
            Err(e) => inputs.push(Input::Failed(InputError {
                path: path.clone(),
                line: None,
                message: describe(&e),
            })),
        }
    }
    let ahead = std::thread::available_parallelism().map_or(1, |n| n.get().min(FILES_AHEAD));
    std::thread::scope(|scope| {
        let mut pending = std::collections::VecDeque::new();
        let mut rest = inputs.into_iter();
        loop {
            // Start the files ahead; stdin and errors wait their turn.
            while pending.len() < ahead {
                let Some(input) = rest.next() else { break };
                pending.push_back(match input {
                    Input::File(path) => {
                        let (tx, rx) = std::sync::mpsc::sync_channel(CHUNKS_AHEAD);
                        scope.spawn(move || {
                            let send = |item: Read1| tx.send(item).is_ok();
                            read_file(
                                &path,
                                &mut |chunk| {
                                    send(Read1::Chunk(chunk));
                                },
                                &mut |error| {
                                    send(Read1::Error(error));
                                },
                                progress,
                            );
                        });
                        Pending::Reading(rx)
                    }
                    Input::Stdin => Pending::Stdin,
                    Input::Failed(error) => Pending::Failed(error),
                });
            }
            let Some(next) = pending.pop_front() else {
                break;
            };
            match next {
                Pending::Reading(rx) => {
                    for item in rx {
                        match item {
                            Read1::Chunk(chunk) => on_chunk(chunk),
                            Read1::Error(error) => on_error(error),
                        }
                    }
                }
                Pending::Stdin => {
                    let stdin = io::stdin();
                    read_stream("-", Box::new(stdin.lock()), on_chunk, on_error);
                }
                Pending::Failed(error) => on_error(error),
            }
        }
    });
}

/// Files read at once, at most (and not more than the machine's cores).
const FILES_AHEAD: usize = 4;
/// Chunks a file's thread reads before the one handing them on takes them.
const CHUNKS_AHEAD: usize = 4;

/// One input of [`read_all`], in order.
enum Input {
    Stdin,
    File(std::path::PathBuf),
    Failed(InputError),
}

/// A file started ahead, or an input taken when its turn comes.
enum Pending {
    Reading(std::sync::mpsc::Receiver<Read1>),
    Stdin,
    Failed(InputError),
}

/// What a file's thread hands on.
enum Read1 {
    Chunk(Chunk),
    Error(InputError),
}

/// The files of a directory, recursively, by name; links are not
/// followed, so a symlink loop cannot trap the walk.
fn list_dir(dir: &Path, inputs: &mut Vec<Input>) {
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                inputs.push(Input::File(entry.path().to_path_buf()));
            }
            Ok(_) => {}
            Err(e) => inputs.push(Input::Failed(InputError {
                path: e.path().unwrap_or(dir).display().to_string(),
                line: None,
                message: e.io_error().map_or_else(|| e.to_string(), describe),
            })),
        }
    }
}

/// The total size of the files `read_all` would read.
pub fn total_size(paths: &[String]) -> u64 {
    let mut total = 0;
    for path in paths.iter().filter(|p| *p != "-") {
        for entry in walkdir::WalkDir::new(path)
            .follow_links(false)
            .into_iter()
            .flatten()
        {
            if entry.file_type().is_file() || entry.depth() == 0 {
                total += entry
                    .metadata()
                    .map_or(0, |m| if m.is_file() { m.len() } else { 0 });
            }
        }
    }
    total
}

fn read_file(
    path: &Path,
    on_chunk: &mut OnChunk<'_>,
    on_error: &mut OnError<'_>,
    progress: &(dyn Fn(u64) + Sync),
) {
    let display = path.display().to_string();
    match File::open(path) {
        Ok(file) => read_stream(
            &display,
            Box::new(Counting {
                inner: file,
                progress,
            }),
            on_chunk,
            on_error,
        ),
        Err(e) => on_error(InputError {
            path: display,
            line: None,
            message: describe(&e),
        }),
    }
}

/// Tells `progress` how many bytes went through.
struct Counting<'a, R> {
    inner: R,
    progress: &'a (dyn Fn(u64) + Sync),
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}

/// Reads one stream, gunzipping it when it starts with gzip's magic bytes
/// (whatever its name).
fn read_stream(
    path: &str,
    reader: Box<dyn Read + '_>,
    on_chunk: &mut OnChunk<'_>,
    on_error: &mut OnError<'_>,
) {
    let mut buffered = BufReader::with_capacity(1 << 16, reader);
    let gzip = match buffered.fill_buf() {
        Ok(head) => head.starts_with(&[0x1f, 0x8b]),
        Err(e) => {
            on_error(InputError {
                path: path.to_owned(),
                line: None,
                message: describe(&e),
            });
            return;
        }
    };
    let mut source: Box<dyn Read + '_> = if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    let shared: Arc<str> = Arc::from(path);
    if let Err((line, e)) = feed(&shared, &mut source, on_chunk) {
        let message = if gzip {
            format!("gzip data is corrupt or truncated: {}", describe(&e))
        } else {
            describe(&e)
        };
        on_error(InputError {
            path: path.to_owned(),
            line: Some(line),
            message,
        });
    }
}

/// Reads up to `want` more bytes onto the end of `buf`; `Ok(false)` at the
/// end of input.
fn append(reader: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    let n = reader.take(want as u64).read_to_end(buf)?;
    Ok(n > 0 || want == 0)
}

/// Reads into `buf[*filled..]` until it is full or the input ends;
/// `Ok(false)` at the end of input. `*filled` counts what was read, also
/// when an error cuts the reading short.
fn fill(reader: &mut dyn Read, buf: &mut [u8], filled: &mut usize) -> io::Result<bool> {
    while *filled < buf.len() {
        match reader.read(&mut buf[*filled..]) {
            Ok(0) => return Ok(false),
            Ok(n) => *filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Chunk buffers come back here when their chunk is dropped, so that
/// reading a large log neither allocates nor zeroes a MiB for every chunk.
static SPARE_BUFFERS: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
/// Most buffers kept for reuse: more than the chunks in flight at once.
const MAX_SPARE_BUFFERS: usize = 32;

/// A buffer of [`CHUNK`] initialised bytes.
fn chunk_buffer() -> Vec<u8> {
    let spare = SPARE_BUFFERS.lock().ok().and_then(|mut spare| spare.pop());
    spare.unwrap_or_else(|| vec![0; CHUNK])
}

impl Drop for Chunk {
    fn drop(&mut self) {
        let data = std::mem::take(&mut self.data);
        if data.len() == CHUNK {
            if let Ok(mut spare) = SPARE_BUFFERS.lock() {
                if spare.len() < MAX_SPARE_BUFFERS {
                    spare.push(data);
                }
            }
        }
    }
}

/// Feeds chunks of whole lines in order, or reversed when the file is
/// newest-first.
fn feed(
    path: &Arc<str>,
    reader: &mut dyn Read,
    on_chunk: &mut OnChunk<'_>,
) -> Result<(), (u64, io::Error)> {
    let mut lines_sent = 0u64;
    // `buf[..filled]` holds what was read and not yet sent.
    let mut buf = chunk_buffer();
    let mut filled = 0;
    let mut more = true;
    let mut first = true;
    // Inside a line longer than MAX_LINE, after its first MAX_LINE bytes.
    let mut skipping = false;
    // Sends `buf[..len]` and leaves `buf` a fresh buffer holding the rest.
    let mut send = |buf: &mut Vec<u8>, len: usize, filled: &mut usize, lines_sent: &mut u64| {
        let mut next = chunk_buffer();
        next[..*filled - len].copy_from_slice(&buf[len..*filled]);
        *filled -= len;
        let data = std::mem::replace(buf, next);
        let lines = memchr::memchr_iter(b'\n', &data[..len]).count() as u64
            + u64::from(data[..len].last().is_some_and(|b| *b != b'\n'));
        on_chunk(Chunk {
            path: path.clone(),
            first_line: *lines_sent + 1,
            descending: false,
            lines,
            data,
            len,
        });
        *lines_sent += lines;
    };
    loop {
        if more && filled < CHUNK {
            match fill(reader, &mut buf, &mut filled) {
                Ok(m) => more = m,
                Err(e) => {
                    // The whole lines read so far count; the error is on the next.
                    if !skipping {
                        let cut = memchr::memrchr(b'\n', &buf[..filled]).map_or(0, |i| i + 1);
                        if cut > 0 {
                            send(&mut buf, cut, &mut filled, &mut lines_sent);
                        }
                    }
                    return Err((lines_sent + 1, e));
                }
            }
        }
        if skipping {
            match memchr::memchr(b'\n', &buf[..filled]) {
                Some(i) => {
                    buf.copy_within(i + 1..filled, 0);
                    filled -= i + 1;
                    skipping = false;
                }
                None => {
                    filled = 0;
                    if !more {
                        return Ok(());
                    }
                    continue;
                }
            }
        }
        if first {
            first = false;
            if is_newest_first(&buf[..filled]) {
                buf.truncate(filled);
                return feed_reversed(path, buf, reader, on_chunk);
            }
        }
        if filled == 0 && !more {
            return Ok(());
        }
        let cut = match memchr::memrchr(b'\n', &buf[..filled]) {
            Some(i) => i + 1,
            None if !more => filled,
            None if filled >= CHUNK => {
                // A line longer than MAX_LINE: keep its start, skip the rest.
                skipping = true;
                filled
            }
            None => continue,
        };
        send(&mut buf, cut, &mut filled, &mut lines_sent);
    }
}

/// Whether the first lines of a file carry timestamps going backwards.
fn is_newest_first(head: &[u8]) -> bool {
    let sample = memchr::memchr_iter(b'\n', head)
        .nth(ORDER_SAMPLE)
        .map_or(head, |end| &head[..end]);
    let text = String::from_utf8_lossy(sample);
    let order = detect_order(
        text.lines()
            .take(ORDER_SAMPLE)
            .filter_map(|l| frame(l).and_then(|f| f.timestamp).map(|t| t.sort_key())),
    );
    order == LineOrder::Reversed
}

/// Reads the whole of a newest-first file and hands it on last line first.
fn feed_reversed(
    path: &Arc<str>,
    mut buf: Vec<u8>,
    reader: &mut dyn Read,
    on_chunk: &mut OnChunk<'_>,
) -> Result<(), (u64, io::Error)> {
    let lines_in = |b: &[u8]| memchr::memchr_iter(b'\n', b).count() as u64;
    loop {
        if buf.len() > MAX_REVERSED_BYTES {
            return Err((
                lines_in(&buf[..MAX_REVERSED_BYTES]) + 1,
                io::Error::other("newest-first log too large to reverse (over 256 MiB)"),
            ));
        }
        match append(reader, &mut buf, CHUNK) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err((lines_in(&buf) + 1, e)),
        }
    }
    let mut lines: Vec<&[u8]> = buf.split(|b| *b == b'\n').collect();
    if buf.last() == Some(&b'\n') {
        lines.pop();
    }
    let mut data = Vec::with_capacity(buf.len() + 1);
    for line in lines.iter().rev() {
        data.extend_from_slice(line);
        data.push(b'\n');
    }
    on_chunk(Chunk {
        path: path.clone(),
        first_line: lines.len() as u64,
        descending: true,
        lines: lines.len() as u64,
        len: data.len(),
        data,
    });
    Ok(())
}

fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}
