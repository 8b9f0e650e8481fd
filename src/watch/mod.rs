//! `ipsec-doctor watch`: sources (crates/sources) feed one live state
//! (crates/live); every quarter second the state is updated, its changes
//! are written to the history (crates/history) with the followed files'
//! positions in the same transaction, and told on stderr; the HTTP side
//! reads the same state.

mod alerts;
mod http;
mod store;
mod writer;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use ipsec_doctor_history::{parse_duration, History, Position};
use ipsec_doctor_live::{Change, ChangeKind, Live, LiveConfig};
use ipsec_doctor_render::escape;
use ipsec_doctor_sources::{
    vici, FilePosition, FollowOptions, Listen, Received, Stats, SyslogOptions,
};
use tokio::sync::mpsc;

/// What `watch` was asked to do.
#[derive(Debug)]
pub struct WatchArgs {
    pub follow: Vec<PathBuf>,
    pub syslog: Vec<String>,
    pub stdin: bool,
    pub http: SocketAddr,
    pub db: PathBuf,
    pub retain: String,
    pub max_hosts: usize,
    pub alertmanager: Vec<String>,
    pub http_token_file: Option<PathBuf>,
    pub vici: Vec<String>,
    pub vici_host: Vec<String>,
    pub vici_poll: Duration,
    /// The certificate and key of tls:// listeners.
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// Lines taken from the channel per lock of the live state.
const BATCH: usize = 4096;
/// How often the state is updated when something changed.
const TICK: Duration = Duration::from_millis(250);

/// The state the HTTP side and the main loop share.
pub struct Shared {
    live: Mutex<Live>,
    stats: Arc<Stats>,
    /// Why the history cannot be written, while it cannot.
    db_problem: Mutex<Option<String>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Live> {
        // A panic elsewhere while holding the lock leaves a state that is
        // still whole (every update replaces it): keep serving it.
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_live<T>(&self, f: impl FnOnce(&Live) -> T) -> T {
        f(&self.lock())
    }

    fn health(&self) -> Result<(), String> {
        match &*self.db_problem.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(problem) => Err(format!("history not written: {problem}")),
            None => Ok(()),
        }
    }

    fn set_db_problem(&self, problem: Option<String>) {
        *self.db_problem.lock().unwrap_or_else(|p| p.into_inner()) = problem;
    }
}

/// This machine's host name, as syslog would name it.
fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs `watch` until SIGINT or SIGTERM.
pub fn run(args: WatchArgs) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(serve(args))
}

fn say(text: &str) {
    eprintln!("ipsec-doctor watch: {}", escape(text));
}

