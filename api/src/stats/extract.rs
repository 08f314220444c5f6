//! De-identified record extraction: the three record kinds, their fixed columns (api.md), and
//! how each column is labelled in Japanese. No identity column exists here to leak.

use shared::error::FieldError;

use super::params::{date_range, filters, RawQuery};
use super::{Dimension, Encoding, Format, Labels};
use crate::domain::codes::list;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtractKind {
    Participations,
    Activities,
    Persons,
}

/// How a column's code is labelled with `labels=ja`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelOf {
    None,
    Dim(Dimension),
    /// A `;`-joined list of codes of a master list.
    List(&'static str),
    EndReason,
}

/// `(column name, Japanese header, label)`.
pub type ColumnSpec = (&'static str, &'static str, LabelOf);

impl ExtractKind {
    pub fn name(self) -> &'static str {
        match self {
            ExtractKind::Participations => "participations",
            ExtractKind::Activities => "activities",
            ExtractKind::Persons => "persons",
        }
    }

    /// The columns, exactly as api.md names them.
    pub fn columns(self) -> &'static [ColumnSpec] {
        use Dimension as D;
        use LabelOf::*;
        match self {
            ExtractKind::Participations => &[
                ("activity_id", "活動ID", None),
                ("common_id", "共通利用者番号", None),
                ("center", "センター", Dim(D::Center)),
                ("municipality", "市町村", Dim(D::Municipality)),
                ("site", "サテライト", Dim(D::Site)),
                ("date", "日付", None),
                ("fiscal_year", "年度", Dim(D::FiscalYear)),
                ("function", "機能", Dim(D::Function)),
                ("sex", "性別", Dim(D::Sex)),
                ("age_band", "年齢区分", Dim(D::AgeBand)),
                ("group", "対象区分", Dim(D::Group)),
                ("categories", "該当区分", List(list::CATEGORIES)),
                ("care_level", "要介護度", Dim(D::CareLevel)),
                ("household", "世帯", Dim(D::Household)),
            ],
            ExtractKind::Activities => &[
                ("activity_id", "活動ID", None),
                ("center", "センター", Dim(D::Center)),
                ("municipality", "市町村", Dim(D::Municipality)),
                ("site", "サテライト", Dim(D::Site)),
                ("date", "日付", None),
                ("fiscal_year", "年度", Dim(D::FiscalYear)),
                ("function", "機能", Dim(D::Function)),
                ("participants", "参加者数（登録者）", None),
                ("unregistered_elderly", "未登録 高齢者", None),
                ("unregistered_disabled", "未登録 障害のある人", None),
                ("unregistered_child", "未登録 子ども", None),
                ("unregistered_other", "未登録 それ以外", None),
                ("staff", "職員数", None),
                ("volunteers", "ボランティア数", None),
            ],
            ExtractKind::Persons => &[
                ("common_id", "共通利用者番号", None),
                ("center", "センター", Dim(D::Center)),
                ("municipality", "市町村", Dim(D::Municipality)),
                ("sex", "性別", Dim(D::Sex)),
                ("birth_year_month", "生年月", None),
                ("residence_municipality", "居住市町村", Dim(D::Municipality)),
                ("group", "対象区分", Dim(D::Group)),
                ("categories", "該当区分", List(list::CATEGORIES)),
                ("care_level", "要介護度", Dim(D::CareLevel)),
                ("household", "世帯", Dim(D::Household)),
                ("registered_on", "登録日", None),
                ("ended_on", "終了日", None),
                ("end_reason", "終了理由", EndReason),
            ],
        }
    }

    /// Dimensions a filter may use for this kind.
    pub fn filterable(self, d: Dimension) -> bool {
        match self {
            ExtractKind::Participations => true,
            ExtractKind::Activities => !d.is_personal(),
            ExtractKind::Persons => matches!(
                d,
                Dimension::Municipality
                    | Dimension::Center
                    | Dimension::Sex
                    | Dimension::Group
                    | Dimension::Category
                    | Dimension::CareLevel
                    | Dimension::Household
            ),
        }
    }
}

