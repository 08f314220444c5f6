//! Streaming an extract in a view (the HTTP route and the report read the same stream), and
//! `attaka privacy report`: the k-anonymity of an extract as a role would receive it.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::NaiveDate;
use shared::dto::auth::{ExtractGrant, Role, Scope};
use tokio::sync::mpsc;

use super::kanon::{self, Classes, Describe};
use super::{columns, Coarsener, Pseudonyms, View, PSEUDONYM_SECRET};
use crate::auth::policy::{extract_access, ExtractAccess};
use crate::domain::codes::Codes;
use crate::stats::extract::{ExtractKind, ExtractQuery, Rows};
use crate::stats::Dimension;
use crate::store::{CommonStore, StoreResult};

/// How the rows of an extraction are rewritten before they leave.
pub enum Rendering {
    Exact,
    Coarsened {
        codes: Codes,
        pseudonyms: Box<Pseudonyms>,
    },
}

impl Rendering {
    /// The rendering of `view` for `recipient`, keyed with the node's pseudonym secret.
    pub async fn of(store: &dyn CommonStore, view: View, recipient: &str) -> StoreResult<Rendering> {
        Ok(match view {
            View::Exact => Rendering::Exact,
            View::Coarsened => Rendering::Coarsened {
                codes: store.codes().await?,
                pseudonyms: Box::new(Pseudonyms::new(
                    &store.node_secret(PSEUDONYM_SECRET, 32).await?,
                    recipient,
                )),
            },
        })
    }
}

/// The birth year-months of the people registered in the scope of `q` over its period, read
/// through the persons extract (participations carry only the band of each day).
async fn births(store: &Arc<dyn CommonStore>, q: &ExtractQuery) -> StoreResult<HashMap<String, String>> {
    let persons = ExtractQuery {
        kind: ExtractKind::Persons,
        from: q.from,
        to: q.to,
        filters: q
            .filters
            .iter()
            .filter(|(d, _)| matches!(d, Dimension::Municipality | Dimension::Center))
            .cloned()
            .collect(),
    };
    let (tx, mut rx) = mpsc::channel::<Rows>(4);
    let reader = {
        let store = store.clone();
        tokio::spawn(async move { store.extract(&persons, tx).await })
    };
    let mut births = HashMap::new();
    while let Some(rows) = rx.recv().await {
        for r in 0..rows.len() {
            let mut fields = rows.row(r);
            let id = fields.next().unwrap_or_default();
            let birth = fields.nth(3).unwrap_or_default();
            births.entry(id.to_owned()).or_insert_with(|| birth.to_owned());
        }
    }
    reader
        .await
        .map_err(|e| crate::store::StoreError::Other(anyhow::anyhow!("reading the persons: {e}")))??;
    Ok(births)
}

/// Streams the rows of `q` to `out` as `rendering` renders them; returns how many were sent.
pub async fn extract(
    store: Arc<dyn CommonStore>,
    q: ExtractQuery,
    rendering: Rendering,
    out: mpsc::Sender<Rows>,
) -> StoreResult<u64> {
    let (codes, pseudonyms) = match rendering {
        Rendering::Exact => return store.extract(&q, out).await,
        Rendering::Coarsened { codes, pseudonyms } => (codes, pseudonyms),
    };
    let births = if Coarsener::needs_births(q.kind) {
        births(&store, &q).await?
    } else {
        HashMap::new()
    };
    let mut coarsener = Coarsener::new(q.kind, codes, *pseudonyms, q.to, births);
    let (tx, mut rx) = mpsc::channel::<Rows>(4);
    let reader = tokio::spawn(async move { store.extract(&q, tx).await });
    while let Some(rows) = rx.recv().await {
        // The rows are rewritten on a blocking thread: a chunk of hashes and bands is CPU work.
        let (c, rewritten) = tokio::task::spawn_blocking(move || {
            let rewritten = coarsener.apply(rows);
            (coarsener, rewritten)
        })
        .await
        .map_err(|e| crate::store::StoreError::Other(anyhow::anyhow!("coarsening: {e}")))?;
        coarsener = c;
        if out.send(rewritten).await.is_err() {
            break;
        }
    }
    drop(rx);
    reader
        .await
        .map_err(|e| crate::store::StoreError::Other(anyhow::anyhow!("extracting: {e}")))?
}

/// Whom a report is for (`--as`).
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub role: Role,
    pub scope: Scope,
    pub grant: Option<ExtractGrant>,
}

