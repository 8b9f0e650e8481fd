//! `benchgen`: writes a large central-syslog log for benchmarking
//! `ipsec-doctor diagnose`, built from the recorded lab logs
//! (`fixtures/lab/*/left.log`, `right.log`).
//!
//! Many firewalls, in pairs, each pair one tunnel, over a long period, all
//! interleaved in time as a central syslog server writes them (BSD syslog,
//! `Mon DD HH:MM:SS host charon[pid]: ...`). Each tunnel replays lab
//! scenarios one after the other: mostly healthy rekeying, with a sprinkling
//! of every recorded failure, with new addresses, connection names, unique
//! ids and times. Between them the hosts log what firewalls log (filterlog,
//! sshd, cron, dhcpd, unbound, ...). The same seed gives the same file.
//!
//! `benchgen signatures` prints the catalogue's signature strings, one per
//! line, for `grep -F -f` and `rg -F -f`.

#![forbid(unsafe_code)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use ipsec_doctor_logs::frame;
use ipsec_doctor_testkit::{lab_dir, scenarios};

const USAGE: &str =
    "usage: benchgen [--size BYTES[K|M|G]] [--seed N] [--tunnels N | --hosts N] [--days N]
                [--noise FRACTION] [--failures FRACTION] [--lab DIR] [--out PATH]
       benchgen signatures

Writes a central-syslog log (BSD syslog) of about --size bytes (default 100M)
to --out (default standard output). --tunnels pairs of firewalls (default 150;
--hosts N is N/2 tunnels, at most 129032),
spread over --days (default 90, at most 360), --noise the share of lines from
other programs (default 0.5), --failures the share of replayed scenarios that
fail (default 0.1).";

/// The addresses below give each tunnel its own in a /16 per role.
const MAX_TUNNELS: usize = 254 * 254;

struct Options {
    size: u64,
    seed: u64,
    tunnels: usize,
    days: f64,
    noise: f64,
    failures: f64,
    lab: PathBuf,
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("signatures") {
        let mut out = io::stdout().lock();
        for s in ipsec_doctor_findings::SIGNATURES {
            if writeln!(out, "{s}").is_err() {
                return ExitCode::from(2);
            }
        }
        return ExitCode::SUCCESS;
    }
    let options = match parse_args(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("benchgen: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match generate(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("benchgen: {e}");
            ExitCode::from(2)
        }
    }
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        size: 100 << 20,
        seed: 1,
        tunnels: 150,
        days: 90.0,
        noise: 0.5,
        failures: 0.1,
        lab: lab_dir(),
        out: None,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--size" => o.size = parse_size(value()?)?,
            "--seed" => o.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--tunnels" => {
                o.tunnels = value()?.parse().map_err(|e| format!("--tunnels: {e}"))?;
            }
            // Two firewalls per tunnel.
            "--hosts" => {
                let hosts: usize = value()?.parse().map_err(|e| format!("--hosts: {e}"))?;
                o.tunnels = hosts.div_ceil(2);
            }
            "--days" => o.days = value()?.parse().map_err(|e| format!("--days: {e}"))?,
            "--noise" => o.noise = value()?.parse().map_err(|e| format!("--noise: {e}"))?,
            "--failures" => {
                o.failures = value()?.parse().map_err(|e| format!("--failures: {e}"))?;
            }
            "--lab" => o.lab = PathBuf::from(value()?),
            "--out" | "-o" => o.out = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Err("help".to_owned()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.tunnels == 0 || o.tunnels > MAX_TUNNELS {
        return Err(format!(
            "--tunnels must be between 1 and {MAX_TUNNELS} (--hosts twice that)"
        ));
    }
    if !(0.0..0.99).contains(&o.noise) || !(0.0..=1.0).contains(&o.failures) {
        return Err("--noise must be in [0, 0.99), --failures in [0, 1]".to_owned());
    }
    o.days = o.days.clamp(1.0 / 24.0, 360.0);
    Ok(o)
}

fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let n: u64 = digits.parse().map_err(|e| format!("--size {text}: {e}"))?;
    let mult = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return Err(format!("--size {text}: unknown unit")),
    };
    Ok(n.saturating_mul(mult))
}

