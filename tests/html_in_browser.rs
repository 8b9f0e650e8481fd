//! The HTML report in a real browser: headless Chromium parses it (its DOM
//! must hold what the report says) and draws it (a screenshot at desktop
//! and phone widths must show the status colours and the highlighted
//! deciding lines). CI installs Chromium and sets
//! `IPSEC_DOCTOR_REQUIRE_BROWSER=1`, so there a missing browser fails;
//! elsewhere these tests say they were skipped.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[path = "common/browser.rs"]
mod browser;
use browser::*;

const EXAMPLE: &str = "examples/pfsense-central-syslog.log";

/// The report of `args` as HTML, written to a file in `dir`.
fn html_report(dir: &Path, args: &[&str], stdin: Option<&str>) -> PathBuf {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipsec-doctor"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["diagnose", "--format", "html"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    let path = dir.join("report.html");
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

fn url(page: &Path) -> String {
    format!("file://{}", page.display())
}

#[test]
fn the_bundled_example_parses_into_the_report_it_says() {
    let Some(browser) = browser_or_skip("dom") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = html_report(dir.path(), &[EXAMPLE], None);
    let dom = dom(&browser, dir.path(), &url(&page));
    // What the browser built, not what was written: a tag left open or
    // misnested would move these.
    assert_eq!(dom.matches("<tr class=\"tunnel\"").count(), 8, "{dom}");
    assert_eq!(dom.matches("<span class=\"badge up\">").count(), 2);
    assert_eq!(dom.matches("<div class=\"finding\"").count(), 6);
    // Both ends of the three failing tunnels that have both logs.
    assert_eq!(dom.matches("<div class=\"pair\">").count(), 3, "{dom}");
    // One deciding line per finding.
    assert_eq!(dom.matches("<li class=\"deciding\">").count(), 6, "{dom}");
    assert!(!dom.contains("<script"));
}

#[test]
fn the_bundled_example_draws_at_desktop_and_phone_width() {
    let Some(browser) = browser_or_skip("screenshot") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = html_report(dir.path(), &[EXAMPLE], None);
    for (width, height) in [(1280, 2000), (390, 2400)] {
        let (drawn, rgba) = screenshot(&browser, dir.path(), &url(&page), width, height);
        assert_eq!(drawn, width);
        // The status badges (6 down, 6 errors) and the two up badges are
        // drawn in their colours; the deciding lines are highlighted.
        let red = pixels_of(&rgba, ERROR_RED);
        let green = pixels_of(&rgba, UP_GREEN);
        let yellow = pixels_of(&rgba, DECIDING_YELLOW);
        assert!(red > 2_000, "{width}px: {red} red pixels");
        assert!(green > 300, "{width}px: {green} green pixels");
        assert!(yellow > 5_000, "{width}px: {yellow} highlighted pixels");
    }
}

#[test]
fn hostile_log_text_builds_no_element_in_the_browser() {
    let Some(browser) = browser_or_skip("hostile") else {
        return;
    };
    let log = "Nov 27 10:00:00 fw1 charon[1]: 09[IKE] <gw|1> IDir '<script>document.title=1</script><img src=x onerror=alert(1)>' does not match to '\"><b>x</b>'\n";
    let dir = tempfile::tempdir().unwrap();
    let page = html_report(dir.path(), &["-"], Some(log));
    let dom = dom(&browser, dir.path(), &url(&page));
    assert!(!dom.contains("<script"), "{dom}");
    assert!(!dom.contains("<img"), "{dom}");
    assert!(!dom.contains("<b>x"), "{dom}");
    assert!(dom.contains("&lt;script&gt;document.title=1"), "{dom}");
    assert!(dom.contains("<title>ipsec-doctor report</title>"));
}
