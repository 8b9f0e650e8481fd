//! The matcher: the signature prefilter, message typing, the sieve, and
//! the whole engine on the lab's logs as one central syslog.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ipsec_doctor_events::{may_matter, parse_charon};
use ipsec_doctor_findings::{Diagnoser, Sieve};
use ipsec_doctor_testkit::{lab_dir, merge_by_time, render, scenarios, LogFormat};

const MESSAGES: [&str; 4] = [
    "IKE_SA lis-fra-0040[1] state change: CONNECTING => ESTABLISHED",
    "  proposals = IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
    "received packet: from 198.19.0.40[500] to 198.18.0.40[500] (456 bytes)",
    "CHILD_SA lis-fra-0040-lan{1} established with SPIs 234d00fb_i 2a486f89_o and TS 172.16.115.0/24 === 10.1.115.0/24",
];

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("matcher");
    group.bench_function("may_matter", |b| {
        b.iter(|| {
            for m in MESSAGES {
                black_box(may_matter(black_box(m)));
            }
        })
    });
    group.bench_function("parse_charon", |b| {
        b.iter(|| {
            for m in MESSAGES {
                black_box(parse_charon(black_box(m)));
            }
        })
    });
    let mut inputs = Vec::new();
    for s in scenarios(&lab_dir()) {
        inputs.push(render(
            &s.left,
            LogFormat::BsdSyslog,
            &format!("{}-l", s.name),
            1,
        ));
        inputs.push(render(
            &s.right,
            LogFormat::BsdSyslog,
            &format!("{}-r", s.name),
            2,
        ));
    }
    let central = merge_by_time(&inputs);
    group.throughput(Throughput::Bytes(central.len() as u64));
    group.sample_size(10);
    group.bench_function("diagnose-lab-central-syslog", |b| {
        b.iter(|| {
            let mut d = Diagnoser::new();
            for (i, line) in central.lines().enumerate() {
                d.push_line("central.log", i as u64 + 1, line);
            }
            black_box(d.finish())
        })
    });
    group.bench_function("sieve-lab-central-syslog", |b| {
        b.iter(|| {
            // Every line is charon's here: the sieve's worst case.
            let mut kept = 0;
            Sieve::new().lines(central.as_bytes(), |_| kept += 1);
            black_box(kept)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
