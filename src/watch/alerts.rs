//! `--alertmanager URL`: each finding raised becomes an alert, pushed to
//! Alertmanager's API v2 (`POST URL/api/v2/alerts`), re-sent while it stands
//! and sent with its end once resolved.
//!
//! Labels: `alertname="IPsecTunnelFinding"`, `host`, `tunnel`, `finding`
//! (the id), `severity`; annotations `summary` and `fix`. Alertmanager
//! forgets an alert whose `endsAt` has passed, so a standing one is re-sent
//! every [`RESEND`] with an `endsAt` four re-sends ahead (as Prometheus
//! does): if watch stops, its alerts end by themselves.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use ipsec_doctor_live::{rfc3339, Change, ChangeKind, FindingKey};
use ipsec_doctor_render::escape;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::say;

/// How often standing alerts are sent again.
pub const RESEND: Duration = Duration::from_secs(60);

/// The alerts that stand, and where they go.
pub struct Alerts {
    standing: BTreeMap<FindingKey, Value>,
    tx: mpsc::Sender<Vec<Value>>,
    sender: tokio::task::JoinHandle<()>,
}

impl Alerts {
    /// Starts the sender for `urls` (each `http://HOST:PORT[/PATH]`).
    pub fn start(urls: Vec<String>) -> anyhow::Result<Alerts> {
        let mut endpoints = Vec::new();
        for url in &urls {
            let base = url.trim_end_matches('/');
            let uri: axum::http::Uri = format!("{base}/api/v2/alerts")
                .parse()
                .map_err(|e| anyhow::anyhow!("--alertmanager {}: {e}", escape(url)))?;
            if uri.scheme_str() != Some("http") {
                anyhow::bail!(
                    "--alertmanager {}: only http:// is supported yet",
                    escape(url)
                );
            }
            endpoints.push(uri);
        }
        let (tx, mut rx) = mpsc::channel::<Vec<Value>>(64);
        let sender = tokio::spawn(async move {
            let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
            let mut failing = vec![false; endpoints.len()];
            while let Some(alerts) = rx.recv().await {
                let body = Bytes::from(Value::Array(alerts).to_string());
                for (uri, failing) in endpoints.iter().zip(failing.iter_mut()) {
                    let request = axum::http::Request::post(uri.clone())
                        .header(axum::http::header::CONTENT_TYPE, "application/json")
                        .body(Full::new(body.clone()));
                    let outcome = match request {
                        Ok(request) => {
                            match tokio::time::timeout(
                                Duration::from_secs(10),
                                client.request(request),
                            )
                            .await
                            {
                                Ok(Ok(response)) if response.status().is_success() => Ok(()),
                                Ok(Ok(response)) => Err(format!("answered {}", response.status())),
                                Ok(Err(e)) => Err(e.to_string()),
                                Err(_) => Err("no answer within 10 s".to_owned()),
                            }
                        }
                        Err(e) => Err(e.to_string()),
                    };
                    match outcome {
                        Ok(()) if *failing => {
                            *failing = false;
                            say(&format!("alerts reach {uri} again"));
                        }
                        Ok(()) => {}
                        Err(e) if !*failing => {
                            *failing = true;
                            say(&format!("alerts cannot be sent to {uri}: {e}"));
                        }
                        Err(_) => {}
                    }
                }
            }
        });
        Ok(Alerts {
            standing: BTreeMap::new(),
            tx,
            sender,
        })
    }

    /// Takes in the findings that stood when an earlier run stopped (the
    /// history restored them), to be re-sent and resolved as any other.
    pub fn seed(&mut self, live: &ipsec_doctor_live::Live) {
        for (key, active) in live.active() {
            let alert = alert_of(&key.0, key.1.as_deref(), active.since_ms, &active.finding);
            self.standing.insert(key.clone(), alert);
        }
    }

    /// Sends what the changes raise and resolve.
    pub fn changes(&mut self, changes: &[Change], now_ms: i64) {
        let mut out = Vec::new();
        for c in changes {
            match &c.kind {
                ChangeKind::Raised(f) => {
                    let key = (c.host.clone(), c.tunnel.clone(), f.id);
                    let alert = alert_of(&c.host, c.tunnel.as_deref(), c.at_ms, f);
                    out.push(ends_at(alert.clone(), now_ms + ahead_ms()));
                    self.standing.insert(key, alert);
                }
                ChangeKind::Resolved { rule } => {
                    let key = (c.host.clone(), c.tunnel.clone(), rule.id);
                    if let Some(alert) = self.standing.remove(&key) {
                        out.push(ends_at(alert, now_ms));
                    }
                }
                ChangeKind::State { .. } => {}
            }
        }
        self.send(out);
    }

    /// Sends every standing alert again, so that it does not end.
    pub fn resend(&mut self, now_ms: i64) {
        let out = self
            .standing
            .values()
            .map(|a| ends_at(a.clone(), now_ms + ahead_ms()))
            .collect();
        self.send(out);
    }

    /// Sends what is queued (the last raises and resolutions) before watch
    /// stops, waiting 10 s at most.
    pub async fn finish(self) {
        drop(self.tx);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.sender).await;
    }

    fn send(&self, alerts: Vec<Value>) {
        if alerts.is_empty() {
            return;
        }
        // A sender that cannot keep up loses a batch, said once by the next.
        if self.tx.try_send(alerts).is_err() {
            say("alerts: the sender is behind; a batch was dropped");
        }
    }
}

/// The alert of a finding raised on `host` (and `tunnel`) at `at_ms`.
fn alert_of(
    host: &str,
    tunnel: Option<&str>,
    at_ms: i64,
    f: &ipsec_doctor_findings::Finding,
) -> Value {
    let fix: Vec<String> = f.fix.iter().map(|s| escape(s).into_owned()).collect();
    json!({
        "labels": {
            "alertname": "IPsecTunnelFinding",
            "host": escape(host),
            "tunnel": escape(tunnel.unwrap_or("")),
            "finding": f.id,
            "severity": f.severity.to_string(),
        },
        "annotations": {
            "summary": escape(&f.summary),
            "fix": fix.join("\n"),
        },
        "startsAt": rfc3339(at_ms),
    })
}

fn ahead_ms() -> i64 {
    i64::try_from(RESEND.as_millis() * 4).unwrap_or(i64::MAX)
}

fn ends_at(mut alert: Value, ms: i64) -> Value {
    alert["endsAt"] = json!(rfc3339(ms));
    alert
}
