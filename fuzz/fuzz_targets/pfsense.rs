//! pfSense/OPNsense config.xml parser, then `check` and `compare`.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::pfsense(data));
