//! Memory stays bounded by the negotiations open at once, not by the input.

use ipsec_doctor_findings::{Diagnoser, Severity};

/// One failed IKEv2 negotiation (a PSK mismatch as the responder logs it),
/// with unique id `id`, as charon's file log writes it.
fn failed_negotiation(id: u32) -> [String; 4] {
    [
        format!("Nov 27 10:00:00 05[NET] <{id}> received packet: from 192.0.2.90[500] to 192.0.2.74[500] (464 bytes)"),
        format!("Nov 27 10:00:00 05[IKE] <{id}> 192.0.2.90 is initiating an IKE_SA"),
        format!("Nov 27 10:00:00 05[CFG] <{id}> looking for peer configs matching 192.0.2.74[right]...192.0.2.90[left]"),
        format!("Nov 27 10:00:00 05[IKE] <gw|{id}> tried 1 shared key for 'right' - 'left', but MAC mismatched"),
    ]
}

#[test]
fn a_hundred_thousand_failed_negotiations_stay_bounded_and_are_counted_once() {
    let mut d = Diagnoser::new();
    let mut line = 0u64;
    let mut peak = 0;
    for id in 1..=100_000u32 {
        for text in failed_negotiation(id) {
            line += 1;
            d.push_line("charon.log", line, &text);
        }
        peak = peak.max(d.open_negotiations());
    }
    // Quiet negotiations are judged every 1024 lines once 2000 lines passed them.
    assert!(peak < 2_000, "open negotiations grew to {peak}");
    let report = d.finish();
    let errors: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "{:?}",
        errors.iter().map(|f| f.id).collect::<Vec<_>>()
    );
    assert_eq!(errors[0].id, "psk-mismatch");
    assert_eq!(errors[0].occurrences, 100_000);
    assert!(errors[0].evidence.len() <= 16);
}

#[test]
fn a_negotiation_with_endless_retransmits_is_still_diagnosed() {
    let mut d = Diagnoser::new();
    d.push_line(
        "c.log",
        1,
        "Nov 27 10:00:00 05[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.74",
    );
    for n in 0..200_000u64 {
        d.push_line(
            "c.log",
            n + 2,
            &format!(
                "Nov 27 10:00:00 05[IKE] <gw|1> retransmit {} of request with message ID 0",
                n % 7 + 1
            ),
        );
    }
    d.push_line(
        "c.log",
        300_000,
        "Nov 27 10:00:00 05[IKE] <gw|1> giving up after 5 retransmits",
    );
    let report = d.finish();
    assert_eq!(report.findings[0].id, "peer-unreachable");
}

/// Past the cap of negotiations open at once the quietest is judged early,
/// and the report says so: a finding may lack its cause.
#[test]
fn the_negotiation_cap_is_reported_when_hit() {
    use ipsec_doctor_findings::Limits;
    let mut d = Diagnoser::with_limits(Limits {
        open_negotiations_per_host: 100,
        ..Limits::default()
    });
    let mut line = 0u64;
    for id in 1..=1_000u32 {
        for text in failed_negotiation(id) {
            line += 1;
            d.push_line("charon.log", line, &text);
        }
        assert!(d.open_negotiations() <= 100);
    }
    let report = d.finish();
    let cap: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.id == "negotiation-cap-reached")
        .collect();
    assert_eq!(cap.len(), 1);
    assert_eq!(cap[0].severity, Severity::Warning);
    assert!(
        cap[0].summary.contains("More than 100"),
        "{}",
        cap[0].summary
    );
    assert_eq!(
        cap[0].evidence[0].line, 401,
        "the line that found the cap full"
    );
    // The negotiations judged early were still diagnosed.
    assert!(report.findings.iter().any(|f| f.id == "psk-mismatch"));
}

