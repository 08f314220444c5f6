//! Organisation: municipalities, centres and their sites.

use chrono::NaiveDate;
use shared::common_id::CenterCode;
use shared::dto::master::{CenterInput, CenterView, SiteInput, SiteView};
use shared::error::{FieldError, FieldErrors};
use shared::municipality::MunicipalityCode;

#[derive(Debug, Clone, PartialEq)]
pub struct Center {
    pub code: String,
    pub name: String,
    pub municipality: String,
    pub operator_body: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
}

impl Center {
    pub fn is_open_on(&self, on: NaiveDate) -> bool {
        self.opened_on <= on && self.closed_on.is_none_or(|c| on <= c)
    }

    pub fn to_view(&self) -> CenterView {
        CenterView {
            code: self.code.clone(),
            name: self.name.clone(),
            municipality: self.municipality.clone(),
            operator_body: self.operator_body.clone(),
            opened_on: self.opened_on,
            closed_on: self.closed_on,
        }
    }

    pub fn parse(input: &CenterInput) -> Result<Center, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        let code = e
            .take("code", CenterCode::parse(&input.code))
            .map(|c| c.to_string());
        let municipality = e
            .take("municipality", MunicipalityCode::parse(&input.municipality))
            .map(|m| m.to_string());
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            e.push("name", "required", "名称を100文字以内で入力してください。");
        }
        check_dates(&mut e, input.opened_on, input.closed_on);
        e.into_result()?;
        Ok(Center {
            code: code.unwrap_or_default(),
            name: name.to_owned(),
            municipality: municipality.unwrap_or_default(),
            operator_body: input.operator_body.trim().to_owned(),
            opened_on: input.opened_on,
            closed_on: input.closed_on,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub code: String,
    pub center: String,
    pub name: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
}

impl Site {
    pub fn to_view(&self) -> SiteView {
        SiteView {
            code: self.code.clone(),
            center: self.center.clone(),
            name: self.name.clone(),
            opened_on: self.opened_on,
            closed_on: self.closed_on,
        }
    }

    /// A site code is the centre code, `-S` and two digits: `C001-S01`.
    pub fn parse(center: &str, input: &SiteInput) -> Result<Site, Vec<FieldError>> {
        let mut e = FieldErrors::default();
        let code = input.code.trim().to_ascii_uppercase();
        let ok = code
            .strip_prefix(center)
            .and_then(|rest| rest.strip_prefix("-S"))
            .is_some_and(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit()) && n != "00");
        if !ok {
            e.push(
                "code",
                "format",
                format!("サテライトのコードは {center}-S01 の形で入力してください。"),
            );
        }
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            e.push("name", "required", "名称を100文字以内で入力してください。");
        }
        check_dates(&mut e, input.opened_on, input.closed_on);
        e.into_result()?;
        Ok(Site {
            code,
            center: center.to_owned(),
            name: name.to_owned(),
            opened_on: input.opened_on,
            closed_on: input.closed_on,
        })
    }
}

fn check_dates(e: &mut FieldErrors, opened_on: NaiveDate, closed_on: Option<NaiveDate>) {
    if closed_on.is_some_and(|c| c < opened_on) {
        e.push("closed_on", "before_open", "終了日が開始日より前です。");
    }
}
