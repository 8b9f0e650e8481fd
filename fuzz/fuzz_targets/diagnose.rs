//! The whole log pipeline: framing, parsing, routing with tight limits (so
//! every cap is reached), judging, pairing, and both renderers, whose output
//! must stay free of raw control characters and valid JSON.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::diagnose(data));
