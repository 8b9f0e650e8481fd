//! racoon and kernel crash-dump message parsers (crates/events).
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::racoon(data));
