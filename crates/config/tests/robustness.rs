//! Hostile and broken inputs: entity bombs, oversized inputs, syntax
//! errors with line numbers, garbage, and truncations of every fixture.
mod common;

use ipsec_doctor_config::{parse, ConfigError, NoIncludes, MAX_INPUT_BYTES};
use std::time::{Duration, Instant};

#[test]
fn billion_laughs_is_rejected_fast() {
    let mut x = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    x.push_str(" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
    for i in 2..10 {
        x.push_str(&format!(
            " <!ENTITY lol{i} \"{}\">\n",
            format!("&lol{};", i - 1).repeat(10)
        ));
    }
    x.push_str("]>\n<pfsense><ipsec>&lol9;</ipsec></pfsense>\n");
    let start = Instant::now();
    let e = parse("bomb.xml", &x, &NoIncludes).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(matches!(e, ConfigError::Xml { .. }), "{e:?}");
}

#[test]
fn oversized_input_is_refused() {
    let big = "x".repeat(100 * 1024 * 1024);
    let start = Instant::now();
    let e = parse("big", &big, &NoIncludes).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(
        e,
        ConfigError::TooLarge {
            path: "big".into(),
            size: big.len(),
            limit: MAX_INPUT_BYTES
        }
    );
}

#[test]
fn large_valid_xml_parses_in_reasonable_time() {
    let mut x = String::from("<?xml version=\"1.0\"?>\n<pfsense><ipsec>\n");
    let p1 = "<phase1><ikeid>ID</ikeid><iketype>ikev2</iketype><interface>wan</interface><remote-gateway>198.51.100.1</remote-gateway><encryption><item><encryption-algorithm><name>aes</name><keylen>256</keylen></encryption-algorithm><hash-algorithm>sha256</hash-algorithm><dhgroup>14</dhgroup></item></encryption><authentication_method>pre_shared_key</authentication_method><pre-shared-key>k</pre-shared-key></phase1>\n";
    for i in 0..20_000 {
        x.push_str(&p1.replace("ID", &i.to_string()));
    }
    x.push_str("</ipsec></pfsense>\n");
    let start = Instant::now();
    let set = parse("many.xml", &x, &NoIncludes).unwrap();
    assert_eq!(set.tunnels.len(), 20_000);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn swanctl_unterminated_brace_line() {
    let conf = "connections {\n  a {\n    version = 2\n\n  b {\n  }\n}\n";
    let e = parse("s.conf", conf, &NoIncludes).unwrap_err();
    match e {
        ConfigError::Syntax {
            path,
            line,
            message,
        } => {
            assert_eq!(path, "s.conf");
            assert_eq!(line, 1);
            assert!(message.contains("connections"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn swanctl_unterminated_quote_line() {
    let conf = "connections {\n  a {\n    local {\n      id = \"CN=moon\n    }\n  }\n}\n";
    let e = parse("s.conf", conf, &NoIncludes).unwrap_err();
    assert!(matches!(e, ConfigError::Syntax { line: 4, .. }), "{e:?}");
}

#[test]
fn swanctl_stray_closing_brace() {
    let e = parse("s.conf", "connections {\n}\n}\n", &NoIncludes).unwrap_err();
    assert!(matches!(e, ConfigError::Syntax { line: 3, .. }), "{e:?}");
}

#[test]
fn ipsec_conf_unterminated_quote_line() {
    let conf = "conn a\n\tleft=1.2.3.4\n\tleftid=\"CN=x\n\tright=5.6.7.8\n";
    let e = parse("ipsec.conf", conf, &NoIncludes).unwrap_err();
    assert!(matches!(e, ConfigError::Syntax { line: 3, .. }), "{e:?}");
}

#[test]
fn xml_error_has_line() {
    let e = parse(
        "c.xml",
        "<pfsense>\n<ipsec>\n<phase1>\n</ipsec>\n</pfsense>\n",
        &NoIncludes,
    )
    .unwrap_err();
    assert!(matches!(e, ConfigError::Xml { line: 4, .. }), "{e:?}");
}

#[test]
fn random_garbage_is_an_error() {
    for g in [
        "",
        "hello world",
        "\u{0}\u{1}\u{2}",
        "}}}}",
        "<<<<",
        "<pfsense",
        "connections { = }",
        "connections { a { b = \"",
        "conn\n",
    ] {
        assert!(parse("g", g, &NoIncludes).is_err(), "{g:?} should fail");
    }
    // pseudo-random bytes
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    for _ in 0..200 {
        let s: String = (0..256)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                char::from(b"{}=\"#<>/ \nabcconnections!,-"[(seed % 27) as usize])
            })
            .collect();
        let _ = parse("rnd", &s, &NoIncludes); // must not panic
    }
}

#[test]
fn truncations_of_every_fixture_never_panic() {
    let fs = common::fixture_fs();
    for (path, contents) in &fs {
        let mut cuts: Vec<usize> = contents.char_indices().map(|(i, _)| i).step_by(7).collect();
        cuts.push(contents.len());
        for cut in cuts {
            let s = &contents[..cut];
            let r = std::panic::catch_unwind(|| {
                let _ = parse(path, s, &fs);
            });
            assert!(r.is_ok(), "panic on {path} truncated at {cut}");
        }
    }
}

#[test]
fn large_swanctl_parses_in_reasonable_time() {
    let mut s = String::from("connections {\n");
    for i in 0..20_000 {
        s.push_str(&format!(
            "  c{i} {{\n    remote_addrs = 198.51.100.1\n    proposals = aes256-sha256-modp2048\n    children {{\n      n {{\n        remote_ts = 10.0.0.0/8\n      }}\n    }}\n  }}\n"
        ));
    }
    s.push_str("}\n");
    let start = Instant::now();
    let set = parse("big.conf", &s, &NoIncludes).unwrap();
    assert_eq!(set.tunnels.len(), 20_000);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

/// Files that each include the next one ten times, sixteen levels deep,
/// would be read 10^15 times; the include budget stops them at once.
#[test]
fn includes_that_fan_out_are_stopped() {
    use ipsec_doctor_config::{ipsec_conf, swanctl, MAX_INCLUDED_FILES};
    use std::collections::BTreeMap;
    for swanctl_syntax in [true, false] {
        let mut files = BTreeMap::new();
        for i in 0..16 {
            files.insert(
                format!("/c/f{i}.conf"),
                format!("include /c/f{}.conf\n", i + 1).repeat(10),
            );
        }
        files.insert("/c/f16.conf".to_owned(), String::new());
        let start = Instant::now();
        let e = if swanctl_syntax {
            let main = format!("connections {{\n}}\n{}", files["/c/f0.conf"]);
            swanctl::parse_swanctl("/c/main.conf", &main, &files).unwrap_err()
        } else {
            let main = format!("config setup\n{}", files["/c/f0.conf"]);
            ipsec_conf::parse_ipsec_conf("/c/main.conf", &main, &files).unwrap_err()
        };
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert!(
            matches!(e, ConfigError::TooManyIncludes { limit, .. } if limit == MAX_INCLUDED_FILES),
            "{e:?}"
        );
        assert!(
            e.to_string().contains("more than 1024 files included"),
            "{e}"
        );
        assert!(e.line().is_some());
    }
}
