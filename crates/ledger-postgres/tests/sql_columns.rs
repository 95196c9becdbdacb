//! The raw SQL in `src/sql/*.sql` against the diesel schema (`schema.rs`):
//! every table and column it writes exists, and the posting's inserts list
//! every column of their table but the ones named here with the reason they
//! are left out — a column added to the schema and forgotten by the insert
//! (how `reverses_id` went missing) fails this test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn src(path: &str) -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// table → columns, from `diesel::table! { name (pk) { col -> Type, … } }`.
fn schema() -> BTreeMap<String, BTreeSet<String>> {
    let text = src("src/schema.rs");
    let mut tables = BTreeMap::new();
    for block in text.split("diesel::table! {").skip(1) {
        let name = block.split_whitespace().next().unwrap().to_owned();
        let body = block.split_once('{').unwrap().1.split_once('}').unwrap().0;
        let columns = body
            .lines()
            .filter_map(|l| l.split_once("->").map(|(c, _)| c.trim().to_owned()))
            .collect();
        tables.insert(name, columns);
    }
    tables
}

fn sql_files() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/sql");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            // comments out, whitespace folded
            let code: String = text
                .lines()
                .map(|l| l.split_once("--").map_or(l, |(c, _)| c))
                .collect::<Vec<_>>()
                .join(" ");
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                code.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    files.sort();
    files
}

/// `(table, columns)` of every `INSERT INTO t (a, b)` and `UPDATE t x SET a = …, b = …`.
fn writes(sql: &str) -> Vec<(String, Vec<String>, bool)> {
    let mut out = Vec::new();
    for part in sql.split("INSERT INTO ").skip(1) {
        let (table, rest) = part.split_once(" (").unwrap();
        let cols = rest
            .split_once(')')
            .unwrap()
            .0
            .split(',')
            .map(|c| c.trim().to_owned())
            .collect();
        out.push((table.trim().to_owned(), cols, true));
    }
    for part in sql.split("UPDATE ").skip(1) {
        if part.starts_with("OF ") || part.starts_with("SET ") {
            // FOR UPDATE OF b: a lock, not a write; ON CONFLICT … DO UPDATE SET:
            // the columns of the INSERT it belongs to, checked with it
            continue;
        }
        let table = part.split_whitespace().next().unwrap().to_owned();
        let set = part.split_once(" SET ").unwrap().1;
        let set = set.split(" FROM ").next().unwrap().split(" WHERE ").next().unwrap();
        // assignments are `col = expr` at the top level, separated by commas
        let mut cols = Vec::new();
        let mut depth = 0i32;
        let mut current = String::new();
        for ch in set.chars() {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    cols.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(ch);
        }
        cols.push(current);
        let cols = cols
            .iter()
            .map(|a| a.split_once('=').unwrap().0.trim().to_owned())
            .collect();
        out.push((table, cols, false));
    }
    out
}

#[test]
fn every_column_the_sql_files_write_exists_in_schema_rs() {
    let schema = schema();
    let mut checked = 0;
    for (file, sql) in sql_files() {
        for (table, cols, _) in writes(&sql) {
            let known = schema
                .get(&table)
                .unwrap_or_else(|| panic!("{file}: no table {table} in schema.rs"));
            for c in &cols {
                assert!(known.contains(c), "{file}: {table}.{c} is not in schema.rs");
                checked += 1;
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} columns found: is the parser still reading the files?"
    );
}

#[test]
fn the_posting_inserts_every_column_of_its_tables() {
    let schema = schema();
    // columns a new row leaves to later writes, and why
    let later: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("transactions", &["reversed_by_id"][..]), // set when a reversal of it is stored
        ("entries", &[][..]),
        ("account_day_sums", &[][..]),
    ]);
    let posting = sql_files().into_iter().find(|(f, _)| f == "write_batch.sql").unwrap().1;
    let inserts: Vec<_> = writes(&posting).into_iter().filter(|(_, _, insert)| *insert).collect();
    assert_eq!(inserts.len(), 3);
    for (table, cols, _) in inserts {
        let written: BTreeSet<String> = cols.into_iter().collect();
        let left_out: BTreeSet<String> = later[table.as_str()].iter().map(|s| (*s).to_owned()).collect();
        let expected: BTreeSet<String> = schema[&table].difference(&left_out).cloned().collect();
        assert_eq!(
            written, expected,
            "INSERT INTO {table} must list every column (or say why not)"
        );
    }
}
