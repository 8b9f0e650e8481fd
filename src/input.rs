//! Reading inputs: files, directories (recursively), gzip, standard input.
//!
//! Every input is read as a stream of lines, so memory does not grow with the
//! file, except for log views exported newest-first from a web GUI, which are
//! detected from their timestamps and read backwards (they are small).

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

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

type OnLine<'a> = dyn FnMut(&str, u64, &str) + 'a;
type OnError<'a> = dyn FnMut(InputError) + 'a;

/// Reads every path, calling `on_line(path, line_no, line)` for each line
/// and `on_error` for each input that could not be read (whole or in part).
pub fn read_all(paths: &[String], on_line: &mut OnLine<'_>, on_error: &mut OnError<'_>) {
    for path in paths {
        if path == "-" {
            let stdin = io::stdin();
            read_stream("-", Box::new(stdin.lock()), on_line, on_error);
            continue;
        }
        let p = Path::new(path);
        match std::fs::metadata(p) {
            Ok(meta) if meta.is_dir() => read_dir(p, on_line, on_error),
            Ok(_) => read_file(p, on_line, on_error),
            Err(e) => on_error(InputError {
                path: path.clone(),
                line: None,
                message: describe(&e),
            }),
        }
    }
}

fn read_dir(dir: &Path, on_line: &mut OnLine<'_>, on_error: &mut OnError<'_>) {
    // Links are not followed, so a symlink loop cannot trap the walk.
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        match entry {
            Ok(entry) if entry.file_type().is_file() => read_file(entry.path(), on_line, on_error),
            Ok(_) => {}
            Err(e) => on_error(InputError {
                path: e.path().unwrap_or(dir).display().to_string(),
                line: None,
                message: e.io_error().map_or_else(|| e.to_string(), describe),
            }),
        }
    }
}

fn read_file(path: &Path, on_line: &mut OnLine<'_>, on_error: &mut OnError<'_>) {
    let display = path.display().to_string();
    match File::open(path) {
        Ok(file) => read_stream(&display, Box::new(file), on_line, on_error),
        Err(e) => on_error(InputError {
            path: display,
            line: None,
            message: describe(&e),
        }),
    }
}

/// Reads one stream, gunzipping it when it starts with gzip's magic bytes
/// (whatever its name).
fn read_stream(
    path: &str,
    reader: Box<dyn Read + '_>,
    on_line: &mut OnLine<'_>,
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
    let mut lines: Box<dyn BufRead + '_> = if gzip {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(buffered),
        ))
    } else {
        Box::new(buffered)
    };
    if let Err((line, e)) = feed(path, &mut lines, on_line) {
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

/// Feeds lines in order, or reversed when the file is newest-first.
fn feed(
    path: &str,
    reader: &mut dyn BufRead,
    on_line: &mut OnLine<'_>,
) -> Result<(), (u64, io::Error)> {
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    let mut head: Vec<String> = Vec::new();
    while head.len() < ORDER_SAMPLE {
        match read_line(reader, &mut buf) {
            Ok(true) => head.push(String::from_utf8_lossy(&buf).into_owned()),
            Ok(false) => break,
            Err(e) => {
                flush_forward(path, &head, &mut line_no, on_line);
                return Err((line_no + 1, e));
            }
        }
    }
    let order = detect_order(
        head.iter()
            .filter_map(|l| frame(l).and_then(|f| f.timestamp).map(|t| t.sort_key())),
    );
    if order == LineOrder::Reversed {
        let mut all = head;
        let mut bytes: usize = all.iter().map(String::len).sum();
        loop {
            match read_line(reader, &mut buf) {
                Ok(true) => {
                    bytes += buf.len();
                    if bytes > MAX_REVERSED_BYTES {
                        return Err((
                            all.len() as u64 + 1,
                            io::Error::other(
                                "newest-first log too large to reverse (over 256 MiB)",
                            ),
                        ));
                    }
                    all.push(String::from_utf8_lossy(&buf).into_owned());
                }
                Ok(false) => break,
                Err(e) => return Err((all.len() as u64 + 1, e)),
            }
        }
        for (i, line) in all.iter().enumerate().rev() {
            on_line(path, i as u64 + 1, line);
        }
        return Ok(());
    }
    flush_forward(path, &head, &mut line_no, on_line);
    loop {
        match read_line(reader, &mut buf) {
            Ok(true) => {
                line_no += 1;
                on_line(path, line_no, &String::from_utf8_lossy(&buf));
            }
            Ok(false) => return Ok(()),
            Err(e) => return Err((line_no + 1, e)),
        }
    }
}

fn flush_forward(path: &str, head: &[String], line_no: &mut u64, on_line: &mut OnLine<'_>) {
    for line in head {
        *line_no += 1;
        on_line(path, *line_no, line);
    }
}

/// Reads one line into `buf` (without its terminator), keeping at most
/// [`MAX_LINE`] bytes of it. Returns `false` at the end of input.
fn read_line(reader: &mut dyn BufRead, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.clear();
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(any);
        }
        any = true;
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        let room = MAX_LINE.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = done.unwrap_or(available.len());
        reader.consume(used);
        if done.is_some() {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(true);
        }
    }
}

fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}
