//! The T-SQL parse test, without a server: every batch of `migrations/sqlserver/*.sql`, every
//! SQL constant of this module (and a check that the `.rs` files hold no SQL literal outside
//! them), and the statistics and extract queries of a matrix of questions all parse with
//! sqlparser's `MsSqlDialect`. What sqlparser cannot parse is on the allow-lists below, which a
//! test keeps exact. Parsing proves syntax only: names, types and semantics are the server's to
//! check (`server_tests`, with `ATTAKA_TEST_MSSQL_URL`).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use sqlparser::dialect::MsSqlDialect;
use sqlparser::parser::Parser;

use super::migrations::{batches, MIGRATIONS};
use super::{extracts, stats, SQL};
use crate::stats::extract::{ExtractKind, ExtractQuery};
use crate::stats::{Dimension, Measure, StatsQuery};

/// Store statements sqlparser 0.64 cannot parse, and why each is still right.
const STORE_ALLOWED: &[(&str, &str)] = &[
    // `EXEC @status = procedure …` (a procedure's return status into a variable): sqlparser's
    // EXECUTE takes no `@var =` before the name. The status tells whether sp_getapplock granted
    // the lock, so the form stays.
    (super::conn::APPLOCK_EXCLUSIVE, "EXEC @status = sp_getapplock"),
    (super::conn::APPLOCK_SHARED, "EXEC @status = sp_getapplock"),
    (
        super::testing::SHARED_LOCK,
        "EXEC @status = sp_getapplock (test support)",
    ),
    // Backups (store/mssql/backup.rs): sqlparser 0.64 has no BACKUP or RESTORE statement at
    // all. Each is written to SQL Server's documented grammar (BACKUP DATABASE { name | @var }
    // TO DISK = { 'file' | @var } WITH …; RESTORE VERIFYONLY / HEADERONLY / DATABASE likewise),
    // every value a parameter. Babelfish refuses all four, so no server here has run them.
    (super::backup::BACKUP, "BACKUP DATABASE (no BACKUP in sqlparser)"),
    (
        super::backup::VERIFY,
        "RESTORE VERIFYONLY (no RESTORE in sqlparser)",
    ),
    (
        super::backup::HEADER,
        "RESTORE HEADERONLY (no RESTORE in sqlparser)",
    ),
    (
        super::backup::RESTORE,
        "RESTORE DATABASE (no RESTORE in sqlparser)",
    ),
    // Test support only: sqlparser has no ALTER DATABASE. SQL Server will not drop a database
    // its pool still holds, so the test helper first sets it SINGLE_USER (Babelfish refuses
    // that, and the helper goes on without it).
    (
        "ALTER DATABASE [attaka_t_0123456789abcdef] SET SINGLE_USER WITH ROLLBACK IMMEDIATE",
        "ALTER DATABASE … SET SINGLE_USER",
    ),
];

/// Migration batches sqlparser cannot parse, with sqlparser's complaint: a computed column
/// (`ADD username_key AS LOWER(username) PERSISTED`, the case-insensitive username key; SQL
/// Server has no index on an expression) is T-SQL that sqlparser's MsSqlDialect does not know.
/// The batch runs on Babelfish in the conformance suite.
const MIGRATION_ALLOWED: &[&str] = &[
    "0017_account_hardening: sql parser error: Expected: end of statement, found: LOWER at Line: 7, Column: 42",
];

/// A statement as it runs: `{rows}` (multi-row VALUES) and `{ids}` (a list of placeholders)
/// filled as the store fills them.
fn expanded(sql: &str) -> String {
    sql.replace("{rows}", &super::conn::value_rows(2, 3))
        .replace("{ids}", &super::conn::placeholders(1, 3))
}

