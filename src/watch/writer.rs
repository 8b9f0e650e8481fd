//! The history's writer: a thread of its own, so that a database that is
//! slow, locked (5 s busy timeout) or full never holds up reading and
//! diagnosing. Changes it cannot write are kept (at most
//! [`MAX_UNWRITTEN`]) and written with the next batch, or retried every
//! second; `/healthz` says why meanwhile.

use std::collections::HashMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use ipsec_doctor_history::{Event, History, Position};
use ipsec_doctor_sources::FilePosition;

use super::{say, Shared};

/// Changes kept while the database cannot be written; the oldest go first.
pub const MAX_UNWRITTEN: usize = 100_000;

enum Job {
    /// Changes, and the followed files' positions they cover.
    Write(Vec<Event>, Vec<(String, Position)>),
    /// Delete events older than this (unix ms).
    Prune(i64),
}

/// The writer thread, fed by the main loop.
pub struct Writer {
    tx: Option<mpsc::Sender<Job>>,
    handle: Option<JoinHandle<usize>>,
}

impl Writer {
    /// Starts the thread on `history`.
    pub fn start(history: History, shared: Arc<Shared>) -> Writer {
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::spawn(move || run(history, &shared, &rx));
        Writer {
            tx: Some(tx),
            handle: Some(handle),
        }
    }

    /// Queues changes with the positions they cover.
    pub fn write(&self, events: Vec<Event>, positions: &HashMap<String, FilePosition>) {
        let positions = positions
            .iter()
            .map(|(source, p)| {
                (
                    source.clone(),
                    Position {
                        dev: p.dev,
                        ino: p.ino,
                        offset: p.offset,
                    },
                )
            })
            .collect();
        self.send(Job::Write(events, positions));
    }

    /// Queues a prune of events older than `before_ms`.
    pub fn prune(&self, before_ms: i64) {
        self.send(Job::Prune(before_ms));
    }

    fn send(&self, job: Job) {
        if let Some(tx) = &self.tx {
            // The thread only ends when this sender is dropped.
            let _ = tx.send(job);
        }
    }

    /// Writes what is queued, one last attempt for what could not be, and
    /// returns how many changes are left unwritten.
    pub fn finish(mut self) -> usize {
        self.tx = None;
        self.handle
            .take()
            .map_or(0, |h| h.join().unwrap_or(MAX_UNWRITTEN))
    }
}

fn run(mut history: History, shared: &Shared, rx: &mpsc::Receiver<Job>) -> usize {
    let mut unwritten: Vec<Event> = Vec::new();
    let mut positions: HashMap<String, Position> = HashMap::new();
    let mut pending = false;
    let mut lost: u64 = 0;
    loop {
        let job = if pending {
            rx.recv_timeout(Duration::from_secs(1))
        } else {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        let last = match job {
            Ok(job) => {
                take(
                    job,
                    &mut history,
                    &mut unwritten,
                    &mut positions,
                    &mut pending,
                );
                // Everything else queued meanwhile goes in the same transaction.
                while let Ok(job) = rx.try_recv() {
                    take(
                        job,
                        &mut history,
                        &mut unwritten,
                        &mut positions,
                        &mut pending,
                    );
                }
                false
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        if pending {
            let saved: Vec<(String, Position)> =
                positions.iter().map(|(k, p)| (k.clone(), *p)).collect();
            match history.record_with_positions(&unwritten, &saved) {
                Ok(()) => {
                    unwritten.clear();
                    pending = false;
                    if shared.health().is_err() {
                        say("history written again");
                    }
                    shared.set_db_problem(None);
                }
                Err(e) => {
                    let problem = e.to_string();
                    if shared.health().is_ok() {
                        say(&format!("{problem}; keeping the changes to retry"));
                    }
                    shared.set_db_problem(Some(problem));
                    if unwritten.len() > MAX_UNWRITTEN {
                        let excess = unwritten.len() - MAX_UNWRITTEN;
                        unwritten.drain(..excess);
                        lost += excess as u64;
                        say(&format!(
                            "{excess} change(s) dropped, {lost} in all: the history was not writable \
                             for longer than {MAX_UNWRITTEN} changes"
                        ));
                    }
                }
            }
        }
        if last {
            return unwritten.len();
        }
    }
}

fn take(
    job: Job,
    history: &mut History,
    unwritten: &mut Vec<Event>,
    positions: &mut HashMap<String, Position>,
    pending: &mut bool,
) {
    match job {
        Job::Write(events, saved) => {
            *pending |= !events.is_empty() || !saved.is_empty();
            unwritten.extend(events);
            positions.extend(saved);
        }
        Job::Prune(before_ms) => match history.prune(before_ms) {
            Ok(0) => {}
            Ok(n) => say(&format!("pruned {n} event(s) older than the retention")),
            Err(e) => say(&e.to_string()),
        },
    }
}
