//! Shared helpers for the integration tests.
#![allow(dead_code)]

use ipsec_doctor_config::{parse, ConfigSet};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn read(rel: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join(rel)).expect("fixture readable")
}

/// All fixture files as an in-memory file system keyed by display path
/// (relative to the fixtures dir).
pub fn fixture_fs() -> BTreeMap<String, String> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, base, out);
            } else if let Ok(c) = std::fs::read_to_string(&p) {
                let rel = p
                    .strip_prefix(base)
                    .expect("prefix")
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, c);
            }
        }
    }
    let mut m = BTreeMap::new();
    let d = fixtures_dir();
    walk(&d, &d, &mut m);
    m
}

pub fn load(rel: &str) -> ConfigSet {
    let fs = fixture_fs();
    parse(rel, &read(rel), &fs).expect("fixture parses")
}

pub fn all_fixture_paths() -> Vec<String> {
    fixture_fs().keys().cloned().collect()
}
