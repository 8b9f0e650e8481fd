//! What people paste into forum posts and tickets: bare messages with no
//! prefix at all, addresses redacted, prose around them.

use ipsec_doctor_findings::Diagnoser;

#[test]
fn a_redacted_forum_post_with_both_sides_names_the_dh_group() {
    let text = include_str!("fixtures/pasted/forum-redacted.txt");
    let mut d = Diagnoser::new();
    for (i, line) in text.lines().enumerate() {
        d.push_line("post.txt", i as u64 + 1, line);
    }
    let report = d.finish();
    let ids: Vec<&str> = report.findings.iter().map(|f| f.id).collect();
    // One pasted file is one host: both sides' lines land in it, and the
    // responder's proposal lists name the attribute.
    assert!(ids.contains(&"p1-dh-group-mismatch"), "{ids:?}");
    let f = report
        .findings
        .iter()
        .find(|f| f.id == "p1-dh-group-mismatch")
        .expect("finding");
    assert!(f.summary.contains("MODP_2048"), "{}", f.summary);
    // Prose lines are never evidence.
    assert!(f.evidence.iter().all(|e| !e.text.contains("Any idea")));
}
