//! Line-format detection and framing (crates/logs): any line, any bytes.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::frame(data));
