//! strongSwan charon message parser (crates/events): messages typed from
//! whatever a peer and a log can hold, and proposals round-trip.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::charon(data));
