//! Helpers the end-to-end test files share.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

/// The finding ids of a `--format json` report, consecutive repeats once.
pub fn ids(v: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    ids.dedup();
    ids
}
