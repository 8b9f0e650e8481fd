//! Rendering a report of many hosts as text and as JSON, at 1 000 and
//! 30 000 tunnels, so that a step that is quadratic in findings or tunnels
//! (the text report once looked each finding's tunnel up by a scan) shows
//! up as a number: the time per tunnel must stay the same.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ipsec_doctor_findings::{
    rules, Detection, Evidence, Finding, Report, TunnelStatus, TunnelSummary,
};
use ipsec_doctor_render::Detail;

/// One host per tunnel, each with one finding on it, as a central syslog of
/// many firewalls gives.
fn report(tunnels: usize) -> Report {
    let origin: Arc<str> = Arc::from("central.log");
    let mut report = Report::default();
    for i in 0..tunnels {
        let host = format!("fw-{i}");
        let (local, remote) = (
            format!("10.{}.{}.1", i >> 8, i & 255),
            "192.0.2.1".to_owned(),
        );
        let line = Evidence {
            path: origin.clone(),
            line: i as u64 + 1,
            text: format!("Nov 27 10:00:00 {host} charon: 09[IKE] IKE_SA gw[1] established between {local}[l]...{remote}[r]"),
        };
        let rule = if i % 10 == 0 {
            rules::PSK_MISMATCH
        } else {
            rules::TUNNEL_ESTABLISHED
        };
        report.findings.push(Finding::new(
            rule,
            Some(host.clone()),
            Some("gw".to_owned()),
            origin.clone(),
            Detection::new(format!("The tunnel to {remote}."), vec![line]),
        ));
        report.tunnels.push(TunnelSummary {
            host: Some(host),
            tunnel: Some("gw".to_owned()),
            local: Some(local),
            remote: Some(remote),
            ike_version: Some("ikev2"),
            status: if i % 10 == 0 {
                TunnelStatus::Down
            } else {
                TunnelStatus::Up
            },
            negotiations: 1,
            established: u64::from(i % 10 != 0),
            failed: u64::from(i % 10 == 0),
            negotiated: Vec::new(),
            timeline: Vec::new(),
            findings: vec![rule],
            origin: origin.clone(),
            ike_lifetime: None,
        });
    }
    report
}

fn rendering(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    for tunnels in [1_000, 30_000] {
        let report = report(tunnels);
        group.throughput(Throughput::Elements(tunnels as u64));
        group.bench_function(format!("text/{tunnels}"), |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(tunnels * 1024);
                ipsec_doctor_render::text(&report, Detail::Normal, &mut out).expect("rendered");
                out
            });
        });
        group.bench_function(format!("json/{tunnels}"), |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(tunnels * 1024);
                ipsec_doctor_render::json(&report, &mut out).expect("rendered");
                out
            });
        });
        type Render = fn(&Report, &mut dyn std::io::Write) -> std::io::Result<()>;
        let forms: [(&str, Render); 2] = [
            ("markdown", ipsec_doctor_render::markdown),
            ("html", ipsec_doctor_render::html),
        ];
        for (name, render) in forms {
            group.bench_function(format!("{name}/{tunnels}"), |b| {
                b.iter(|| {
                    let mut out = Vec::with_capacity(tunnels * 1024);
                    render(&report, &mut out).expect("rendered");
                    out
                });
            });
        }
        group.bench_function(format!("redact/{tunnels}"), |b| {
            b.iter(|| ipsec_doctor_render::redact(&report));
        });
    }
    group.finish();
}

criterion_group!(benches, rendering);
criterion_main!(benches);