/// A validated extraction request (before scope is applied).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractRequest {
    pub kind: ExtractKind,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub filters: Vec<(Dimension, Vec<String>)>,
    pub format: Format,
    pub encoding: Encoding,
    pub labels: Labels,
    pub replace_unmappable: bool,
}

/// Parses the query string of `/extracts/{kind}`.
pub fn request(kind: ExtractKind, query_string: &str) -> Result<ExtractRequest, Vec<FieldError>> {
    let q = RawQuery::parse(query_string);
    let mut e = shared::error::FieldErrors::default();
    q.check_known(
        &[
            "from",
            "to",
            "period",
            "filter",
            "format",
            "encoding",
            "labels",
            "on_unmappable",
        ],
        &mut e,
    );
    let range = date_range(&q, &mut e);
    let filters = filters(&q, &mut e);
    for (d, _) in &filters {
        if !kind.filterable(*d) {
            e.push(
                "filter",
                "not_filterable",
                format!("{} の抽出は {} で絞り込めません。", kind.name(), d.code()),
            );
        }
    }
    let format = match q.one("format", &mut e) {
        None | Some("csv") => Format::Csv,
        Some("ndjson") => Format::Ndjson,
        Some(_) => {
            e.push("format", "unknown_value", "format は csv か ndjson です。");
            Format::Csv
        }
    };
    let (encoding, replace_unmappable) = super::params::encoding(&q, &mut e);
    let labels = super::params::labels(&q, &mut e, format);
    e.into_result()?;
    let (from, to) =
        range.ok_or_else(|| vec![FieldError::new("period", "required", "期間を指定してください。")])?;
    Ok(ExtractRequest {
        kind,
        from,
        to,
        filters,
        format,
        encoding,
        labels,
        replace_unmappable,
    })
}

/// A query for the store: the request's range and filters, with the caller's scope applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractQuery {
    pub kind: ExtractKind,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub filters: Vec<(Dimension, Vec<String>)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_are_exactly_those_of_the_contract() {
        let names = |k: ExtractKind| k.columns().iter().map(|c| c.0).collect::<Vec<_>>().join(",");
        assert_eq!(
            names(ExtractKind::Participations),
            "activity_id,common_id,center,municipality,site,date,fiscal_year,function,sex,age_band,group,categories,care_level,household"
        );
        assert_eq!(
            names(ExtractKind::Activities),
            "activity_id,center,municipality,site,date,fiscal_year,function,participants,unregistered_elderly,unregistered_disabled,unregistered_child,unregistered_other,staff,volunteers"
        );
        assert_eq!(
            names(ExtractKind::Persons),
            "common_id,center,municipality,sex,birth_year_month,residence_municipality,group,categories,care_level,household,registered_on,ended_on,end_reason"
        );
    }

    #[test]
    fn no_column_can_hold_identity() {
        for kind in [
            ExtractKind::Participations,
            ExtractKind::Activities,
            ExtractKind::Persons,
        ] {
            for (name, _, _) in kind.columns() {
                for pii in [
                    "name",
                    "kana",
                    "birth_date",
                    "address",
                    "phone",
                    "note",
                    "contact",
                    "title",
                ] {
                    assert!(!name.contains(pii), "{} has {name}", kind.name());
                }
            }
        }
    }

    #[test]
    fn csv_is_the_default_and_persons_cannot_be_filtered_by_function() {
        let r = request(ExtractKind::Activities, "period=FY2024").unwrap();
        assert_eq!(r.format, Format::Csv);
        assert_eq!(r.labels, Labels::Ja);
        let e = request(ExtractKind::Persons, "period=FY2024&filter=function:tsudoi").unwrap_err();
        assert_eq!(e[0].field, "filter");
    }
}