fn parses(sql: &str) -> Result<(), String> {
    Parser::parse_sql(&MsSqlDialect {}, &expanded(sql))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn every_migration_batch_parses_as_t_sql() {
    let mut failing = Vec::new();
    let mut count = 0;
    for (version, name, sql) in MIGRATIONS {
        for batch in batches(sql) {
            count += 1;
            if let Err(e) = parses(&batch) {
                failing.push(format!("{version:04}_{name}: {e}"));
            }
        }
    }
    assert!(count >= MIGRATIONS.len());
    let failing: Vec<&str> = failing.iter().map(String::as_str).collect();
    assert_eq!(failing, MIGRATION_ALLOWED, "batches that do not parse");
}

#[test]
fn every_store_statement_parses_as_t_sql_except_the_allowed_ones() {
    let mut failing = BTreeSet::new();
    for (module, statements) in SQL {
        for sql in *statements {
            if let Err(e) = parses(sql) {
                failing.insert(*sql);
                assert!(
                    STORE_ALLOWED.iter().any(|(s, _)| s == sql),
                    "{module}: {e}\n{sql}"
                );
            }
        }
    }
    let allowed: BTreeSet<&str> = STORE_ALLOWED.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        failing, allowed,
        "the allow-list names exactly what does not parse"
    );
}

/// String literals of a Rust source file up to its unit tests (`mod tests {`).
fn literals(source: &str) -> Vec<String> {
    let code = source.split("mod tests {").next().unwrap_or(source);
    let mut out = Vec::new();
    let mut chars = code.char_indices().peekable();
    let mut in_comment = false;
    let mut prev = ' ';
    while let Some((_, ch)) = chars.next() {
        if in_comment {
            if ch == '\n' {
                in_comment = false;
            }
            prev = ch;
            continue;
        }
        if ch == '/' && prev == '/' {
            in_comment = true;
            continue;
        }
        if ch == '\'' && prev != 'N' {
            // A char literal ('x', '\n') or a lifetime: skip a char literal whole.
            let ahead: String = chars.clone().take(3).map(|(_, c)| c).collect();
            if ahead.chars().nth(1) == Some('\'')
                || (ahead.starts_with('\\') && ahead.chars().nth(2) == Some('\''))
            {
                let skip = if ahead.starts_with('\\') { 3 } else { 2 };
                for _ in 0..skip {
                    chars.next();
                }
            }
            prev = ch;
            continue;
        }
        if ch == '"' && prev != '\\' {
            let mut lit = String::new();
            let mut escaped = false;
            for (_, c) in chars.by_ref() {
                if escaped {
                    lit.push(c);
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    break;
                } else {
                    lit.push(c);
                }
            }
            out.push(lit);
            prev = '"';
            continue;
        }
        prev = ch;
    }
    out
}

/// Whether a literal is (the start of) a SQL statement.
fn looks_like_sql(s: &str) -> bool {
    const STARTS: &[&str] = &[
        "SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH ", "IF ", "EXEC", "DECLARE ", "CREATE ", "DROP ",
        "ALTER ", "BEGIN ", "COMMIT", "ROLLBACK", "SET ", "MERGE ", "BACKUP ", "RESTORE ",
    ];
    let t = s.trim_start();
    // A statement has a keyword and something it acts on (not a bare "CREATE TABLE " to search for).
    STARTS.iter().any(|k| t.starts_with(k)) && t.split_whitespace().count() >= 3
}

