//! Test helpers: run text through the whole engine.

use crate::{Diagnoser, Report};

/// Diagnoses `text` as one file named `path`.
pub(crate) fn diagnose(path: &str, text: &str) -> Report {
    let mut d = Diagnoser::new();
    for (i, line) in text.lines().enumerate() {
        d.push_line(path, i as u64 + 1, line);
    }
    d.finish()
}

/// Diagnoses several files together.
pub(crate) fn diagnose_files(files: &[(&str, &str)]) -> Report {
    let mut d = Diagnoser::new();
    for (path, text) in files {
        for (i, line) in text.lines().enumerate() {
            d.push_line(path, i as u64 + 1, line);
        }
    }
    d.finish()
}

/// The distinct ids of a report, in order.
pub(crate) fn ids(report: &Report) -> Vec<&'static str> {
    let mut out = Vec::new();
    for f in &report.findings {
        if !out.contains(&f.id) {
            out.push(f.id);
        }
    }
    out
}

/// The three seed tests every proposal-attribute finding shares: the
/// responder's excerpt names the difference (`$names`), the initiator's alone
/// is only the generic `$generic`, and both together make the initiator
/// specific too. The fixtures are `tests/fixtures/seed/$id/`.
macro_rules! seed_proposal_tests {
    ($id:literal, $generic:literal, $names:literal) => {
        use crate::catalog::testing::{diagnose, diagnose_files, ids};

        const INITIATOR: &str =
            include_str!(concat!("../../tests/fixtures/seed/", $id, "/initiator.log"));
        const RESPONDER: &str =
            include_str!(concat!("../../tests/fixtures/seed/", $id, "/responder.log"));

        #[test]
        fn seed_responder_names_the_difference() {
            let report = diagnose("r.log", RESPONDER);
            assert_eq!(ids(&report), [$id]);
            assert!(
                report.findings[0].summary.contains($names),
                "{}",
                report.findings[0].summary
            );
        }

        #[test]
        fn seed_initiator_alone_is_generic() {
            assert_eq!(ids(&diagnose("i.log", INITIATOR))[0], $generic);
        }

        #[test]
        fn seed_both_sides_make_the_initiator_specific() {
            let report = diagnose_files(&[("i.log", INITIATOR), ("r.log", RESPONDER)]);
            let errors: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.severity == crate::Severity::Error)
                .collect();
            assert_eq!(errors.len(), 2, "{:?}", ids(&report));
            assert!(errors.iter().all(|f| f.id == $id), "{:?}", ids(&report));
        }
    };
}
pub(crate) use seed_proposal_tests;