/// A central syslog of many hosts that each log a few lines: no host ever
/// reaches its own quiet limit, so the input's moving on judges them.
#[test]
fn many_quiet_hosts_in_one_central_syslog_stay_bounded() {
    use ipsec_doctor_findings::Limits;
    let mut d = Diagnoser::with_limits(Limits {
        quiet_after_input_lines: 8_000,
        ..Limits::default()
    });
    let mut line = 0u64;
    let mut peak = 0;
    for host in 1..=20_000u32 {
        for text in failed_negotiation(1) {
            line += 1;
            let body = &text["Nov 27 10:00:00 ".len()..];
            d.push_line(
                "central.log",
                line,
                &format!("Nov 27 10:00:00 fw{host} charon[7]: {body}"),
            );
        }
        peak = peak.max(d.open_negotiations());
    }
    // 8 000 lines and a checkpoint (2 000 lines) of 4-line negotiations.
    assert!(peak <= 2_600, "open negotiations grew to {peak}");
    let report = d.finish();
    let psk: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.id == "psk-mismatch")
        .collect();
    assert_eq!(psk.len(), 20_000, "one per host");
}

/// Several diagnosers that each read a share of the hosts, told where the
/// reading is, judge what one diagnoser reading every line judges, in the
/// same order: the report is the same byte for byte, with an input limit
/// small enough to judge the lab's negotiations before the end.
#[test]
fn a_diagnoser_per_share_of_hosts_judges_left_behind_negotiations_as_one_does() {
    use ipsec_doctor_findings::Limits;
    use ipsec_doctor_testkit::{central_syslog, lab_dir, scenarios};
    let text = central_syslog(&scenarios(&lab_dir()));
    let lines: Vec<&str> = text.lines().collect();
    let limits = |quiet| Limits {
        quiet_after_input_lines: quiet,
        ..Limits::default()
    };
    let report = |parts: usize, quiet: u64| {
        let mut ds: Vec<Diagnoser> = (0..parts)
            .map(|_| Diagnoser::with_limits(limits(quiet)))
            .collect();
        // A reader tells every diagnoser where each chunk begins and ends.
        for d in &mut ds {
            d.input_at("central.log", 1);
        }
        for (i, line) in lines.iter().enumerate() {
            let n = i as u64 + 1;
            let host = ipsec_doctor_logs::frame(line)
                .and_then(|f| f.host.map(|h| h.into_owned()))
                .unwrap_or_default();
            let owner = host.bytes().map(usize::from).sum::<usize>() % parts;
            ds[owner].push_line("central.log", n, line);
            if n.is_multiple_of(97) || n == lines.len() as u64 {
                for d in &mut ds {
                    d.input_at("central.log", n);
                }
            }
        }
        let d = if parts == 1 {
            ds.pop().unwrap()
        } else {
            Diagnoser::merge(ds, &["central.log"])
        };
        serde_json::to_string_pretty(&d.finish()).unwrap()
    };
    let small = 300;
    let one = report(1, small);
    for parts in [2, 3] {
        let split = report(parts, small);
        if split != one {
            let diff: Vec<String> = one
                .lines()
                .zip(split.lines())
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .take(8)
                .map(|(i, (a, b))| {
                    format!(
                        "line {i}:\n  one:   {a}\n  split: {b}\n{}",
                        one.lines()
                            .skip(i.saturating_sub(9))
                            .take(9)
                            .collect::<Vec<_>>()
                            .join("\n")
                    )
                })
                .collect();
            panic!("{parts} parts differ from one:\n{}", diff.join("\n"));
        }
    }
    // The limit did judge negotiations early: the report differs from the
    // one that keeps them open to the end.
    assert_ne!(one, report(1, 1_000_000));
}

/// Line numbers come from the caller: a jump to the largest one crosses
/// quadrillions of checkpoints, and only those that judge something cost.
#[test]
fn a_jump_in_line_numbers_judges_what_it_left_behind_without_visiting_every_checkpoint() {
    let mut d = Diagnoser::new();
    for (i, text) in failed_negotiation(1).iter().enumerate() {
        d.push_line("c.log", i as u64 + 1, text);
    }
    assert_eq!(d.open_negotiations(), 1);
    let [first, ..] = failed_negotiation(2);
    d.push_line("c.log", u64::MAX, &first);
    // The first negotiation was judged at the checkpoint past its quiet
    // limit; the second is open.
    assert_eq!(d.open_negotiations(), 1);
    let report = d.finish();
    assert!(report.findings.iter().any(|f| f.id == "psk-mismatch"));
}
