//! The README's list of findings is generated from the catalogue, so it
//! cannot go stale: this test fails when they differ, and rewrites the list
//! when run with `UPDATE_README=1`.

use ipsec_doctor_findings::CATALOG;

const START: &str =
    "<!-- catalog:start (generated from the catalogue; `cargo test` fails when it is stale) -->\n";
const END: &str = "<!-- catalog:end -->";

fn generated() -> String {
    let mut out = String::from("| id | severity | finding |\n|---|---|---|\n");
    for rule in CATALOG {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            rule.id, rule.severity, rule.title
        ));
    }
    out
}

#[test]
fn readme_lists_every_finding_of_the_catalogue() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let start = readme.find(START).expect("catalog start marker") + START.len();
    let end = readme.find(END).expect("catalog end marker");
    let want = generated();
    if readme[start..end] != want {
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!("{}{}{}", &readme[..start], want, &readme[end..]);
            std::fs::write(path, updated).expect("README.md written");
        } else {
            panic!("README.md's finding list is stale; run `UPDATE_README=1 cargo test --test readme`.\nExpected:\n{want}");
        }
    }
}
