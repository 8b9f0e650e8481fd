//! The end-of-input passes (judging what is still open, pairing both ends,
//! correlation across hosts, the report) at 1 000 and 30 000 hosts, so that
//! a step that is quadratic in hosts or tunnels shows up as a number: the
//! time per host must stay the same from the small input to the large one.
//!
//! The input: the shortest lab scenarios, each pair of ends copied with its
//! own host names and addresses, as a central syslog holds them.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ipsec_doctor_findings::Diagnoser;
use ipsec_doctor_testkit::{lab_dir, render, scenarios, LogFormat};

/// The lab's addresses, longest first, and the last octet each copy keeps.
const ADDRESSES: [(&str, u8); 6] = [
    ("203.0.113.245", 6),
    ("198.51.100.50", 5),
    ("192.0.2.90", 1),
    ("192.0.2.74", 2),
    ("192.0.2.75", 3),
    ("192.0.2.10", 4),
];

fn central_syslog(hosts: usize) -> Vec<String> {
    let mut all = scenarios(&lab_dir());
    all.sort_by_key(|s| s.left.len() + s.right.len());
    all.truncate(20);
    let mut lines = Vec::new();
    for copy in 0..hosts / 2 {
        let s = &all[copy % all.len()];
        let net = format!("10.{}.{}.", copy >> 8, copy & 255);
        for (side, text) in [("a", &s.left), ("b", &s.right)] {
            let mut log = render(text, LogFormat::BsdSyslog, &format!("fw-{copy}-{side}"), 1);
            for (from, last) in ADDRESSES {
                log = log.replace(from, &format!("{net}{last}"));
            }
            lines.extend(log.lines().map(str::to_owned));
        }
    }
    lines
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("end_of_input");
    group.sample_size(10);
    for hosts in [1_000, 30_000] {
        let lines = central_syslog(hosts);
        group.throughput(Throughput::Elements(hosts as u64));
        group.bench_function(format!("finish/{hosts}-hosts"), |b| {
            b.iter_batched(
                || {
                    let mut d = Diagnoser::new();
                    for (i, line) in lines.iter().enumerate() {
                        d.push_line("central.log", i as u64 + 1, line);
                    }
                    d
                },
                Diagnoser::finish,
                BatchSize::PerIteration,
            )
        });
        // What `watch` pays per update besides `finish`: a copy of the state.
        let mut d = Diagnoser::new();
        for (i, line) in lines.iter().enumerate() {
            d.push_line("central.log", i as u64 + 1, line);
        }
        group.bench_function(format!("clone/{hosts}-hosts"), |b| b.iter(|| d.clone()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
