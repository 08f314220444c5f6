//! The five regional offices (福祉保健所) of Kochi Prefecture and the municipalities each
//! covers, for the demo and the generated data. A plausible assignment from the offices'
//! public areas, TO BE CONFIRMED BY THE PREFECTURE before it is entered on a real hub:
//! 高知市 (a core city, 中核市) runs its own public health centre and belongs to none of them,
//! so its figures show under 所属なし in a breakdown by region.

use chrono::NaiveDate;

use crate::domain::audit::AuditDraft;
use crate::domain::region::{Membership, Region};
use crate::store::CommonStore;

/// `(code, name, municipality codes)`, in the prefecture's usual east-to-west order.
pub const LAYOUT: [(&str, &str, &[&str]); 5] = [
    (
        "aki",
        "安芸福祉保健所",
        &[
            "392022", "392031", "393011", "393029", "393037", "393045", "393053", "393061", "393070",
        ],
    ),
    (
        "chuo-east",
        "中央東福祉保健所",
        &[
            "392049", "392111", "392120", "393410", "393444", "393631", "393649",
        ],
    ),
    (
        "chuo-west",
        "中央西福祉保健所",
        &["392057", "393860", "393878", "394025", "394033", "394106"],
    ),
    (
        "susaki",
        "須崎福祉保健所",
        &["392065", "394017", "394050", "394114", "394122"],
    ),
    (
        "hata",
        "幡多福祉保健所",
        &["392081", "392090", "392103", "394246", "394271", "394289"],
    ),
];

/// The regions of [`LAYOUT`], valid and with every membership from `since` (an April 1st).
pub fn kochi_regions(since: NaiveDate) -> Vec<Region> {
    LAYOUT
        .iter()
        .enumerate()
        .map(|(i, (code, name, municipalities))| Region {
            code: (*code).to_owned(),
            name: (*name).to_owned(),
            sort_order: i32::try_from(i + 1).unwrap_or(i32::MAX),
            valid_from: since,
            valid_to: None,
            members: municipalities
                .iter()
                .map(|m| Membership {
                    municipality: (*m).to_owned(),
                    valid_from: since,
                    valid_to: None,
                })
                .collect(),
        })
        .collect()
}

/// Writes the five regions unless the store already has regions (the prefecture's own stay as
/// they are). Returns how many were written.
pub async fn seed(store: &dyn CommonStore, since: NaiveDate) -> anyhow::Result<usize> {
    if !store.regions().await?.is_empty() {
        return Ok(0);
    }
    let regions = kochi_regions(since);
    for r in &regions {
        let row: AuditDraft<Region> = crate::ops::audit::by_cli("region.put", Some(r.code.clone()), None);
        store.put_region(r, row).await?;
    }
    Ok(regions.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_offices_cover_every_municipality_but_kochi_city_once() {
        let mut all: Vec<&str> = LAYOUT.iter().flat_map(|(_, _, m)| m.iter().copied()).collect();
        all.sort_unstable();
        let n = all.len();
        all.dedup();
        assert_eq!(all.len(), n, "a municipality in two regions");
        assert_eq!(n, 33);
        assert!(!all.contains(&"392014"));
        let sql = include_str!("../../../migrations/sqlite/0002_master_data.sql");
        for m in all {
            assert!(sql.contains(&format!("('{m}'")), "{m} is no municipality");
        }
    }
}
