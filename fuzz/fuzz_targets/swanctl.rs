//! swanctl.conf parser with includes (which may include each other), then
//! `check` and `compare` on the result.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::swanctl(data));
