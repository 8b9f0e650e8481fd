//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Tells why an IPsec VPN tunnel does not work and what to change.
#[derive(Debug, Parser)]
#[command(name = "ipsec-doctor", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose IPsec logs (strongSwan charon, Libreswan/Openswan pluto,
    /// racoon, in any wrapper; files, directories, .gz, or - for standard
    /// input).
    ///
    /// Exit status: 0 read and no failure, 1 problems (an error finding, or a
    /// negotiation whose outcome or cause is not in the log), 2 usage or input error
    /// (the readable inputs are still diagnosed), 3 no IPsec negotiation
    /// could be read at all (stderr says why).
    Diagnose {
        /// Log files or directories (read recursively); - reads standard input.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<String>,
        #[command(flatten)]
        output: Output,
        /// Threads to diagnose with: hosts are spread over them (default: all
        /// cores; 1 reads and diagnoses on one thread).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: Option<u16>,
    },
    /// Predict the outcome of a tunnel from both ends' configurations
    /// (pfSense/OPNsense config.xml, swanctl.conf, ipsec.conf, in any mix),
    /// with the same findings and exit status as diagnose.
    Compare {
        /// This end's configuration.
        left: String,
        /// The other end's configuration.
        right: String,
        /// The tunnel of LEFT to compare (name, description or ikeid); by
        /// default tunnels are paired by mirrored addresses and subnets.
        #[arg(long, value_name = "NAME")]
        left_tunnel: Option<String>,
        /// The tunnel of RIGHT to compare.
        #[arg(long, value_name = "NAME")]
        right_tunnel: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Check one box's configuration for faults the logs cannot show
    /// (overlapping networks, outbound NAT, VIPs, accelerators, MSS clamping,
    /// weak algorithms).
    Check {
        /// The configuration (config.xml, swanctl.conf or ipsec.conf).
        config: String,
        #[command(flatten)]
        output: Output,
    },
    /// Watch IPsec logs live: followed files, syslog over UDP, TCP or TLS,
    /// standard input, strongSwan's VICI socket. Serves each tunnel's state, the findings that stand,
    /// Prometheus metrics and a status page over HTTP, and keeps every
    /// change in a history (SQLite). Runs until SIGINT or SIGTERM.
    ///
    /// Exit status: 0 stopped by a signal, 2 usage error, an address that
    /// cannot be bound, or a history that cannot be opened or written.
    Watch(Box<WatchCli>),
    /// Print the history `watch` kept: each tunnel's state changes and the
    /// findings raised and resolved, with their evidence, oldest first.
    History {
        /// The history database `watch --db` wrote.
        #[arg(long, value_name = "PATH", default_value = "ipsec-doctor.db")]
        db: std::path::PathBuf,
        /// Only this host.
        #[arg(long, value_name = "HOST")]
        host: Option<String>,
        /// Only this tunnel.
        #[arg(long, value_name = "TUNNEL")]
        tunnel: Option<String>,
        /// Only events since: a duration back from now (2h, 30m, 7d) or a
        /// date or time (2026-12-01, 2026-12-01T10:00:00Z).
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the documentation of a finding id or a guide (by id or keyword).
    Explain {
        /// A finding id (e.g. psk-mismatch) or a guide topic (e.g. mss).
        topic: String,
    },
    /// List every finding id and guide.
    Catalog {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// How a report is written (diagnose, compare, check).
#[derive(Debug, Clone, Args)]
pub struct Output {
    /// Output format: text for the terminal, json for scripts, markdown for a
    /// forum post, issue or ticket, html for one self-contained page.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Colour: auto uses colour on a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Text: every finding in full, healthy tunnels' included (by default a
    /// healthy tunnel is one line; compare always shows its prediction in
    /// full).
    #[arg(long, short, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Text: only what fails, and the summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Replace addresses, identities, host and tunnel names with
    /// placeholders (the same value, the same placeholder) and never show a
    /// secret: for sharing the report.
    #[arg(long)]
    pub redact: bool,
}

/// The formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For people, on a terminal.
    Text,
    /// For scripts: {"findings": [...], "tunnels": [...]}.
    Json,
    /// For a forum post, a GitHub issue or a ticket.
    Markdown,
    /// One self-contained HTML page (no external assets).
    Html,
}

/// The formats of the catalogue and the history.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For scripts (JSON).
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The options of `watch` (boxed in [`Command`]: they are many).
#[derive(Debug, Args)]
pub struct WatchCli {
    /// Files to follow like `tail -F` (rotation by rename and by
    /// truncation); - reads standard input. A file's position is kept in
    /// the history: a restart resumes there.
    #[arg(value_name = "PATH")]
    pub inputs: Vec<String>,
    /// A file to follow (as a PATH argument).
    #[arg(long, value_name = "PATH")]
    pub follow: Vec<String>,
    /// Receive syslog: udp://ADDR:PORT, tcp://ADDR:PORT or tls://ADDR:PORT
    /// (RFC 3164 or 5424; TCP and TLS framed by octet counting or
    /// newlines, per connection; TLS needs --tls-cert and --tls-key).
    #[arg(long, value_name = "URL")]
    pub syslog: Vec<String>,
    /// The certificate chain (PEM) of the tls:// syslog listeners.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The private key (PEM: PKCS #8, PKCS #1 or SEC1) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Follow strongSwan's VICI socket: unix:///run/charon.vici or
    /// tcp://HOST:PORT. charon's log events (levels 0 and 1) are read as
    /// its lines, and its loaded connections and SAs are listed every
    /// --vici-poll seconds, so a configured tunnel that is down is in the
    /// state.
    #[arg(long, value_name = "URL")]
    pub vici: Vec<String>,
    /// The host name of each --vici, in the same order (default: this
    /// machine's name for a Unix socket, HOST for tcp://HOST:PORT).
    #[arg(long, value_name = "NAME")]
    pub vici_host: Vec<String>,
    /// How often charon's connections and SAs are listed over VICI, in
    /// seconds (and a second after an SA goes up or down).
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub vici_poll: u64,
    /// Where the status page, /metrics, /api/tunnels, /api/findings and
    /// /healthz are served.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9470")]
    pub http: std::net::SocketAddr,
    /// A file holding a token: the HTTP side then answers only requests
    /// with `Authorization: Bearer TOKEN` (except /healthz).
    #[arg(long, value_name = "FILE")]
    pub http_token_file: Option<std::path::PathBuf>,
    /// The history database (SQLite, created if missing).
    #[arg(long, value_name = "PATH", default_value = "ipsec-doctor.db")]
    pub db: std::path::PathBuf,
    /// How long the history keeps events (e.g. 90d, 12h; what still
    /// stands is kept).
    #[arg(long, value_name = "DURATION", default_value = "90d")]
    pub retain: String,
    /// Push each finding raised as an alert to this Alertmanager
    /// (http://HOST:PORT, API v2), re-sent while it stands, ended when
    /// resolved.
    #[arg(long, value_name = "URL")]
    pub alertmanager: Vec<String>,
    /// Hosts kept at most (about 12 KB each): past it, those that logged
    /// least recently are forgotten and counted
    /// (ipsec_doctor_hosts_evicted_total).
    #[arg(long, value_name = "N", default_value_t = ipsec_doctor_live::MAX_HOSTS as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_hosts: u64,
}
