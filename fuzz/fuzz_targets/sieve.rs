//! The sieve (crates/findings): on logs whose every line names its program,
//! diagnosing only the lines it keeps gives the report of every line.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::sieve(data));
