//! Replays every input in `fuzz/regressions/TARGET/` through the fuzz
//! target's own body (`fuzz/fuzz_targets/common.rs`): inputs that once
//! crashed or hung a target, minimised, stay fixed. Also checks that every
//! crate forbids unsafe code.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

#[path = "../fuzz/fuzz_targets/common.rs"]
mod targets;

use std::path::Path;
use std::time::{Duration, Instant};

/// A fuzz target: its name and its body.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 8] = [
    ("frame", targets::frame),
    ("charon", targets::charon),
    ("racoon", targets::racoon),
    ("diagnose", targets::diagnose),
    ("sieve", targets::sieve),
    ("swanctl", targets::swanctl),
    ("ipsec_conf", targets::ipsec_conf),
    ("pfsense", targets::pfsense),
];

#[test]
fn every_fuzz_regression_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for (target, body) in TARGETS {
        let dir = root.join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let start = Instant::now();
            body(&data);
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{} took {:?}",
                file.display(),
                start.elapsed()
            );
            replayed += 1;
        }
    }
    eprintln!("{replayed} fuzz regression input(s) replayed");
}

/// The corpus directories name real targets (a typo would silently skip).
#[test]
fn regression_directories_name_fuzz_targets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    for entry in std::fs::read_dir(root).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            let name = entry.file_name().into_string().unwrap();
            assert!(
                TARGETS.iter().any(|(t, _)| *t == name),
                "fuzz/regressions/{name} is no fuzz target"
            );
        }
    }
}

/// Inputs found while writing the targets, kept here as well so the check
/// runs even where the corpus is not checked out.
#[test]
fn known_hostile_inputs() {
    for (_, body) in TARGETS {
        for input in [
            &b""[..],
            b"\0\n\r\n\xff\xfe",
            b"<30>1 \n<999>\n{\"MESSAGE\":[255,0,10]}\n",
            b"charon: 13[IKE] <\xe2\x80\xae|1> received proposals: IKE:A/B, ESP:",
        ] {
            body(input);
        }
    }
}

#[test]
fn every_crate_forbids_unsafe_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![root.join("src/main.rs")];
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let src = entry.unwrap().path().join("src");
        for file in ["lib.rs", "main.rs"] {
            if src.join(file).exists() {
                roots.push(src.join(file));
            }
        }
    }
    for file in &roots {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            text.contains("#![forbid(unsafe_code)]"),
            "{} lacks #![forbid(unsafe_code)]",
            file.display()
        );
    }
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("unsafe_code = \"forbid\""));
    assert!(roots.len() >= 8, "{roots:?}");
}