/// splitmix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }
}

/// One lab line: seconds after the scenario's start, which side, and the
/// charon file-log body (`13[IKE] <gw-gw|1> ...`).
struct TemplateLine {
    offset: i64,
    right: bool,
    body: String,
}

struct Template {
    version: u8,
    healthy: bool,
    lines: Vec<TemplateLine>,
    /// Index of the first line after the daemon's start-up and config load.
    steady_from: usize,
    /// Largest IKE SA / CHILD_SA unique id in the scenario.
    max_id: u64,
}

fn load_templates(lab: &std::path::Path) -> Vec<Template> {
    let mut out = Vec::new();
    for s in scenarios(lab) {
        let mut lines = Vec::new();
        let mut base = i64::MAX;
        let parse = |text: &str, right: bool, lines: &mut Vec<(i64, bool, String)>| {
            for line in text.lines() {
                let Some(ts) = frame(line).and_then(|f| f.timestamp) else {
                    continue;
                };
                let Some(body) = line.get(16..) else { continue };
                lines.push((ts.sort_key(), right, body.to_owned()));
            }
        };
        let mut raw = Vec::new();
        parse(&s.left, false, &mut raw);
        parse(&s.right, true, &mut raw);
        for (t, _, _) in &raw {
            base = base.min(*t);
        }
        raw.sort_by_key(|(t, _, _)| *t);
        let mut max_id = 0;
        for (t, right, body) in raw {
            max_id = max_id.max(max_unique_id(&body));
            lines.push(TemplateLine {
                offset: t - base,
                right,
                body,
            });
        }
        if lines.is_empty() {
            continue;
        }
        // Start-up: the daemon, its libraries and the config load over vici.
        let steady_from = lines
            .iter()
            .position(|l| {
                let group = l.body.split(']').next().unwrap_or("");
                !(group.ends_with("[DMN]")
                    || group.ends_with("[LIB]")
                    || group.ends_with("[JOB]")
                    || group.ends_with("[CFG]"))
            })
            .unwrap_or(0);
        out.push(Template {
            version: if s.name.starts_with("ikev1") { 1 } else { 2 },
            healthy: s.name.contains("healthy") || s.name.contains("frequent-rekey"),
            lines,
            steady_from,
            max_id,
        });
    }
    out
}

impl Template {
    /// The lines after the daemon's start-up.
    fn steady(&self) -> &[TemplateLine] {
        &self.lines[self.steady_from..]
    }
}

/// The largest number in `|N>`, `<N>`, `[N]` or `{N}` of a line.
fn max_unique_id(body: &str) -> u64 {
    let mut max = 0;
    rewrite_ids(body, 0, &mut |n| max = max.max(n));
    max
}

/// Adds `offset` to every unique id (`|N>`, `<N>`, `name[N]`, `name{N}`)
/// after the thread prefix; `seen` is told each original id.
fn rewrite_ids(body: &str, offset: u64, seen: &mut dyn FnMut(u64)) -> String {
    let bytes = body.as_bytes();
    let start = body.find(']').map_or(0, |i| i + 1);
    let mut out = String::with_capacity(body.len() + 8);
    out.push_str(&body[..start]);
    let mut i = start;
    let mut copied = start;
    while i < bytes.len() {
        let open = bytes[i];
        let close = match open {
            b'|' | b'<' => b'>',
            b'[' => b']',
            b'{' => b'}',
            _ => {
                i += 1;
                continue;
            }
        };
        let digits = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let after = i + 1 + digits;
        // `[500]` is a port, `[1.2.3.4]` an identity: ids follow the lab's
        // connection names.
        let named = body[..i].ends_with("gw-gw") || body[..i].ends_with("net-net");
        let is_id = digits > 0
            && digits < 8
            && bytes.get(after) == Some(&close)
            && (open == b'|' || open == b'<' || named);
        if is_id {
            let n: u64 = body[i + 1..after].parse().unwrap_or(0);
            seen(n);
            out.push_str(&body[copied..=i]);
            out.push_str(&(n + offset).to_string());
            copied = after;
        }
        i = after.max(i + 1);
    }
    out.push_str(&body[copied..]);
    out
}