#[test]
fn the_store_modules_hold_no_sql_outside_the_registry() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/mssql");
    let registered: BTreeSet<&str> = SQL.iter().flat_map(|(_, s)| s.iter().copied()).collect();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        // Put together at run time, and checked through their builders below; and this file.
        if matches!(
            file.as_str(),
            "stats.rs" | "extracts.rs" | "parse_tests.rs" | "server_tests.rs"
        ) {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        for lit in literals(&source) {
            if !looks_like_sql(&lit) {
                continue;
            }
            seen += 1;
            // testing.rs builds CREATE/DROP/ALTER DATABASE around a generated name; the
            // registry holds the same statements with a sample name.
            // migrate_hub.rs puts a checked, bracket-quoted table name into `{}`; the registry
            // holds each such statement with an example table.
            let templated = (file == "testing.rs"
                && (lit.contains("[{name}]") || lit.contains("[{table}]") || lit.contains("[{child}]")))
                || (file == "migrate_hub.rs" && lit.contains("{}"));
            assert!(
                templated || registered.contains(lit.as_str()),
                "{file}: a SQL literal outside the registry (add it to its module's SQL list):\n{lit}"
            );
        }
    }
    assert!(
        seen >= registered.len() - 10,
        "the scan found the store's SQL ({seen} literals)"
    );
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Questions covering every dimension as a row and as a filter, every measure, whole fiscal
/// years (the year aggregates) and other ranges, with and without category rows.
pub(super) fn questions() -> Vec<StatsQuery> {
    let codes = |d: Dimension| -> Vec<String> {
        match d {
            Dimension::FiscalYear => vec!["FY2024".into()],
            Dimension::Quarter => vec!["FY2024Q1".into(), "FY2024Q2".into()],
            Dimension::Month => vec!["2024-05".into()],
            Dimension::Date => vec!["2024-05-10".into()],
            Dimension::Municipality => vec!["392014".into()],
            Dimension::Region => vec!["aki".into(), "unknown".into()],
            Dimension::Center => vec!["C001".into(), "C002".into()],
            Dimension::Site => vec!["C001-S01".into()],
            Dimension::Function => vec!["tsudoi".into()],
            Dimension::Sex => vec!["F".into()],
            Dimension::AgeBand => vec!["age_75_84".into()],
            Dimension::Group => vec!["elderly".into()],
            Dimension::Category => vec!["disabled".into(), "elderly".into()],
            Dimension::CareLevel => vec!["kaigo1".into()],
            Dimension::Household => vec!["alone".into()],
        }
    };
    let ranges = [
        (d("2024-04-01"), d("2025-03-31")), // a whole fiscal year
        (d("2023-04-01"), d("2025-03-31")), // two
        (d("2024-05-01"), d("2024-06-30")), // part of one: whole months
        (d("2024-04-10"), d("2024-07-20")), // whole months and edge days
    ];
    let mut out = Vec::new();
    for (from, to) in ranges {
        for dim in Dimension::ALL {
            out.push(StatsQuery {
                measures: Measure::ALL.to_vec(),
                dims: vec![dim],
                from,
                to,
                filters: vec![],
            });
            out.push(StatsQuery {
                measures: Measure::ALL.to_vec(),
                dims: vec![Dimension::Municipality, Dimension::FiscalYear],
                from,
                to,
                filters: vec![(dim, codes(dim))],
            });
            out.push(StatsQuery {
                measures: vec![Measure::Participations, Measure::UniquePersons],
                dims: vec![dim, Dimension::Category],
                from,
                to,
                filters: vec![(Dimension::Center, codes(Dimension::Center)), (dim, codes(dim))],
            });
        }
        out.push(StatsQuery {
            measures: Measure::ALL.to_vec(),
            dims: vec![],
            from,
            to,
            filters: vec![],
        });
    }
    out
}

#[test]
fn every_statistics_query_parses_as_t_sql() {
    let mut steps = 0;
    for q in questions() {
        let plan = crate::stats::plan::plan(&q);
        for step in stats::queries(&plan) {
            steps += 1;
            if let Err(e) = parses(&step.sql.text) {
                panic!("{e}\nfor {q:?}\n{}", step.sql.text);
            }
            let placeholders = (1..=step.sql.binds.len()).all(|i| step.sql.text.contains(&format!("@P{i}")));
            assert!(placeholders, "every value is a placeholder: {}", step.sql.text);
        }
    }
    assert!(steps > 300, "the matrix ran {steps} queries");
}

#[test]
fn every_extract_query_parses_as_t_sql() {
    for kind in [
        ExtractKind::Participations,
        ExtractKind::Activities,
        ExtractKind::Persons,
    ] {
        let mut filters: Vec<(Dimension, Vec<String>)> = Vec::new();
        for dim in Dimension::ALL.into_iter().filter(|d| kind.filterable(*d)) {
            filters.push((dim, vec!["x".into(), "y".into()]));
            let q = ExtractQuery {
                kind,
                from: d("2024-04-01"),
                to: d("2025-03-31"),
                filters: filters.clone(),
            };
            let sql = extracts::query(&q);
            if let Err(e) = parses(&sql.text) {
                panic!("{e}\nfor {q:?}\n{}", sql.text);
            }
        }
    }
}

#[test]
fn the_literal_scanner_finds_sql_and_skips_comments_and_chars() {
    let src = "const A: &str = \"SELECT 1 FROM t\"; // \"UPDATE t\"\nlet c = '\"'; let s = \"DELETE FROM t\";\n#[cfg(test)]\nmod tests {\nconst T: &str = \"DROP TABLE x\";";
    let found: Vec<String> = literals(src).into_iter().filter(|l| looks_like_sql(l)).collect();
    assert_eq!(
        found,
        vec!["SELECT 1 FROM t".to_owned(), "DELETE FROM t".to_owned()]
    );
}
