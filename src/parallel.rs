//! Diagnosing on several threads: the thin layer between reading inputs and
//! the (single-threaded, I/O-free) [`Diagnoser`].
//!
//! The reader passes each chunk of lines through the [`Sieve`], which keeps
//! the few lines diagnosis needs without framing the rest. The engine needs
//! each host's lines in log order, and nothing else ties hosts together
//! until correlation at the end. So the reader frames each kept line once,
//! decides its worker by its host, and hands the chunk with that list (and
//! each line's framing, as [`FramedSpans`]) to every worker; each worker
//! diagnoses only its lines, with a [`Diagnoser`] of its own. The workers' diagnosers
//! are then merged ([`Diagnoser::merge`], which restores the order hosts and
//! findings appeared in) and [`Diagnoser::finish`] judges what is still open
//! and correlates across hosts, exactly as one diagnoser reading every line
//! would. With one thread, kept lines go straight from the reader to one
//! diagnoser.

use std::io::IsTerminal;
use std::ops::Range;
use std::sync::mpsc::sync_channel;
use std::sync::Arc;

use ipsec_doctor_findings::{Diagnoser, Literal, Report, Sieve};
use ipsec_doctor_logs::{frame, FramedSpans};

use crate::input::{self, Chunk, InputError};

/// Most threads: a line's worker is a byte.
pub const MAX_THREADS: usize = 256;
/// Chunks (about 1 MiB each) queued per worker: bounds memory.
const QUEUE: usize = 4;
/// Inputs larger than this get a progress bar on a terminal.
const PROGRESS_ABOVE: u64 = 256 << 20;

/// Reads `paths` and diagnoses them on `threads` threads.
pub fn diagnose(paths: &[String], threads: usize, on_error: &mut dyn FnMut(InputError)) -> Report {
    let bar = progress_bar(paths);
    let progress = |n: u64| {
        if let Some(bar) = &bar {
            bar.inc(n);
        }
    };
    let mut inputs: Vec<Arc<str>> = Vec::new();
    // Lines of every input, for saying how much was read.
    let mut lines = 0u64;
    let mut sieve = Sieve::new();
    let threads = threads.min(MAX_THREADS);
    let mut report = if threads <= 1 {
        let mut diagnoser = Diagnoser::new();
        input::read_all(
            paths,
            &mut |chunk| {
                start_chunk(&mut inputs, &mut sieve, &chunk, &mut lines);
                // Where the chunk begins and ends, as every worker is told.
                diagnoser.input_at(&chunk.path, chunk.first_line);
                chunk.kept_lines(&mut sieve, |n, kept| {
                    let text = chunk.line(kept.range);
                    diagnoser.push_kept_line(&chunk.path, n, &text, kept.literal);
                });
                diagnoser.input_at(&chunk.path, chunk.last_line());
            },
            on_error,
            &progress,
        );
        diagnoser.finish()
    } else {
        let parts = std::thread::scope(|scope| {
            let mut senders = Vec::new();
            let mut workers = Vec::new();
            for me in 0..threads {
                let (tx, rx) = sync_channel::<Arc<(Chunk, Vec<Kept>)>>(QUEUE);
                senders.push(tx);
                workers.push(scope.spawn(move || {
                    let mut diagnoser = Diagnoser::new();
                    let me = me as u8;
                    for routed in rx {
                        let (chunk, kept) = &*routed;
                        // Every chunk's bounds, also where no line is this
                        // worker's: negotiations the input left behind are
                        // judged where one diagnoser would judge them.
                        diagnoser.input_at(&chunk.path, chunk.first_line);
                        for line in kept.iter().filter(|k| k.owner == me) {
                            let text = chunk.line(line.range.clone());
                            let path = &chunk.path;
                            match line.framed.as_ref().and_then(|f| f.framed(&text)) {
                                Some(framed) => diagnoser.push_framed(
                                    path,
                                    line.line_no,
                                    &text,
                                    framed,
                                    line.literal,
                                ),
                                None => diagnoser.push_kept_line(
                                    path,
                                    line.line_no,
                                    &text,
                                    line.literal,
                                ),
                            }
                        }
                        diagnoser.input_at(&chunk.path, chunk.last_line());
                    }
                    diagnoser
                }));
            }
            input::read_all(
                paths,
                &mut |chunk| {
                    start_chunk(&mut inputs, &mut sieve, &chunk, &mut lines);
                    // Which lines matter, and which worker takes each:
                    // decided once, here.
                    let file_owner = owner(&chunk.path, threads);
                    let mut kept = Vec::new();
                    chunk.kept_lines(&mut sieve, |line_no, line| {
                        // Framed once, here: the host routes the line, and
                        // the worker takes the framing up from its spans.
                        let text = chunk.line(line.range.clone());
                        let framed = frame(&text);
                        let owner = match framed.as_ref().and_then(|f| f.host.as_deref()) {
                            Some(host) => owner(host, threads),
                            None => file_owner,
                        };
                        kept.push(Kept {
                            framed: framed.and_then(|f| f.spans(&text)),
                            range: line.range,
                            literal: line.literal,
                            line_no,
                            owner,
                        });
                    });
                    let routed = Arc::new((chunk, kept));
                    for tx in &senders {
                        // A worker that is gone has panicked; join says so.
                        let _ = tx.send(routed.clone());
                    }
                },
                on_error,
                &progress,
            );
            drop(senders);
            workers
                .into_iter()
                .map(|w| match w.join() {
                    Ok(d) => d,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect::<Vec<Diagnoser>>()
        });
        let order: Vec<&str> = inputs.iter().map(|p| &**p).collect();
        Diagnoser::merge(parts, &order).finish()
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    report.reading.lines = lines;
    report
}

/// Notes each new input (for the merge's order) and restarts the sieve.
fn start_chunk(inputs: &mut Vec<Arc<str>>, sieve: &mut Sieve, chunk: &Chunk, lines: &mut u64) {
    *lines += chunk.lines;
    if inputs.last() != Some(&chunk.path) {
        inputs.push(chunk.path.clone());
        sieve.start_input();
    }
}

/// A line the sieve kept, and the worker that diagnoses it.
struct Kept {
    range: Range<usize>,
    /// The line's framing, when it can be taken up from spans.
    framed: Option<FramedSpans>,
    literal: Option<Literal>,
    line_no: u64,
    owner: u8,
}

/// Which worker diagnoses a host (or a file's lines without a host): FNV-1a.
fn owner(key: &str, threads: usize) -> u8 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (hash % threads as u64) as u8
}

/// A progress bar on standard error for large inputs, when it is a terminal.
fn progress_bar(paths: &[String]) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let total = input::total_size(paths);
    if total < PROGRESS_ABOVE {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}
