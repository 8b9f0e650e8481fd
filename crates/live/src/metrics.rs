//! `/metrics`: the live state in the OpenMetrics text format, which
//! Prometheus scrapes (prometheus-client encodes it).
//!
//! The metric names are a public contract (see docs/watch.md). Label
//! values come from the network (host and tunnel names, peer addresses):
//! prometheus-client 0.23 writes them as given, so each is escaped here
//! first: control characters as the text report shows them, then `\`, `"`
//! and line feeds as the exposition format requires.

use std::fmt;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::state::{Live, TunnelState};

/// The content type of [`metrics`]' text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TunnelEnds {
    host: String,
    tunnel: String,
    local: String,
    remote: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TunnelLabels {
    host: String,
    tunnel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FindingLabels {
    host: String,
    tunnel: String,
    id: String,
    severity: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

/// A label value as the exposition format needs it.
pub fn label(value: &str) -> String {
    let shown = ipsec_doctor_render::escape(value);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The metrics of `live`, with the syslog listeners' drops by reason.
pub fn metrics(live: &Live, dropped: &[(&str, u64)]) -> Result<String, fmt::Error> {
    let mut registry = Registry::default();
    let up = Family::<TunnelEnds, Gauge>::default();
    let flapping = Family::<TunnelLabels, Gauge>::default();
    let changes = Family::<TunnelLabels, Counter>::default();
    let last_up = Family::<TunnelLabels, Gauge>::default();
    let active = Family::<FindingLabels, Gauge>::default();
    let raised = Family::<FindingLabels, Counter>::default();
    let lines = Family::<SourceLabels, Counter>::default();
    let unrecognised = Family::<SourceLabels, Counter>::default();
    let drops = Family::<ReasonLabels, Counter>::default();
    let hosts = Gauge::<i64>::default();
    let evicted = Counter::<u64>::default();
    registry.register(
        "ipsec_doctor_tunnel_up",
        "1 while the tunnel's last negotiation established it",
        up.clone(),
    );
    registry.register(
        "ipsec_doctor_tunnel_flapping",
        "1 while the tunnel flaps (Nagios percent state change, 21 outcomes, 20%/5%)",
        flapping.clone(),
    );
    registry.register(
        "ipsec_doctor_tunnel_state_changes",
        "Changes of the tunnel's state since watch started",
        changes.clone(),
    );
    registry.register(
        "ipsec_doctor_tunnel_last_established_timestamp_seconds",
        "When watch last saw the tunnel establish (unix time)",
        last_up.clone(),
    );
    registry.register(
        "ipsec_doctor_finding_active",
        "1 while the finding stands",
        active.clone(),
    );
    registry.register(
        "ipsec_doctor_findings",
        "Times the finding was raised since watch started",
        raised.clone(),
    );
    registry.register("ipsec_doctor_lines", "Lines read, by source", lines.clone());
    registry.register(
        "ipsec_doctor_lines_unrecognised",
        "Lines read with no IKE daemon message (charon, pluto, racoon), by source",
        unrecognised.clone(),
    );
    registry.register(
        "ipsec_doctor_syslog_dropped",
        "Syslog messages lost or cut, by reason",
        drops.clone(),
    );
    registry.register(
        "ipsec_doctor_hosts",
        "Hosts kept in the state",
        hosts.clone(),
    );
    registry.register(
        "ipsec_doctor_hosts_evicted",
        "Hosts forgotten, the least recently logging first, to keep the state bounded",
        evicted.clone(),
    );
    hosts.set(i64::try_from(live.hosts()).unwrap_or(i64::MAX));
    evicted.inc_by(live.evicted_hosts());
    for t in live.tunnels() {
        let (local, remote) = t.addresses();
        let ends = TunnelEnds {
            host: label(&t.host),
            tunnel: label(&t.tunnel),
            local: label(local.unwrap_or("")),
            remote: label(remote.unwrap_or("")),
        };
        up.get_or_create(&ends)
            .set(i64::from(t.state == TunnelState::Up));
        let labels = TunnelLabels {
            host: ends.host,
            tunnel: ends.tunnel,
        };
        flapping
            .get_or_create(&labels)
            .set(i64::from(t.state == TunnelState::Flapping));
        changes.get_or_create(&labels).inc_by(t.state_changes);
        if let Some(ms) = t.last_established_ms {
            last_up.get_or_create(&labels).set(ms / 1000);
        }
    }
    for ((host, tunnel, id), a) in live.active() {
        active
            .get_or_create(&FindingLabels {
                host: label(host),
                tunnel: label(tunnel.as_deref().unwrap_or("")),
                id: (*id).to_owned(),
                severity: a.finding.severity.to_string(),
            })
            .set(1);
    }
    for ((host, tunnel, id, severity), n) in live.raised_totals() {
        raised
            .get_or_create(&FindingLabels {
                host: label(host),
                tunnel: label(tunnel.as_deref().unwrap_or("")),
                id: (*id).to_owned(),
                severity: severity.to_string(),
            })
            .inc_by(n);
    }
    for (source, counts) in live.sources() {
        let labels = SourceLabels {
            source: label(source),
        };
        lines.get_or_create(&labels).inc_by(counts.lines);
        unrecognised
            .get_or_create(&labels)
            .inc_by(counts.unrecognised);
    }
    for (reason, n) in dropped {
        drops
            .get_or_create(&ReasonLabels {
                reason: label(reason),
            })
            .inc_by(*n);
    }
    let mut out = String::new();
    encode(&mut out, &registry)?;
    Ok(out)
}
