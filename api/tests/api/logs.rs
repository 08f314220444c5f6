//! Log files, through the real binary: JSON lines in a file per day under the data directory,
//! and no more files than `log.keep_days` (which cannot be set below a year).

use std::process::Command;

fn attaka(data: &std::path::Path, keep_days: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_attaka"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("ATTAKA_CONFIG")
        .env("ATTAKA_NODE__ROLE", "hub")
        .env("ATTAKA_NODE__DATA_DIR", data)
        .env("ATTAKA_LOG__KEEP_DAYS", keep_days)
        .env("ATTAKA_LOG__LEVEL", "info")
        .output()
        .expect("run attaka")
}

#[test]
fn the_node_logs_json_lines_to_a_daily_file_and_keeps_at_most_keep_days_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let logs = data.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    // Two years of old daily files.
    let first = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    for day in 0..730 {
        let date = first + chrono::Duration::days(day);
        std::fs::write(logs.join(format!("attaka.{date}.log")), "{}\n").unwrap();
    }
    std::fs::write(logs.join("notes.txt"), "not a log").unwrap();

    let out = attaka(&data, "366", &["migrate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let today = chrono::Utc::now().date_naive();
    let todays = std::fs::read_to_string(logs.join(format!("attaka.{today}.log"))).expect("today's file");
    let line = todays
        .lines()
        .find(|l| l.contains("migrations up to date"))
        .expect("the command's own line");
    let json: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
    assert_eq!(json["level"], "INFO");
    let files: Vec<_> = std::fs::read_dir(&logs)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("attaka.") && n.ends_with(".log"))
        .collect();
    assert_eq!(files.len(), 366, "a year of days, today's included");
    assert!(logs.join("notes.txt").exists(), "other files are left alone");

    // Less than a year is refused at start.
    let out = attaka(&data, "30", &["migrate"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("log.keep_days"));
}
