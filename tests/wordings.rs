//! The daemons' wordings, one table per daemon (`docs/wordings/*.tsv`):
//! every message the catalogue relies on, each variant with the versions
//! that print it, the source file, and a sample line as the daemon prints
//! it. Each row is a test: its `matches_ours` column must say whether the
//! parsers read the sample today, so that a wording that was read and no
//! longer is fails here, and one newly read must be marked so. After a
//! change that reads more, `UPDATE_WORDINGS=1 cargo test --test wordings`
//! rewrites the column; the count of wordings read only goes up
//! ([`READ_AT_LEAST`]).

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use std::path::PathBuf;

use ipsec_doctor_events::{
    may_matter, parse_charon, parse_pluto, parse_racoon, CharonEvent, PlutoEvent, RacoonEvent,
};

/// Rows (of all tables) whose sample the parsers read.
const READ_AT_LEAST: usize = 361;

fn table(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs/wordings")
        .join(name)
}

/// Whether the parsers read a sample line of this table.
fn reads(table: &str, sample: &str) -> bool {
    let charon = || parse_charon(sample) != CharonEvent::Unrecognized && may_matter(sample);
    let pluto = || parse_pluto(sample).event != PlutoEvent::Unrecognized;
    match table {
        "charon.tsv" => charon(),
        "pluto.tsv" => pluto(),
        "racoon.tsv" => parse_racoon(sample).event != RacoonEvent::Unrecognized,
        // Refusals of strongSwan's loaders and of pluto alike.
        _ => charon() || pluto(),
    }
}

#[test]
fn every_wording_in_the_tables_is_read_as_the_table_says() {
    let update = std::env::var_os("UPDATE_WORDINGS").is_some();
    let mut wrong = Vec::new();
    let (mut rows, mut read) = (0, 0);
    for name in ["charon.tsv", "pluto.tsv", "racoon.tsv", "config-load.tsv"] {
        let path = table(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let col = |key: &str| header.iter().position(|h| *h == key).unwrap();
        let (matches, sample) = (
            col("matches_ours"),
            header
                .iter()
                .position(|h| *h == "sample" || *h == "sample_rendering")
                .unwrap(),
        );
        let mut out = vec![header.join("\t")];
        for (n, line) in lines.enumerate() {
            let mut fields: Vec<String> = line.split('\t').map(str::to_owned).collect();
            assert_eq!(fields.len(), header.len(), "{name}:{}: columns", n + 2);
            rows += 1;
            let is_read = reads(name, &fields[sample]);
            read += usize::from(is_read);
            let now = if is_read { "yes" } else { "no" };
            if fields[matches] != now {
                wrong.push(format!(
                    "{name}:{}: table says {}, parsers say {now}: {}",
                    n + 2,
                    fields[matches],
                    fields[sample]
                ));
                fields[matches] = now.to_owned();
            }
            out.push(fields.join("\t"));
        }
        if update {
            std::fs::write(&path, out.join("\n") + "\n").unwrap();
        }
    }
    println!("wordings: {read} of {rows} read");
    assert!(rows >= 400, "the tables have {rows} rows");
    assert!(
        update || wrong.is_empty(),
        "{} row(s) differ; after a deliberate change run UPDATE_WORDINGS=1 cargo test --test wordings:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(read >= READ_AT_LEAST, "only {read} wordings read");
}
