//! The live state of `ipsec-doctor watch`, with no I/O: lines in (from any
//! source: followed files, syslog listeners, standard input, all through
//! one [`Live::push`]), the tunnels' state and the changes out
//! ([`Live::update`]: states, findings raised and resolved), and the views
//! the HTTP side serves: Prometheus metrics ([`metrics()`]), the JSON API
//! ([`api`]) and the status page ([`page()`]).
//!
//! It diagnoses with the same engine as `diagnose`: what it shows of a set
//! of lines is `diagnose`'s report of them, read as they come. Sockets,
//! files, the database and the clock are the caller's (the `watch`
//! command), so every behaviour here is tested by pushing lines at chosen
//! times.

#![forbid(unsafe_code)]

pub mod api;
mod metrics;
mod page;
mod state;
mod time;

pub use metrics::{label as metric_label, metrics, CONTENT_TYPE as METRICS_CONTENT_TYPE};
pub use page::{page, CSP, REFRESH_SECONDS};
pub use state::{
    host_of, ActiveFinding, Change, ChangeKind, ConfiguredConn, Diagnosed, FindingKey, Live,
    LiveConfig, PendingUpdate, SourceCounts, TunnelLive, TunnelState, MAX_HOSTS,
    UNDECIDED_AFTER_MS,
};
pub use time::rfc3339;
