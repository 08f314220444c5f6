//! What the four kinds of record of the operations log share: where a record came from and the
//! check of a code. The records are in `inquiry`, `incident` and `change` (with maintenance
//! windows).

use shared::dto::ops_log::codes;
use shared::error::FieldErrors;

/// Whether a record was entered by someone or made by the node itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Manual,
    /// An incident opened by an alert event, a change recorded at start.
    Automatic,
}

pub(super) fn code(
    e: &mut FieldErrors,
    field: &str,
    label: &str,
    list: &[(&str, &str)],
    value: &str,
) -> String {
    let value = value.trim();
    if !codes::contains(list, value) {
        e.push(
            field,
            "unknown_code",
            format!("{label}の区分が正しくありません。"),
        );
    }
    value.to_owned()
}
