//! The catalogue is complete and its rules are the only producers of their
//! findings: every finding id has its documentation, a matcher and a test,
//! and no code outside the rule's own file names it as a string (code refers
//! to rules as `rules::NAME`; tests and the public contract may use ids).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ipsec_doctor_findings::CATALOG;

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `.rs` file under `sub` of the workspace and of each of its crates.
fn workspace_files(sub: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join(sub), &mut files);
    if let Ok(crates) = std::fs::read_dir(root.join("crates")) {
        for krate in crates.flatten() {
            rust_files(&krate.path().join(sub), &mut files);
        }
    }
    files.sort();
    files
}

/// The workspace's library and binary sources, each split into its code and
/// its tests (a file's tests are its inline `#[cfg(test)] mod tests { .. }`,
/// always at its end; modules that are tests as a whole are named so).
fn sources() -> Vec<(PathBuf, String, String)> {
    workspace_files("src")
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable source");
            let test_module =
                path.ends_with("catalog/testing.rs") || path.ends_with("engine/tests.rs");
            let (code, tests) = if test_module {
                (String::new(), text)
            } else {
                match text.find("#[cfg(test)]\nmod tests {") {
                    Some(at) => (text[..at].to_owned(), text[at..].to_owned()),
                    None => (text, String::new()),
                }
            };
            (path, code, tests)
        })
        .collect()
}

/// Test code and expectations outside the sources: integration tests and
/// the lab's expected findings.
fn other_tests() -> String {
    let mut text = String::new();
    for file in workspace_files("tests") {
        text.push_str(&std::fs::read_to_string(file).unwrap_or_default());
    }
    text
}

/// The rule's own file: `catalog/<id with underscores>.rs`.
fn own_file(id: &str) -> String {
    format!("catalog/{}.rs", id.replace('-', "_"))
}

#[test]
fn no_code_names_a_finding_by_its_id_outside_the_rule_s_own_file() {
    let sources = sources();
    let mut misplaced: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rule in CATALOG {
        let literal = format!("\"{}\"", rule.id);
        for (path, code, _) in &sources {
            if path.ends_with(own_file(rule.id)) {
                continue;
            }
            for (n, line) in code.lines().enumerate() {
                if line.contains(&literal) && !line.trim_start().starts_with("//") {
                    misplaced
                        .entry(rule.id.to_owned())
                        .or_default()
                        .push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        misplaced.is_empty(),
        "refer to these rules as ipsec_doctor_findings::rules::NAME:\n{misplaced:#?}"
    );
}

#[test]
fn every_rule_is_in_the_catalogue_and_named_once_in_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("crates/findings/src/catalog/mod.rs"))
        .expect("catalog/mod.rs");
    let rules = text
        .split("pub mod rules {")
        .nth(1)
        .and_then(|rest| rest.split("\n}\n").next())
        .expect("the rules module");
    let named: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.split("&super::").nth(1)?.split("::RULE").next())
        .collect();
    assert_eq!(named.len(), CATALOG.len(), "rules and CATALOG differ");
    for rule in CATALOG {
        let module = rule.id.replace('-', "_");
        assert!(
            named.contains(&module.as_str()),
            "{} is not in rules",
            rule.id
        );
    }
}

#[test]
fn every_finding_has_its_documentation_a_matcher_and_a_test() {
    let sources = sources();
    let mut tests: String = sources.iter().map(|(_, _, t)| t.as_str()).collect();
    tests.push_str(&other_tests());
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/scenarios");
    let mut expected = String::new();
    for scenario in std::fs::read_dir(lab).expect("lab scenarios").flatten() {
        for file in ["expected", "expected.strongswan-6.1.0"] {
            expected
                .push_str(&std::fs::read_to_string(scenario.path().join(file)).unwrap_or_default());
        }
    }
    for rule in CATALOG {
        assert!(
            sources
                .iter()
                .any(|(path, ..)| path.ends_with(own_file(rule.id))),
            "{} has no file {}",
            rule.id,
            own_file(rule.id)
        );
        assert!(
            !rule.title.is_empty() && rule.explanation.len() > 80 && !rule.fix.is_empty(),
            "{} is undocumented",
            rule.id
        );
        let name = rule.id.replace('-', "_").to_uppercase();
        // Every matcher the rule names is a function of its own file.
        let own = sources
            .iter()
            .find(|(path, ..)| path.ends_with(own_file(rule.id)))
            .map_or("", |(_, code, _)| code.as_str());
        let declared = own
            .find("static RULE")
            .and_then(|at| own[at..].find("\n};").map(|end| &own[at..at + end]))
            .unwrap_or_default();
        let matchers: Vec<&str> = declared
            .split("Scope::")
            .skip(1)
            .filter_map(|m| {
                let args = m.split_once('(')?.1.split_once(')')?.0;
                Some(args.rsplit(", ").next()?.trim())
            })
            .collect();
        assert_eq!(
            matchers.len(),
            rule.scopes().count(),
            "{}: a matcher is not named in its RULE",
            rule.id
        );
        for m in matchers {
            assert!(
                own.contains(&format!("fn {m}(")),
                "{}'s matcher {m} is not defined in {}",
                rule.id,
                own_file(rule.id)
            );
        }
        let tested = tests.contains(&format!("\"{}\"", rule.id))
            || tests.contains(&format!("rules::{name}"))
            || expected
                .lines()
                .any(|l| l.split_whitespace().any(|w| w == rule.id));
        assert!(tested, "no test names {}", rule.id);
    }
}