struct Host {
    name: String,
    pid: u32,
    /// Added to the unique ids of the next replayed scenario.
    id_base: u64,
}

struct Tunnel {
    version: u8,
    hosts: [usize; 2],
    /// Whether the right firewall logs to this server too.
    right_logged: bool,
    replace: Vec<(&'static str, String)>,
    template: usize,
    /// The next line of the replay, and the end of its window.
    index: usize,
    end: usize,
    start: i64,
    id_offset: [u64; 2],
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stream {
    Tunnel(usize),
    Noise(usize),
}

fn generate(o: &Options) -> io::Result<()> {
    let templates = load_templates(&o.lab);
    if templates.is_empty() {
        return Err(io::Error::other(format!(
            "no lab scenarios in {}",
            o.lab.display()
        )));
    }
    let mut rng = Rng(o.seed);
    let pick = |rng: &mut Rng, version: u8, failure: bool| -> usize {
        let fitting: Vec<usize> = (0..templates.len())
            .filter(|&i| templates[i].version == version && templates[i].healthy != failure)
            .collect();
        let any: Vec<usize> = (0..templates.len()).collect();
        let from = if fitting.is_empty() { &any } else { &fitting };
        from[rng.below(from.len())]
    };

    // Expected charon bytes, lines and duration of a replayed scenario, as
    // `pick` chooses them: IKEv1 for 30% of the tunnels, then a failure with
    // probability --failures, uniformly within each group. Each line is
    // charon's body plus the syslog prefix and the longer names it gets.
    let expect = |of: &dyn Fn(&Template) -> f64| -> f64 {
        let mut total = 0.0;
        for (version, share) in [(1u8, 0.3), (2, 0.7)] {
            for (failure, p) in [(false, 1.0 - o.failures), (true, o.failures)] {
                let group: Vec<&Template> = templates
                    .iter()
                    .filter(|t| t.version == version && t.healthy != failure)
                    .collect();
                let group = if group.is_empty() {
                    templates.iter().collect()
                } else {
                    group
                };
                let mean = group.iter().map(|t| of(t)).sum::<f64>() / group.len() as f64;
                total += share * p * mean;
            }
        }
        total
    };
    let bytes = expect(&|t| t.steady().iter().map(|l| l.body.len() + 58).sum::<usize>() as f64);
    let lines = expect(&|t| t.steady().len() as f64);
    let duration = expect(&|t| t.steady().last().map_or(0, |l| l.offset) as f64);
    // Noise is a share of the lines; its lines are longer than charon's.
    let noise_line_bytes = {
        let mut sample = Rng(o.seed ^ 0x5eed);
        let mut line = String::new();
        let mut bytes_of_sample = 0;
        let n = 1000;
        for h in 0..n {
            line.clear();
            noise_line(&mut sample, &mut line, h);
            bytes_of_sample += line.len() + 30;
        }
        bytes_of_sample as f64 / n as f64
    };
    let per_episode_total = bytes + lines * o.noise / (1.0 - o.noise) * noise_line_bytes;
    let episodes_per_tunnel = o.size as f64 / per_episode_total / o.tunnels as f64;
    // Where the size does not hold one replay per tunnel (100 000 hosts in
    // 100 MB), each replay is a window of that share of its lines, so that
    // every tunnel still appears: a log cut to a short time of each host.
    let window = episodes_per_tunnel.min(1.0);
    let episodes_per_tunnel = episodes_per_tunnel.max(1.0);
    let gap = (o.days * 86_400.0 / episodes_per_tunnel - duration).max(60.0);
    let charon_rate = lines * window / (duration + gap);
    let noise_interval = if o.noise > 0.0 {
        2.0 * (1.0 - o.noise) / (o.noise * charon_rate)
    } else {
        f64::INFINITY
    };

    let mut hosts: Vec<Host> = Vec::new();
    let mut tunnels: Vec<Tunnel> = Vec::new();
    let sites = [
        "ams", "ber", "cdg", "dub", "fra", "hel", "lis", "lon", "mad", "mil", "muc", "osl", "prg",
        "sto", "vie", "waw", "zrh", "nyc", "sfo", "sin",
    ];
    for n in 0..o.tunnels {
        let version = if rng.unit() < 0.3 { 1 } else { 2 };
        let site = |rng: &mut Rng| sites[rng.below(sites.len())];
        let (a, b) = (site(&mut rng), site(&mut rng));
        let left = hosts.len();
        hosts.push(Host {
            name: format!("fw-{a}-{:04}a", n + 1),
            pid: 1000 + rng.below(60_000) as u32,
            id_base: 0,
        });
        hosts.push(Host {
            name: format!("fw-{b}-{:04}b", n + 1),
            pid: 1000 + rng.below(60_000) as u32,
            id_base: 0,
        });
        // Each role's addresses in a /16 of its own: up to 254 * 254 tunnels.
        let (hi, lo) = (n / 254 + 1, n % 254 + 1);
        let conn = format!("{a}-{b}-{:04}", n + 1);
        // Longer needles first: `192.0.2.7` must not eat `192.0.2.74`.
        let replace = vec![
            ("192.0.2.90", format!("198.18.{hi}.{lo}")),
            ("192.0.2.74", format!("198.19.{hi}.{lo}")),
            ("192.0.2.75", format!("100.66.{hi}.{lo}")),
            ("192.0.2.10", format!("100.67.{hi}.{lo}")),
            ("198.51.100.50", format!("100.64.{hi}.{lo}")),
            ("203.0.113.245", format!("100.65.{hi}.{lo}")),
            ("192.168.48.0", format!("10.{}.{}.0", 1 + n / 256, n % 256)),
            (
                "10.42.42.0",
                format!("172.{}.{}.0", 16 + n / 256 % 16, n % 256),
            ),
            ("10.42.43.0", format!("192.168.{}.0", n % 256)),
            ("gw-gw", conn.clone()),
            ("net-net", format!("{conn}-lan")),
            ("ike-gw", format!("psk-{conn}")),
        ];
        let template = pick(&mut rng, version, false);
        // The daemons run before the log starts; now and then one starts in it.
        let (index, end) = replay_window(&mut rng, &templates[template], window, 0.02);
        let first = templates[template].lines[index].offset;
        // Within the first quarter of the period, so that every tunnel is in
        // the file even where the size estimate above falls short.
        let start = (rng.unit() * gap.min(o.days * 86_400.0) / 4.0) as i64 - first;
        tunnels.push(Tunnel {
            version,
            hosts: [left, left + 1],
            right_logged: rng.unit() >= 0.2,
            replace,
            template,
            index,
            end,
            start,
            id_offset: [0, 0],
        });
    }

    let mut heap: BinaryHeap<Reverse<(i64, u64, Stream)>> = BinaryHeap::new();
    let mut seq = 0u64;
    for (i, t) in tunnels.iter().enumerate() {
        let first = templates[t.template].lines[t.index].offset;
        heap.push(Reverse((t.start + first, seq, Stream::Tunnel(i))));
        seq += 1;
    }
    if noise_interval.is_finite() {
        for h in 0..hosts.len() {
            let at = rng.exp(noise_interval) as i64;
            heap.push(Reverse((at, seq, Stream::Noise(h))));
            seq += 1;
        }
    }

    let sink: Box<dyn Write> = match &o.out {
        Some(p) => Box::new(std::fs::File::create(p)?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, sink);
    let mut written = 0u64;
    let mut stamp = Stamp::default();
    let mut line = String::with_capacity(512);
    let mut last_time = 0;
    while written < o.size {
        let Some(Reverse((time, _, stream))) = heap.pop() else {
            break;
        };
        last_time = time;
        line.clear();
        match stream {
            Stream::Noise(h) => {
                let host = &hosts[h];
                line.push_str(stamp.get(time));
                line.push(' ');
                line.push_str(&host.name);
                line.push(' ');
                noise_line(&mut rng, &mut line, h);
                let next = time + rng.exp(noise_interval).max(0.0) as i64;
                heap.push(Reverse((next, seq, Stream::Noise(h))));
                seq += 1;
            }
            Stream::Tunnel(i) => {
                let t = &mut tunnels[i];
                let tpl = &templates[t.template];
                let tl = &tpl.lines[t.index];
                let side = usize::from(tl.right);
                if !tl.right || t.right_logged {
                    let host = &hosts[t.hosts[side]];
                    let mut body = rewrite_ids(&tl.body, t.id_offset[side], &mut |_| {});
                    for (from, to) in &t.replace {
                        if body.contains(from) {
                            body = body.replace(from, to);
                        }
                    }
                    line.push_str(stamp.get(time));
                    line.push(' ');
                    line.push_str(&host.name);
                    line.push_str(" charon[");
                    line.push_str(&host.pid.to_string());
                    line.push_str("]: ");
                    line.push_str(&body);
                }
                t.index += 1;
                if t.index >= t.end {
                    // The next scenario on this tunnel, after a quiet spell;
                    // now and then the daemon restarts (ids start again).
                    let failure = rng.unit() < o.failures;
                    t.template = pick(&mut rng, t.version, failure);
                    let restart = rng.unit() < 0.02;
                    let next = &templates[t.template];
                    for (k, &h) in t.hosts.iter().enumerate() {
                        let host = &mut hosts[h];
                        if restart {
                            host.id_base = 0;
                        }
                        t.id_offset[k] = host.id_base;
                        host.id_base += next.max_id + 1;
                    }
                    (t.index, t.end) =
                        replay_window(&mut rng, next, window, if restart { 1.0 } else { 0.0 });
                    let base = next.lines.get(t.index).map_or(0, |l| l.offset);
                    t.start = time + rng.exp(gap).max(30.0) as i64 - base;
                }
                let next_at = t.start + templates[t.template].lines[t.index].offset;
                heap.push(Reverse((next_at.max(time), seq, Stream::Tunnel(i))));
                seq += 1;
            }
        }
        if line.is_empty() {
            continue;
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.flush()?;
    eprintln!(
        "benchgen: {} bytes, {} hosts, {} tunnels, {:.1} days",
        written,
        hosts.len(),
        tunnels.len(),
        last_time as f64 / 86_400.0
    );
    Ok(())
}

/// The lines `[index, end)` of a template to replay: from the start-up
/// (with probability `restart`) or from the steady part, all of it or, where
/// `window` < 1, that share of it from a random line on.
fn replay_window(rng: &mut Rng, t: &Template, window: f64, restart: f64) -> (usize, usize) {
    let from = if rng.unit() < restart {
        0
    } else {
        t.steady_from
    };
    let len = t.lines.len() - from;
    if window >= 1.0 {
        return (from, t.lines.len());
    }
    let take = ((len as f64 * window).ceil() as usize).clamp(1, len);
    let index = from + rng.below(len - take + 1);
    (index, index + take)
}

/// `Jan  1 00:00:00` for seconds after the start of the year, cached per second.
#[derive(Default)]
struct Stamp {
    second: Option<i64>,
    text: String,
}

impl Stamp {
    fn get(&mut self, second: i64) -> &str {
        if self.second != Some(second) {
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            const DAYS: [i64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            let mut day = second.div_euclid(86_400).min(364);
            let mut month = 0;
            while month < 11 && day >= DAYS[month] {
                day -= DAYS[month];
                month += 1;
            }
            let s = second.rem_euclid(86_400);
            self.text = format!(
                "{} {:>2} {:02}:{:02}:{:02}",
                MONTHS[month],
                day + 1,
                s / 3600,
                s / 60 % 60,
                s % 60
            );
            self.second = Some(second);
        }
        &self.text
    }
}

/// A line of another program, as firewalls log them.
fn noise_line(rng: &mut Rng, line: &mut String, host: usize) {
    use std::fmt::Write as _;
    let ip = |rng: &mut Rng| {
        format!(
            "{}.{}.{}.{}",
            [203, 198, 45, 185, 91][rng.below(5)],
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        )
    };
    let lan = format!(
        "10.{}.{}.{}",
        1 + host / 512,
        host / 2 % 256,
        2 + rng.below(200)
    );
    let pid = 1000 + rng.below(90_000);
    let roll = rng.below(100);
    let _ = match roll {
        0..=54 => {
            let (src, dst) = (ip(rng), lan.clone());
            let (sport, dport) = (1024 + rng.below(64_000), [22, 23, 443, 3389, 445, 8080][rng.below(6)]);
            write!(
                line,
                "filterlog[{pid}]: 5,,,1000000103,igb0,match,block,in,4,0x0,,{},{},0,none,6,tcp,60,{src},{dst},{sport},{dport},0,S,{},,64240,,mss;sackOK;TS;nop;wscale",
                32 + rng.below(96),
                rng.below(65_536),
                rng.next() % 4_000_000_000
            )
        }
        55..=64 => {
            let who = ["root", "admin", "ubnt", "oracle", "test"][rng.below(5)];
            write!(
                line,
                "sshd[{pid}]: Failed password for invalid user {who} from {} port {} ssh2",
                ip(rng),
                1024 + rng.below(64_000)
            )
        }
        65..=69 => write!(
            line,
            "sshd[{pid}]: Connection closed by authenticating user root {} port {} [preauth]",
            ip(rng),
            1024 + rng.below(64_000)
        ),
        70..=77 => write!(
            line,
            "/usr/sbin/cron[{pid}]: (root) CMD (/usr/sbin/newsyslog)"
        ),
        78..=86 => {
            let mac = rng.next();
            write!(
                line,
                "dhcpd[{pid}]: DHCPACK on {lan} to {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} via igb1",
                mac & 0xff,
                mac >> 8 & 0xff,
                mac >> 16 & 0xff,
                mac >> 24 & 0xff,
                mac >> 32 & 0xff,
                mac >> 40 & 0xff
            )
        }
        87..=93 => write!(
            line,
            "unbound[{pid}]: [{pid}:0] info: validation failure <example{}.com. A IN>: no DNSSEC records from {} for DS example{}.com. while building chain of trust",
            rng.below(1000),
            ip(rng),
            rng.below(1000)
        ),
        94..=96 => write!(
            line,
            "php-fpm[{pid}]: /index.php: Successful login for user 'admin' from: {lan} (Local Database)"
        ),
        97..=98 => write!(
            line,
            "ntpd[{pid}]: adjusting local clock by {}.{:06}s",
            rng.below(2),
            rng.below(1_000_000)
        ),
        _ => write!(
            line,
            "kernel: arp: {lan} moved from 00:1b:21:{:02x}:{:02x}:{:02x} to 00:1b:21:{:02x}:{:02x}:{:02x} on igb1",
            rng.below(256),
            rng.below(256),
            rng.below(256),
            rng.below(256),
            rng.below(256),
            rng.below(256)
        ),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_ids_are_shifted_but_ports_and_identities_are_not() {
        let body =
            "13[NET] <gw-gw|3> sending packet: from 192.0.2.90[500] to 192.0.2.74[500] (80 bytes)";
        assert_eq!(
            rewrite_ids(body, 10, &mut |_| {}),
            "13[NET] <gw-gw|13> sending packet: from 192.0.2.90[500] to 192.0.2.74[500] (80 bytes)"
        );
        let body = "05[IKE] <gw-gw|2> IKE_SA gw-gw[2] established between 192.0.2.90[192.0.2.90]...192.0.2.74[192.0.2.74]";
        assert_eq!(
            rewrite_ids(body, 5, &mut |_| {}),
            "05[IKE] <gw-gw|7> IKE_SA gw-gw[7] established between 192.0.2.90[192.0.2.90]...192.0.2.74[192.0.2.74]"
        );
        assert_eq!(
            rewrite_ids(
                "07[CHD] <5> CHILD_SA net-net{4} established",
                1,
                &mut |_| {}
            ),
            "07[CHD] <6> CHILD_SA net-net{5} established"
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_size_parse() {
        assert_eq!(parse_size("100M"), Ok(100 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512"), Ok(512));
    }
}
