//! Small-cell suppression (秘匿): people-counts 1 ≤ v < k are hidden, and further cells are hidden
//! so that no total or margin gives a hidden cell back.

use std::collections::HashMap;

/// Columns whose values add up on a row: `whole` = Σ `parts` wherever the row's values say
/// so. 延べ利用者数 and the 訪問・相談・つなぎ counts: on a row of those functions alone (a 相談 row,
/// or a filter to them) the participations are the sum of the visits, consultations and
/// referrals, so each is the others' complement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    pub whole: usize,
    pub parts: Vec<usize>,
}

/// Hides small people-count cells of a table in place; returns how many cells it hid.
///
/// `keys[r]` are row r's dimension values, `values[r][c]` its measures, `people[c]` whether
/// column c counts people, `totals` the grand-total row. For every column and every proper subset
/// of the dimensions, cells sharing their values on that subset form a group whose sum a caller
/// could learn (from `totals` or from another query with fewer `rows`): no group may hold exactly
/// one hidden cell, so a second one — the smallest other non-zero cell — is hidden too. The
/// cells of a row (and of the totals) that `linked` says add up form a group of the same kind.
/// A partner is taken, where there is a choice, where it obliges no linked cell (see
/// [`burden`]), so linked columns come to hide the same rows or none.
pub fn suppress(
    keys: &[Vec<String>],
    values: &mut [Vec<Option<u64>>],
    people: &[bool],
    linked: &[Linked],
    totals: Option<&mut Vec<Option<u64>>>,
    k: u64,
) -> usize {
    if k <= 1 {
        return 0;
    }
    let mut hidden = 0;
    let small = |v: u64| (1..k).contains(&v);
    let is_people = |c: usize| people.get(c).copied().unwrap_or(false);
    // The true values, for the linked sums (a hidden cell still adds up with the others).
    let exact: Vec<Vec<u64>> = values
        .iter()
        .map(|row| row.iter().map(|v| v.unwrap_or(0)).collect())
        .collect();
    for row in values.iter_mut() {
        for (c, cell) in row.iter_mut().enumerate() {
            if is_people(c) && cell.is_some_and(small) {
                *cell = None;
                hidden += 1;
            }
        }
    }
    let mut totals = totals;
    let exact_totals: Option<Vec<u64>> = totals
        .as_ref()
        .map(|t| t.iter().map(|v| v.unwrap_or(0)).collect());
    if let Some(t) = totals.as_deref_mut() {
        for (c, cell) in t.iter_mut().enumerate() {
            if is_people(c) && cell.is_some_and(small) {
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
    loop {
        let mut changed = false;
        for c in (0..people.len()).filter(|&c| people[c]) {
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
                        .filter_map(|&r| {
                            let v = values[r][c]?;
                            Some((burden(&values[r], &exact[r], linked, c), v == 0, v, r))
                        })
                        .min()
                        .map(|(_, _, _, r)| r);
                    if let Some(r) = partner {
                        values[r][c] = None;
                        hidden += 1;
                        changed = true;
                    }
                }
            }
        }
        for (r, row) in values.iter_mut().enumerate() {
            let n = hide_linked(row, &exact[r], linked);
            hidden += n;
            changed |= n > 0;
        }
        if let (Some(t), Some(exact)) = (totals.as_deref_mut(), &exact_totals) {
            let n = hide_linked(t, exact, linked);
            hidden += n;
            changed |= n > 0;
        }
        if !changed {
            break;
        }
    }
    hidden
}

/// Whether hiding column `c` of a row would oblige a further cell: some linked sum holds on
/// the row with none of its cells hidden yet. Such a cell is a poor partner — on a 相談 row the
/// participations equal the consultations, which another query can total — so partners are
/// taken elsewhere first, or where a linked column is hidden already.
fn burden(row: &[Option<u64>], exact: &[u64], linked: &[Linked], c: usize) -> bool {
    linked
        .iter()
        .filter(|l| l.whole == c || l.parts.contains(&c))
        .any(|l| {
            let sum: u64 = l.parts.iter().map(|&p| exact.get(p).copied().unwrap_or(0)).sum();
            let cells = || std::iter::once(l.whole).chain(l.parts.iter().copied());
            exact.get(l.whole).copied() == Some(sum)
                && cells().all(|o| row.get(o).is_some_and(Option::is_some))
        })
}

/// In one row: where a linked sum holds on the true values and exactly one of its cells is
/// hidden, hides the smallest other non-zero one. Returns how many it hid.
fn hide_linked(row: &mut [Option<u64>], exact: &[u64], linked: &[Linked]) -> usize {
    let mut hidden = 0;
    for l in linked {
        let sum: u64 = l.parts.iter().map(|&p| exact.get(p).copied().unwrap_or(0)).sum();
        if exact.get(l.whole).copied() != Some(sum) {
            continue;
        }
        let cells: Vec<usize> = std::iter::once(l.whole).chain(l.parts.iter().copied()).collect();
        if cells.iter().filter(|&&c| row[c].is_none()).count() != 1 {
            continue;
        }
        let partner = cells
            .iter()
            .filter_map(|&c| row[c].map(|v| (v == 0, v, c)))
            .min()
            .map(|(_, _, c)| c);
        if let Some(c) = partner {
            row[c] = None;
            hidden += 1;
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
        let n = suppress(&k, &mut v, &[true], &[], Some(&mut totals), 10);
        assert_eq!(v, [vec![Some(120)], vec![None], vec![None]]);
        assert_eq!(n, 2);
        assert_eq!(totals, [Some(163)]);
    }

    #[test]
    fn counts_of_events_are_never_hidden() {
        let k = keys(&[&["a"], &["b"]]);
        let mut v = vec![vec![Some(3), Some(3)], vec![Some(50), Some(50)]];
        suppress(&k, &mut v, &[true, false], &[], None, 10);
        assert_eq!(v, [vec![None, Some(3)], vec![None, Some(50)]]);
    }

    #[test]
    fn zero_is_not_small_and_no_threshold_hides_nothing() {
        let k = keys(&[&["a"], &["b"], &["c"]]);
        let mut v = vec![vec![Some(0)], vec![Some(12)], vec![Some(20)]];
        assert_eq!(suppress(&k, &mut v, &[true], &[], None, 10), 0);
        let mut v2 = vec![vec![Some(1)], vec![Some(12)], vec![Some(20)]];
        assert_eq!(suppress(&k, &mut v2, &[true], &[], None, 0), 0);
    }

    #[test]
    fn in_two_dimensions_every_margin_keeps_zero_or_two_hidden_cells() {
        // municipality × function
        let k = keys(&[&["m1", "f1"], &["m1", "f2"], &["m2", "f1"], &["m2", "f2"]]);
        let mut v = vec![vec![Some(2)], vec![Some(30)], vec![Some(40)], vec![Some(50)]];
        suppress(&k, &mut v, &[true], &[], None, 10);
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
    fn a_participations_cell_hidden_as_a_partner_is_hidden_in_its_linked_column_too() {
        // function rows; columns participations, consultations. 相談 is hidden as the partner of
        // the small つなぎ row; the consultations column must not print it.
        let k = keys(&[&["tsudoi"], &["soudan"], &["tsunagi"]]);
        let mut v = vec![
            vec![Some(120), Some(0)],
            vec![Some(15), Some(15)],
            vec![Some(3), Some(0)],
        ];
        let links = [Linked {
            whole: 0,
            parts: vec![1],
        }];
        suppress(&k, &mut v, &[true, true], &links, None, 10);
        assert_eq!(v[2][0], None);
        // 相談's 15 would be the smaller partner, but it is the consultations total that
        // another query prints: the partner is taken on the 集い row instead.
        assert_eq!(v[0][0], None, "{v:?}");
        assert_eq!(v[1], [Some(15), Some(15)]);
        assert_eq!(v[2][1], Some(0));
    }

    #[test]
    fn when_the_only_partner_is_linked_its_linked_cell_is_hidden_with_it() {
        let k = keys(&[&["soudan"], &["tsunagi"]]);
        let mut v = vec![vec![Some(15), Some(15)], vec![Some(3), Some(0)]];
        let links = [Linked {
            whole: 0,
            parts: vec![1],
        }];
        suppress(&k, &mut v, &[true, true], &links, None, 10);
        assert_eq!(
            v[0],
            [None, None],
            "the hidden participations cell is not printed as consultations"
        );
        assert_eq!(v[1][0], None);
    }

    #[test]
    fn a_row_where_participations_are_the_sum_of_visits_and_consultations_hides_two_of_them() {
        let k = keys(&[&["392014"], &["392022"]]);
        // filter=function:houmon;soudan: participations = visits + consultations on each row.
        let mut v = vec![
            vec![Some(40), Some(36), Some(4)],
            vec![Some(50), Some(25), Some(25)],
        ];
        let links = [Linked {
            whole: 0,
            parts: vec![1, 2],
        }];
        suppress(&k, &mut v, &[true, true, true], &links, None, 10);
        assert_eq!(v[0][2], None);
        let hidden_in_row = v[0].iter().filter(|c| c.is_none()).count();
        assert!(hidden_in_row >= 2, "40 − 36 would give the 4 back: {v:?}");
    }

    #[test]
    fn linked_columns_that_do_not_add_up_on_a_row_stay_as_they_are() {
        let k = keys(&[&["a"], &["b"]]);
        let mut v = vec![vec![Some(40), Some(3)], vec![Some(50), Some(20)]];
        let links = [Linked {
            whole: 0,
            parts: vec![1],
        }];
        suppress(&k, &mut v, &[true, true], &links, None, 10);
        // The visits column hides 3 and its partner 20; participations are not their sum.
        assert_eq!(v, [vec![Some(40), None], vec![Some(50), None]]);
    }

    #[test]
    fn a_small_total_is_hidden_too() {
        let k = keys(&[&["a"]]);
        let mut v = vec![vec![Some(4)]];
        let mut totals = vec![Some(4)];
        suppress(&k, &mut v, &[true], &[], Some(&mut totals), 10);
        assert_eq!(totals, [None]);
    }
}
