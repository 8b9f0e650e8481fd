//! Headless Chromium for the tests of HTML pages: the report's and
//! `watch`'s status page. CI installs Chromium and sets
//! `IPSEC_DOCTOR_REQUIRE_BROWSER=1`, so there a missing browser fails;
//! elsewhere the tests say they were skipped.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.
#![allow(dead_code)] // Each test file uses its part.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Chromium, from `CHROMIUM` or the usual names on `PATH`.
pub fn chromium() -> Option<PathBuf> {
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

pub fn browser_or_skip(test: &str) -> Option<PathBuf> {
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

/// Runs headless Chromium on a page with a profile of its own.
pub fn headless(browser: &Path, dir: &Path, args: &[String], url: &str) -> Vec<u8> {
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
        .arg(url)
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed: {:?}", out.status);
    out.stdout
}

pub fn dom(browser: &Path, dir: &Path, url: &str) -> String {
    String::from_utf8(headless(browser, dir, &["--dump-dom".to_owned()], url)).unwrap()
}

/// A screenshot's pixels as RGBA rows, with its width.
pub fn screenshot(
    browser: &Path,
    dir: &Path,
    url: &str,
    width: u32,
    height: u32,
) -> (u32, Vec<u8>) {
    let png_path = dir.join(format!("shot-{width}.png"));
    headless(
        browser,
        dir,
        &[
            format!("--window-size={width},{height}"),
            format!("--screenshot={}", png_path.display()),
        ],
        url,
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
pub fn pixels_of(rgba: &[u8], rgb: [u8; 3]) -> usize {
    rgba.chunks(4)
        .filter(|p| (0..3).all(|i| p[i].abs_diff(rgb[i]) <= 6))
        .count()
}

pub const ERROR_RED: [u8; 3] = [0xc6, 0x28, 0x28];
pub const UP_GREEN: [u8; 3] = [0x2e, 0x7d, 0x32];
pub const DECIDING_YELLOW: [u8; 3] = [0xff, 0xf3, 0xc4];