async fn serve(args: WatchArgs) -> anyhow::Result<u8> {
    let retain = parse_duration(&args.retain).map_err(|e| anyhow::anyhow!("--retain: {e}"))?;
    let token = match &args.http_token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--http-token-file {}", path.display()))?;
            let token = text.trim().to_owned();
            if token.is_empty() {
                anyhow::bail!("--http-token-file {}: the file is empty", path.display());
            }
            Some(token)
        }
        None => None,
    };

    let history = History::open(&args.db)?;
    let saved: HashMap<String, Position> = history.positions()?.into_iter().collect();
    let mut live = Live::new(LiveConfig {
        max_hosts: args.max_hosts,
        ..LiveConfig::default()
    });
    let (tunnels, findings) = store::restore(
        &mut live,
        &history.latest_states()?,
        &history.active_findings()?,
    );
    if tunnels + findings > 0 {
        say(&format!(
            "restored {tunnels} tunnel(s) and {findings} standing finding(s) from {}",
            args.db.display()
        ));
    }
    let mut alerts = if args.alertmanager.is_empty() {
        None
    } else {
        let mut alerts = alerts::Alerts::start(args.alertmanager.clone())?;
        alerts.seed(&live);
        Some(alerts)
    };
    let mut last_resend = Instant::now();
    let stats = Stats::new();
    let shared = Arc::new(Shared {
        live: Mutex::new(live),
        stats: stats.clone(),
        db_problem: Mutex::new(None),
    });
    let (tx, mut rx) = mpsc::channel::<Received>(65_536);

    let tls = match &args.tls {
        Some((cert, key)) => Some(ipsec_doctor_sources::tls_config(cert, key)?),
        None => None,
    };
    for text in &args.syslog {
        let listen: Listen = text
            .parse()
            .map_err(|e| anyhow::anyhow!("--syslog {}: {e}", escape(text)))?;
        if matches!(listen, Listen::Tls(_)) && tls.is_none() {
            anyhow::bail!("--syslog {}: needs --tls-cert and --tls-key", escape(text));
        }
        let options = SyslogOptions {
            tls: tls.clone(),
            ..SyslogOptions::default()
        };
        let (bound, serving) =
            ipsec_doctor_sources::syslog(listen, options, tx.clone(), stats.clone())
                .await
                .with_context(|| format!("--syslog {}: cannot listen", escape(text)))?;
        say(&format!("syslog on {text} (bound {bound})"));
        tokio::spawn(serving);
    }
    for path in &args.follow {
        // The same file by any spelling is the same position.
        let path = &std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        let key = path.to_string_lossy().into_owned();
        let start = saved.get(&key).map(|p| FilePosition {
            dev: p.dev,
            ino: p.ino,
            offset: p.offset,
        });
        if start.is_some() {
            say(&format!("{key}: resuming where the last run stopped"));
        }
        let options = FollowOptions {
            start,
            ..FollowOptions::default()
        };
        let (tx, stats, path) = (tx.clone(), stats.clone(), path.clone());
        tokio::spawn(async move {
            if let Err(e) = ipsec_doctor_sources::follow(path.clone(), options, tx, stats).await {
                say(&format!("{}: {e}", path.display()));
            }
        });
    }
    let (vici_tx, mut vici_rx) = mpsc::channel::<(String, vici::Event)>(64);
    for (i, text) in args.vici.iter().enumerate() {
        let endpoint: vici::Endpoint = text
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--vici {}", escape(&e)))?;
        let host = match (args.vici_host.get(i), &endpoint) {
            (Some(name), _) => name.clone(),
            (None, vici::Endpoint::Tcp(addr)) => addr
                .rsplit_once(':')
                .map_or(addr.as_str(), |(h, _)| h)
                .trim_matches(['[', ']'])
                .to_owned(),
            (None, vici::Endpoint::Unix(_)) => this_host(),
        };
        say(&format!(
            "vici {endpoint}: its lines and tunnels are host {host}"
        ));
        let options = vici::ViciOptions {
            host,
            poll: args.vici_poll,
        };
        let (events_tx, mut events_rx) = mpsc::channel(16);
        let label = endpoint.to_string();
        let forward = vici_tx.clone();
        tokio::spawn(async move {
            while let Some(event) = events_rx.recv().await {
                if forward.send((label.clone(), event)).await.is_err() {
                    break;
                }
            }
        });
        tokio::spawn(vici::vici(
            endpoint,
            options,
            tx.clone(),
            events_tx,
            stats.clone(),
        ));
    }
    drop(vici_tx);
    let mut vici_connected: HashMap<String, bool> = HashMap::new();
    if args.stdin {
        let (tx, stats) = (tx.clone(), stats.clone());
        tokio::spawn(async move {
            if let Err(e) = ipsec_doctor_sources::stdin(tx, stats).await {
                say(&format!("standard input: {e}"));
            }
        });
    }
    drop(tx);

    let listener = tokio::net::TcpListener::bind(args.http)
        .await
        .with_context(|| format!("--http {}: cannot listen", args.http))?;
    let bound = listener.local_addr()?;
    say(&format!(
        "status page on http://{bound}/ (metrics: /metrics)"
    ));
    let app = http::router(shared.clone(), token);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            say(&format!("HTTP server stopped: {e}"));
        }
    });

    let mut positions: HashMap<String, FilePosition> = HashMap::new();
    let writer = writer::Writer::start(history, shared.clone());
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_prune: i64 = 0;
    let mut inputs_open = true;
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let mut batch: Vec<Received> = Vec::with_capacity(BATCH);
    // One update at a time, diagnosed off the ingest path; the next one
    // starts no sooner than the last one took, so that updating takes at
    // most half of a core however many hosts there are.
    let mut in_flight: Option<InFlight> = None;
    let mut next_update = Instant::now();
    loop {
        tokio::select! {
            received = rx.recv_many(&mut batch, BATCH), if inputs_open => {
                if received == 0 {
                    inputs_open = false;
                    say("every input has ended; still serving until stopped");
                    continue;
                }
                let now = now_ms();
                let mut live = shared.lock();
                for r in batch.drain(..) {
                    live.push(&r.source, &r.line, now);
                    if let Some(p) = r.position {
                        positions.insert(r.source.to_string(), p);
                    }
                }
            }
            _ = ticker.tick() => {
                let now = now_ms();
                if in_flight.is_none() && Instant::now() >= next_update {
                    // The copy is taken under the lock: its time counts too.
                    let started = Instant::now();
                    let pending = {
                        let mut live = shared.lock();
                        live.needs_update(now).then(|| live.start_update())
                    };
                    if let Some(pending) = pending {
                        in_flight = Some(InFlight {
                            task: tokio::task::spawn_blocking(move || pending.diagnose()),
                            started,
                            positions: positions.clone(),
                        });
                    }
                }
                if let Some(alerts) = alerts.as_mut() {
                    if last_resend.elapsed() >= alerts::RESEND {
                        last_resend = Instant::now();
                        alerts.resend(now);
                    }
                }
                if now - last_prune > 3_600_000 {
                    last_prune = now;
                    let keep = i64::try_from(retain.as_millis()).unwrap_or(i64::MAX);
                    writer.prune(now.saturating_sub(keep));
                }
            }
            diagnosed = async { (&mut in_flight.as_mut().expect("guarded").task).await }, if in_flight.is_some() => {
                let Some(done) = in_flight.take() else { continue };
                next_update = Instant::now() + done.started.elapsed();
                match diagnosed {
                    Ok(diagnosed) => {
                        let now = now_ms();
                        let changes = shared.lock().apply(diagnosed, now);
                        tell(&changes);
                        if let Some(alerts) = alerts.as_mut() {
                            alerts.changes(&changes, now);
                        }
                        writer.write(changes.iter().map(store::event).collect(), &done.positions);
                    }
                    Err(e) => {
                        say(&format!("an update failed: {e}"));
                        shared.lock().mark_dirty();
                    }
                }
            }
            Some((endpoint, event)) = vici_rx.recv() => match event {
                vici::Event::Connected(daemon) => {
                    vici_connected.insert(endpoint.clone(), true);
                    say(&format!("vici {endpoint}: connected to {daemon}"));
                }
                vici::Event::Disconnected(why) => {
                    // Once per outage, not at every retry.
                    if vici_connected.insert(endpoint.clone(), false) != Some(false) {
                        say(&format!("vici {endpoint}: {why}; reconnecting"));
                    }
                }
                vici::Event::View(view) => {
                    let conns = view
                        .conns
                        .into_iter()
                        .map(|c| ipsec_doctor_live::ConfiguredConn {
                            name: c.name,
                            local: c.local_addrs.join(","),
                            remote: c.remote_addrs.join(","),
                        })
                        .collect();
                    let up = view
                        .sas
                        .into_iter()
                        .filter(|sa| sa.state == "ESTABLISHED" && sa.children_installed > 0)
                        .map(|sa| sa.name)
                        .collect();
                    shared.lock().configured(&view.host, conns, up);
                }
            },
            _ = &mut shutdown => break,
        }
    }
    // What was read before the signal is judged and kept.
    let mut last = Vec::new();
    if let Some(done) = in_flight.take() {
        if let Ok(diagnosed) = done.task.await {
            last = shared.lock().apply(diagnosed, now_ms());
        }
    }
    let now = now_ms();
    last.extend(shared.lock().update(now));
    tell(&last);
    if let Some(alerts) = alerts.as_mut() {
        alerts.changes(&last, now);
    }
    writer.write(last.iter().map(store::event).collect(), &positions);
    if let Some(alerts) = alerts {
        alerts.finish().await;
    }
    let unwritten = tokio::task::spawn_blocking(move || writer.finish())
        .await
        .unwrap_or(writer::MAX_UNWRITTEN);
    if unwritten > 0 {
        say(&format!(
            "{unwritten} change(s) could not be written to {}",
            args.db.display()
        ));
        return Ok(2);
    }
    say("stopped");
    Ok(0)
}

/// An update being diagnosed, with the followed files' positions it covers.
struct InFlight {
    task: tokio::task::JoinHandle<ipsec_doctor_live::Diagnosed>,
    started: Instant,
    positions: HashMap<String, FilePosition>,
}

/// Tells each change on stderr, one line each.
fn tell(changes: &[Change]) {
    for c in changes {
        let place = match &c.tunnel {
            Some(t) => format!("{} {t}", c.host),
            None => c.host.clone(),
        };
        match &c.kind {
            ChangeKind::State { from, to } => {
                say(&format!("{place}: {} -> {}", from.as_str(), to.as_str()));
            }
            ChangeKind::Raised(f) => {
                say(&format!(
                    "{place}: raised {} ({}): {}",
                    f.id, f.severity, f.summary
                ));
            }
            ChangeKind::Resolved { rule } => say(&format!("{place}: resolved {}", rule.id)),
        }
    }
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
