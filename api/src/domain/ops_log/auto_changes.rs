//! The changes a node records about itself when it starts: a version it has not run before
//! (`release:<version>`) and the migrations applied since the last one recorded
//! (`schema:<highest version>`). Each is keyed, so several processes starting on one database
//! record it once, and a restart records nothing new.

use chrono::{DateTime, Utc};

use super::ChangeRecord;

/// A migration as the database lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: u32,
    pub name: String,
    pub applied_at: DateTime<Utc>,
    /// Recorded but not for this node's role (nothing ran).
    pub skipped: bool,
}

/// An automatic change to record under `key` unless one is there already.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoChange {
    pub key: String,
    pub record: ChangeRecord,
}

/// The version in a `release:` key.
pub fn release_of(key: &str) -> Option<&str> {
    key.strip_prefix("release:")
}

/// The highest migration in a `schema:` key.
pub fn schema_of(key: &str) -> Option<u32> {
    key.strip_prefix("schema:")?.parse().ok()
}

/// What to record at a start of `version` at `now`, given the migrations the database lists and
/// the newest `release:` and `schema:` keys already recorded.
pub fn plan(
    version: &str,
    migrations: &[AppliedMigration],
    last_release: Option<&str>,
    last_schema: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<AutoChange> {
    let mut out = Vec::new();
    let recorded = last_schema.and_then(schema_of).unwrap_or(0);
    let new: Vec<&AppliedMigration> = migrations
        .iter()
        .filter(|m| m.version > recorded && !m.skipped)
        .collect();
    if let Some(highest) = migrations
        .iter()
        .map(|m| m.version)
        .max()
        .filter(|h| *h > recorded)
    {
        let names: Vec<String> = new
            .iter()
            .map(|m| format!("{:04}_{}", m.version, m.name))
            .collect();
        let summary = if recorded == 0 {
            format!(
                "データベースを作成（移行 {} 件を適用: {}）",
                names.len(),
                names.join(", ")
            )
        } else {
            format!("データベース移行を適用: {}", names.join(", "))
        };
        out.push(AutoChange {
            key: format!("schema:{highest}"),
            record: ChangeRecord {
                // When the first of them ran, which the database records itself.
                changed_at: new.iter().map(|m| m.applied_at).min().unwrap_or(now).min(now),
                kind: "schema".into(),
                summary,
                reason: format!(
                    "Attaka {version} が必要とするデータベースの形にするため（起動時に自動適用）"
                ),
                impact: "適用中はノードが起動しません（数秒）。記録されたデータの意味は変わりません。".into(),
                work_minutes: 0,
            },
        });
    }
    let previous = last_release.and_then(release_of);
    if previous != Some(version) {
        let summary = match previous {
            Some(p) => format!("Attaka を {p} から {version} に更新"),
            None => format!("Attaka {version} で稼働を開始（この記録の始まり）"),
        };
        out.push(AutoChange {
            key: format!("release:{version}"),
            record: ChangeRecord {
                changed_at: now,
                kind: "release".into(),
                summary,
                reason: "新しい版の導入（起動時に自動記録）".into(),
                impact: "更新の間はノードを停止します。変更点はリリースノートを参照してください。".into(),
                work_minutes: 0,
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn migration(version: u32, name: &str, at: &str, skipped: bool) -> AppliedMigration {
        AppliedMigration {
            version,
            name: name.into(),
            applied_at: t(at),
            skipped,
        }
    }

    #[test]
    fn the_first_start_records_the_database_and_the_version() {
        let ms = [
            migration(1, "init", "2025-04-01T00:00:00Z", false),
            migration(2, "center_identity", "2025-04-01T00:00:01Z", true),
        ];
        let now = t("2025-04-01T00:00:05Z");
        let plan = plan("0.1.0", &ms, None, None, now);
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[0].key, "schema:2");
        assert_eq!(plan[0].record.changed_at, t("2025-04-01T00:00:00Z"));
        assert!(plan[0].record.summary.contains("0001_init"));
        assert!(
            !plan[0].record.summary.contains("center_identity"),
            "skipped ones did not run"
        );
        assert_eq!(plan[1].key, "release:0.1.0");
        assert!(plan[1].record.summary.contains("稼働を開始"));
    }

    #[test]
    fn an_upgrade_records_the_new_migrations_and_the_version_and_a_restart_nothing() {
        let ms = [
            migration(1, "init", "2025-04-01T00:00:00Z", false),
            migration(19, "ops_log", "2025-06-01T01:00:00Z", false),
        ];
        let now = t("2025-06-01T01:00:02Z");
        let plan1 = plan("0.2.0", &ms, Some("release:0.1.0"), Some("schema:1"), now);
        assert_eq!(
            plan1.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(),
            ["schema:19", "release:0.2.0"]
        );
        assert_eq!(plan1[0].record.summary, "データベース移行を適用: 0019_ops_log");
        assert_eq!(plan1[1].record.summary, "Attaka を 0.1.0 から 0.2.0 に更新");
        assert!(plan("0.2.0", &ms, Some("release:0.2.0"), Some("schema:19"), now).is_empty());
    }
}