impl Recipient {
    /// `prefecture`, `municipality:392014` or `integrator` (a prefecture-wide token with the
    /// `coarsened` grant; `integrator:detailed` for one with the detailed grant).
    pub fn parse(s: &str) -> Option<Recipient> {
        let (role, scope, grant) = match s.split_once(':') {
            None if s == "prefecture" => (Role::Prefecture, Scope::Prefecture, None),
            None if s == "integrator" => (Role::Integrator, Scope::Prefecture, Some(ExtractGrant::Coarsened)),
            Some(("integrator", g)) => (Role::Integrator, Scope::Prefecture, Some(ExtractGrant::parse(g)?)),
            Some(("municipality", code)) if !code.is_empty() => {
                (Role::Municipality, Scope::Municipality(code.to_owned()), None)
            }
            _ => return None,
        };
        Some(Recipient { role, scope, grant })
    }

    pub fn label(&self) -> String {
        match (&self.scope, self.role) {
            (_, Role::Integrator) => {
                format!("integrator (grant {})", self.grant.unwrap_or_default().as_str())
            }
            (Scope::Prefecture, r) => r.as_str().to_owned(),
            (s, r) => format!("{}:{}", r.as_str(), s.code().unwrap_or_default()),
        }
    }
}

/// What `attaka privacy report` found.
#[derive(Debug, Clone)]
pub struct Report {
    pub kind: ExtractKind,
    pub recipient: String,
    /// `None` when the recipient receives no extract at all.
    pub view: Option<View>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: u64,
    /// Quasi-identifier columns with a value somewhere, and those present but always empty.
    pub measured: Vec<&'static str>,
    pub withheld: Vec<&'static str>,
    /// The quasi-identifiers, then each extension of [`kanon::extensions`].
    pub classes: Vec<(String, Classes)>,
    /// With `--steps`: the exact rows of the same scope and period, described after each step
    /// of coarsening in turn, up to the default view.
    pub steps: Vec<(String, Classes)>,
}

/// The share of people that must be in groups of five or more (the documented goal).
pub const GOAL_PERCENT: f64 = 95.0;

/// Measures the extract of `kind` over `[from, to]` as `recipient` would receive it.
pub async fn run(
    store: Arc<dyn CommonStore>,
    kind: ExtractKind,
    recipient: &Recipient,
    from: NaiveDate,
    to: NaiveDate,
    with_steps: bool,
) -> anyhow::Result<Report> {
    let view = match extract_access(recipient.role, recipient.grant) {
        ExtractAccess::Refused => None,
        ExtractAccess::Exact => Some(View::Exact),
        ExtractAccess::Coarsened => Some(View::Coarsened),
    };
    let mut report = Report {
        kind,
        recipient: recipient.label(),
        view,
        from,
        to,
        rows: 0,
        measured: Vec::new(),
        withheld: Vec::new(),
        classes: Vec::new(),
        steps: Vec::new(),
    };
    let Some(view) = view else {
        return Ok(report);
    };
    let filters = crate::stats::engine::scoped_filters(&[], &recipient.scope).unwrap_or_default();
    let q = ExtractQuery {
        kind,
        from,
        to,
        filters,
    };
    let cols = columns(kind, view);
    if with_steps && kind != ExtractKind::Activities {
        report.steps = measure_steps(&store, &q).await?;
    }
    let rendering = Rendering::of(store.as_ref(), view, "privacy-report").await?;
    let (tx, mut rx) = mpsc::channel::<Rows>(4);
    let stream = tokio::spawn(extract(store, q, rendering, tx));
    let mut measure = kanon::Measure::new(kind, cols);
    let mut filled = vec![false; cols.len()];
    while let Some(rows) = rx.recv().await {
        for r in 0..rows.len() {
            for (i, f) in rows.row(r).enumerate() {
                filled[i] |= !f.is_empty();
            }
        }
        measure.add(&rows);
    }
    stream.await??;
    for (i, (name, _, _)) in cols.iter().enumerate() {
        if kanon::quasi_identifiers(kind).contains(name) {
            if filled[i] {
                report.measured.push(name);
            } else {
                report.withheld.push(name);
            }
        }
    }
    report.rows = measure.rows();
    let mut labels = vec!["quasi-identifiers".to_owned()];
    labels.extend(kanon::extensions(kind).into_iter().map(|(l, _)| l.to_owned()));
    report.classes = labels.into_iter().zip(measure.classes()).collect();
    Ok(report)
}

