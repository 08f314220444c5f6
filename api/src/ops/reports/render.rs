//! A report written out: Markdown (`attaka ops report`) and CSV for Excel (UTF-8 with BOM and
//! CRLF, as the statistics CSV): the title and period, then each section's heading, its figures
//! as `label,value,number` lines and its table with a header line.

use std::fmt::Write as _;

use shared::dto::ops_report::OpsReport;

use super::figures::jst_text;

fn md_cell(s: &str) -> String {
    s.replace('|', "｜").replace(['\r', '\n'], " ")
}

/// The report as Markdown.
pub fn markdown(r: &OpsReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} {}（{}）", r.title, r.period_label, r.node);
    let _ = writeln!(
        out,
        "\n対象期間: {} 〜 {}　作成: {}",
        r.from.format("%Y-%m-%d"),
        r.to.format("%Y-%m-%d"),
        jst_text(r.generated_at)
    );
    for s in &r.sections {
        let _ = writeln!(out, "\n## {}\n", s.heading);
        for f in &s.facts {
            let _ = writeln!(out, "- {}: {}", f.label, f.value);
        }
        if let Some(t) = &s.table {
            if !s.facts.is_empty() {
                out.push('\n');
            }
            if t.rows.is_empty() {
                let _ = writeln!(out, "該当なし");
            } else {
                let header: Vec<String> = t.columns.iter().map(|c| md_cell(&c.label)).collect();
                let _ = writeln!(out, "| {} |", header.join(" | "));
                let _ = writeln!(out, "|{}|", vec!["---"; t.columns.len()].join("|"));
                for row in &t.rows {
                    let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
                    let _ = writeln!(out, "| {} |", cells.join(" | "));
                }
            }
        }
        if let Some(note) = &s.note {
            let _ = writeln!(out, "\n{note}");
        }
    }
    out
}

/// The report as CSV for Excel: UTF-8 with BOM, CRLF.
pub fn csv(r: &OpsReport) -> anyhow::Result<Vec<u8>> {
    let mut w = ::csv::WriterBuilder::new()
        .flexible(true)
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::from(crate::stats::csv_out::BOM));
    w.write_record([r.title.as_str(), r.period_label.as_str(), r.node.as_str()])?;
    w.write_record([
        "対象期間",
        &r.from.format("%Y-%m-%d").to_string(),
        &r.to.format("%Y-%m-%d").to_string(),
    ])?;
    w.write_record(["作成", &jst_text(r.generated_at)])?;
    for s in &r.sections {
        w.write_record([""])?;
        w.write_record([format!("■ {}", s.heading)])?;
        for f in &s.facts {
            let number = f.number.map(|n| n.to_string()).unwrap_or_default();
            w.write_record([f.label.as_str(), f.value.as_str(), number.as_str()])?;
        }
        if let Some(t) = &s.table {
            w.write_record(t.columns.iter().map(|c| c.label.as_str()))?;
            for row in &t.rows {
                w.write_record(row)?;
            }
        }
        if let Some(note) = &s.note {
            w.write_record([note.as_str()])?;
        }
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("writing the CSV: {e}"))
}
