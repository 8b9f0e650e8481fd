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

const EXAMPLE: &str = "examples/pfsense-central-syslog.log";

/// Chromium, from `CHROMIUM` or the usual names on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome", "chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

fn browser_or_skip(test: &str) -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("IPSEC_DOCTOR_REQUIRE_BROWSER").is_none(),
            "{test}: no Chromium found (CHROMIUM or chromium on PATH), and IPSEC_DOCTOR_REQUIRE_BROWSER is set"
        );
        eprintln!("{test}: skipped, no Chromium (set CHROMIUM or install chromium)");
    }
    found
}

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

/// Runs headless Chromium on a page with a profile of its own.
fn headless(browser: &Path, dir: &Path, args: &[String], page: &Path) -> Vec<u8> {
    let profile = tempfile::tempdir_in(dir).unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed: {:?}", out.status);
    out.stdout
}

fn dom(browser: &Path, dir: &Path, page: &Path) -> String {
    String::from_utf8(headless(browser, dir, &["--dump-dom".to_owned()], page)).unwrap()
}

/// A screenshot's pixels as RGBA rows, with its width.
fn screenshot(browser: &Path, dir: &Path, page: &Path, width: u32, height: u32) -> (u32, Vec<u8>) {
    let png_path = dir.join(format!("shot-{width}.png"));
    headless(
        browser,
        dir,
        &[
            format!("--window-size={width},{height}"),
            format!("--screenshot={}", png_path.display()),
        ],
        page,
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    // RGBA or RGB: normalise to RGBA.
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (info.width, rgba)
}

/// Pixels within a small distance of a colour.
fn pixels_of(rgba: &[u8], rgb: [u8; 3]) -> usize {
    rgba.chunks(4)
        .filter(|p| (0..3).all(|i| p[i].abs_diff(rgb[i]) <= 6))
        .count()
}

const ERROR_RED: [u8; 3] = [0xc6, 0x28, 0x28];
const UP_GREEN: [u8; 3] = [0x2e, 0x7d, 0x32];
const DECIDING_YELLOW: [u8; 3] = [0xff, 0xf3, 0xc4];

#[test]
fn the_bundled_example_parses_into_the_report_it_says() {
    let Some(browser) = browser_or_skip("dom") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = html_report(dir.path(), &[EXAMPLE], None);
    let dom = dom(&browser, dir.path(), &page);
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
        let (drawn, rgba) = screenshot(&browser, dir.path(), &page, width, height);
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
    let dom = dom(&browser, dir.path(), &page);
    assert!(!dom.contains("<script"), "{dom}");
    assert!(!dom.contains("<img"), "{dom}");
    assert!(!dom.contains("<b>x"), "{dom}");
    assert!(dom.contains("&lt;script&gt;document.title=1"), "{dom}");
    assert!(dom.contains("<title>ipsec-doctor report</title>"));
}
