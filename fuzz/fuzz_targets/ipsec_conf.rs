//! ipsec.conf parser (with `also=`, `%default`, includes and an
//! ipsec.secrets), then `check` and `compare` on the result.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::ipsec_conf(data));
