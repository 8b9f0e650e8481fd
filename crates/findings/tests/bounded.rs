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
