//! The line parser: framing one line, and taking a framing up again from its
//! spans (as a worker thread does with the reader's).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ipsec_doctor_logs::frame;

const LINES: [&str; 4] = [
    "Jan  3 03:14:48 fw-lis-0040a charon[10536]: 12[IKE] <lis-fra-0040|1> IKE_SA lis-fra-0040[1] established between 198.18.0.40[198.18.0.40]...198.19.0.40[198.19.0.40]",
    "Jan  3 03:14:48 fw-lis-0040a charon[10536]: 09[CFG] <lis-fra-0040|1>   proposals = IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
    "Jan  3 03:14:49 fw-ber-0012b filterlog[5123]: 5,,,1000000103,igb0,match,block,in,4,0x0,,64,12345,0,none,6,tcp,60,203.0.113.7,10.1.2.3,54321,22,0,S,123456789,,64240,,mss;sackOK;TS;nop;wscale",
    "Jan  3 03:14:50 fw-ber-0012b sshd[2345]: Failed password for invalid user admin from 203.0.113.9 port 51234 ssh2",
];

fn bench(c: &mut Criterion) {
    let bytes: usize = LINES.iter().map(|l| l.len()).sum();
    let mut group = c.benchmark_group("line-parser");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("frame", |b| {
        b.iter(|| {
            for line in LINES {
                black_box(frame(black_box(line)));
            }
        })
    });
    let spans: Vec<_> = LINES
        .iter()
        .filter_map(|line| frame(line)?.spans(line))
        .collect();
    group.bench_function("spans_framed", |b| {
        b.iter(|| {
            for (spans, line) in spans.iter().zip(LINES) {
                black_box(spans.framed(black_box(line)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
