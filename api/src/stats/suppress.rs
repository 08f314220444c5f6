//! Small-cell suppression (秘匿): people-counts 1 ≤ v < k are hidden, and further cells are hidden
//! so that no total or margin gives a hidden cell back.

use std::collections::HashMap;

/// Hides small people-count cells of a table in place; returns how many cells it hid.
///
/// `keys[r]` are row r's dimension values, `values[r][c]` its measures, `people[c]` whether
/// column c counts people, `totals` the grand-total row. For every column and every proper subset
/// of the dimensions, cells sharing their values on that subset form a group whose sum a caller
/// could learn (from `totals` or from another query with fewer `rows`): no group may hold exactly
/// one hidden cell, so a second one — the smallest other non-zero cell — is hidden too.
pub fn suppress(
    keys: &[Vec<String>],
    values: &mut [Vec<Option<u64>>],
    people: &[bool],
    totals: Option<&mut Vec<Option<u64>>>,
    k: u64,
) -> usize {
    if k <= 1 {
        return 0;
    }
    let mut hidden = 0;
    let small = |v: u64| (1..k).contains(&v);
    for row in values.iter_mut() {
        for (c, cell) in row.iter_mut().enumerate() {
            if people.get(c).copied().unwrap_or(false) && cell.is_some_and(small) {
                *cell = None;
                hidden += 1;
            }
        }
    }
    let dims = keys.first().map_or(0, Vec::len);
    // Every proper subset of the dimensions, as a bit mask (the empty set is the grand total).
    let subsets: Vec<u32> = (0..(1u32 << dims))
        .filter(|m| m.count_ones() < dims as u32)
        .collect();
    for c in (0..people.len()).filter(|&c| people[c]) {
        loop {
            let mut changed = false;
            for &mask in &subsets {
                let mut groups: HashMap<Vec<&str>, Vec<usize>> = HashMap::new();
                for (r, key) in keys.iter().enumerate() {
                    let group: Vec<&str> = (0..dims)
                        .filter(|d| mask & (1 << d) != 0)
                        .map(|d| key[d].as_str())
                        .collect();
                    groups.entry(group).or_default().push(r);
                }
                for rows in groups.values() {
                    let hidden_here = rows.iter().filter(|&&r| values[r][c].is_none()).count();
                    if hidden_here != 1 || rows.len() < 2 {
                        continue;
                    }
                    let partner = rows
                        .iter()
                        .filter_map(|&r| values[r][c].map(|v| (v == 0, v, r)))
                        .min()
                        .map(|(_, _, r)| r);
                    if let Some(r) = partner {
                        values[r][c] = None;
                        hidden += 1;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }
    if let Some(totals) = totals {
        for (c, cell) in totals.iter_mut().enumerate() {
            if people.get(c).copied().unwrap_or(false) && cell.is_some_and(small) {
                *cell = None;
                hidden += 1;
            }
        }
    }
    hidden
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn a_small_cell_is_hidden_with_a_partner_so_the_total_cannot_reveal_it() {
        let k = keys(&[&["392014"], &["393061"], &["392022"]]);
        let mut v = vec![vec![Some(120)], vec![Some(3)], vec![Some(40)]];
        let mut totals = vec![Some(163)];
        let n = suppress(&k, &mut v, &[true], Some(&mut totals), 10);
        assert_eq!(v, [vec![Some(120)], vec![None], vec![None]]);
        assert_eq!(n, 2);
        assert_eq!(totals, [Some(163)]);
    }

    #[test]
    fn counts_of_events_are_never_hidden() {
        let k = keys(&[&["a"], &["b"]]);
        let mut v = vec![vec![Some(3), Some(3)], vec![Some(50), Some(50)]];
        suppress(&k, &mut v, &[true, false], None, 10);
        assert_eq!(v, [vec![None, Some(3)], vec![None, Some(50)]]);
    }

    #[test]
    fn zero_is_not_small_and_no_threshold_hides_nothing() {
        let k = keys(&[&["a"], &["b"], &["c"]]);
        let mut v = vec![vec![Some(0)], vec![Some(12)], vec![Some(20)]];
        assert_eq!(suppress(&k, &mut v, &[true], None, 10), 0);
        let mut v2 = vec![vec![Some(1)], vec![Some(12)], vec![Some(20)]];
        assert_eq!(suppress(&k, &mut v2, &[true], None, 0), 0);
    }

    #[test]
    fn in_two_dimensions_every_margin_keeps_zero_or_two_hidden_cells() {
        // municipality × function
        let k = keys(&[&["m1", "f1"], &["m1", "f2"], &["m2", "f1"], &["m2", "f2"]]);
        let mut v = vec![vec![Some(2)], vec![Some(30)], vec![Some(40)], vec![Some(50)]];
        suppress(&k, &mut v, &[true], None, 10);
        for mask in 0..3u32 {
            let mut groups: HashMap<Vec<&str>, usize> = HashMap::new();
            for (r, key) in k.iter().enumerate() {
                let g: Vec<&str> = (0..2)
                    .filter(|d| mask & (1 << d) != 0)
                    .map(|d| key[d].as_str())
                    .collect();
                *groups.entry(g).or_default() += usize::from(v[r][0].is_none());
            }
            assert!(groups.values().all(|&n| n != 1), "mask {mask}: {v:?}");
        }
        assert_eq!(v[0][0], None);
    }

    #[test]
    fn a_small_total_is_hidden_too() {
        let k = keys(&[&["a"]]);
        let mut v = vec![vec![Some(4)]];
        let mut totals = vec![Some(4)];
        suppress(&k, &mut v, &[true], Some(&mut totals), 10);
        assert_eq!(totals, [None]);
    }
}