/// Measures [`steps::steps`] over the exact rows of `q`.
async fn measure_steps(
    store: &Arc<dyn CommonStore>,
    q: &ExtractQuery,
) -> anyhow::Result<Vec<(String, Classes)>> {
    let births = if Coarsener::needs_births(q.kind) {
        births(store, q).await?
    } else {
        HashMap::new()
    };
    let (labels, describe): (Vec<&str>, Vec<Describe>) =
        super::steps::steps(q.kind, store.codes().await?, births, q.to)
            .into_iter()
            .unzip();
    let mut measure = kanon::Measure::with(q.kind.columns(), describe);
    let (tx, mut rx) = mpsc::channel::<Rows>(4);
    let stream = {
        let (store, q) = (store.clone(), q.clone());
        tokio::spawn(async move { store.extract(&q, tx).await })
    };
    while let Some(rows) = rx.recv().await {
        measure.add(&rows);
    }
    stream.await??;
    Ok(labels
        .into_iter()
        .map(str::to_owned)
        .zip(measure.classes())
        .collect())
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let view = match self.view {
            None => "no extract",
            Some(View::Exact) => "exact view",
            Some(View::Coarsened) => "coarsened view",
        };
        writeln!(
            f,
            "privacy report: {} extract as {} ({view}), {} to {}",
            self.kind.name(),
            self.recipient,
            self.from,
            self.to
        )?;
        if self.view.is_none() {
            return writeln!(
                f,
                "this recipient receives no record-level extract (403): nothing to measure"
            );
        }
        if self.kind == ExtractKind::Activities {
            return writeln!(
                f,
                "{} rows; activities carry no person (headcounts only): k-anonymity does not apply",
                self.rows
            );
        }
        let people = self.classes.first().map_or(0, |(_, c)| c.people);
        writeln!(f, "{people} people in {} rows", self.rows)?;
        writeln!(f, "quasi-identifiers: {}", self.measured.join(", "))?;
        if !self.withheld.is_empty() {
            writeln!(f, "withheld (empty): {}", self.withheld.join(", "))?;
        }
        writeln!(f)?;
        writeln!(f, "| described by | people | k = 1 | k < 5 | k < 10 |")?;
        writeln!(f, "|---|--:|--:|--:|--:|")?;
        for (label, c) in &self.classes {
            let mut line = String::new();
            let _ = write!(
                line,
                "| {label} | {} | {:.1} % | {:.1} % | {:.1} % |",
                c.people,
                c.share(c.unique),
                c.share(c.below_5),
                c.share(c.below_10)
            );
            writeln!(f, "{line}")?;
        }
        if !self.steps.is_empty() {
            writeln!(f)?;
            writeln!(
                f,
                "what each step of coarsening does (the exact rows of the same scope and period):"
            )?;
            writeln!(f)?;
            writeln!(f, "| step | people | k = 1 | k < 5 | k < 10 |")?;
            writeln!(f, "|---|--:|--:|--:|--:|")?;
            for (label, c) in &self.steps {
                writeln!(
                    f,
                    "| {label} | {} | {:.1} % | {:.1} % | {:.1} % |",
                    c.people,
                    c.share(c.unique),
                    c.share(c.below_5),
                    c.share(c.below_10)
                )?;
            }
        }
        if let Some((_, c)) = self.classes.first() {
            writeln!(f)?;
            writeln!(
                f,
                "goal k ≥ 5 for {GOAL_PERCENT:.0} % of people on the quasi-identifiers: {} ({:.1} %)",
                if c.k5_for(GOAL_PERCENT) { "met" } else { "NOT met" },
                100.0 - c.share(c.below_5)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_named_as_the_command_line_names_them() {
        assert_eq!(
            Recipient::parse("municipality:392014"),
            Some(Recipient {
                role: Role::Municipality,
                scope: Scope::Municipality("392014".into()),
                grant: None
            })
        );
        let integrator = Recipient::parse("integrator").unwrap();
        assert_eq!(integrator.grant, Some(ExtractGrant::Coarsened));
        assert_eq!(
            Recipient::parse("integrator:detailed").unwrap().grant,
            Some(ExtractGrant::Detailed)
        );
        assert_eq!(Recipient::parse("operator"), None);
        assert_eq!(Recipient::parse("municipality:"), None);
    }
}
