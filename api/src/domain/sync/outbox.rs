//! The centre's outbox rules: when a change is recorded, what starting does, the order of a full
//! snapshot, and which entries the next batch carries (a batch in flight is sent again, whole).

use chrono::NaiveDate;
use shared::common_id::CommonId;
use uuid::Uuid;

use super::OutgoingBatch;
use crate::domain::org::Site;

/// Bytes counted per entry on top of its payload (its `seq` and the JSON around it).
const ENTRY_OVERHEAD: usize = 32;

/// Whether a write to `center`'s facts adds an outbox entry, given the centre this database
/// synchronises (`syncing`: none before the first start). Before the start nothing is recorded:
/// the start sends a snapshot of everything.
pub fn records_changes_of(syncing: Option<&str>, center: &str) -> bool {
    syncing == Some(center)
}

/// A start asked for another centre than the one this database synchronises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this database synchronises centre {syncing}, not {asked}")]
pub struct SyncsAnotherCenter {
    pub syncing: String,
    pub asked: String,
}

/// Whether starting synchronisation of `center` begins a stream now (true: the first start,
/// with a snapshot) or finds it begun (false: nothing changes). One database synchronises one
/// centre.
pub fn starts_now(syncing: Option<&str>, center: &str) -> Result<bool, SyncsAnotherCenter> {
    match syncing {
        None => Ok(true),
        Some(s) if s == center => Ok(false),
        Some(s) => Err(SyncsAnotherCenter {
            syncing: s.to_owned(),
            asked: center.to_owned(),
        }),
    }
}

/// One entry of a full snapshot.
#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotEntry {
    /// Everything the hub holds for the centre is replaced by what follows.
    Reset,
    Site(Site),
    Person(CommonId),
    Activity(Uuid),
}

/// A full snapshot of a centre in the order its entries are written: the reset first, then the
/// sites (activities name them), the people, and the activities by date. Within each kind the
/// order is fixed (code, common ID, date then ID), so the same data makes the same snapshot.
pub fn snapshot_entries(
    mut sites: Vec<Site>,
    mut people: Vec<CommonId>,
    mut activities: Vec<(NaiveDate, Uuid)>,
) -> Vec<SnapshotEntry> {
    sites.sort_by(|a, b| a.code.cmp(&b.code));
    people.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    activities.sort();
    let mut entries = Vec::with_capacity(1 + sites.len() + people.len() + activities.len());
    entries.push(SnapshotEntry::Reset);
    entries.extend(sites.into_iter().map(SnapshotEntry::Site));
    entries.extend(people.into_iter().map(SnapshotEntry::Person));
    entries.extend(activities.into_iter().map(|(_, id)| SnapshotEntry::Activity(id)));
    entries
}

/// The batch sent and not yet acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InFlight {
    pub batch_seq: u64,
    /// The last entry it carries.
    pub last_seq: u64,
}

/// Where a centre's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxCursor {
    pub stream: Uuid,
    /// The number the next new batch gets.
    pub next_batch_seq: u64,
    pub in_flight: Option<InFlight>,
    /// The hub has acknowledged every entry up to here.
    pub last_acked_seq: u64,
}

/// How many waiting entries to read for a new batch: `max_entries`, and always at least one.
pub fn batch_entry_limit(max_entries: usize) -> usize {
    max_entries.max(1)
}

impl OutboxCursor {
    /// The last entry of the batch in flight, up to which its unacknowledged entries are read
    /// for [`OutboxCursor::resend`].
    pub fn in_flight_through(&self) -> Option<u64> {
        self.in_flight.map(|f| f.last_seq)
    }

    /// The batch in flight, sent again unchanged (same number, same entries: the hub may have
    /// applied it and lost only its answer), from its entries not yet acknowledged. None when no
    /// batch is in flight or none of its entries is left: then a new batch is taken.
    pub fn resend(&self, unacknowledged: Vec<(u64, String)>) -> Option<OutgoingBatch> {
        let f = self.in_flight?;
        if unacknowledged.is_empty() {
            return None;
        }
        Some(OutgoingBatch {
            stream: self.stream,
            batch_seq: f.batch_seq,
            entries: unacknowledged,
            resent: true,
        })
    }

    /// A new batch from `waiting` (the oldest waiting entries, [`batch_entry_limit`] of them at
    /// most), cut where the payloads pass about `max_bytes` but never empty; and the cursor
    /// after sending it (the batch in flight, the next number taken). With nothing waiting, no
    /// batch and nothing in flight.
    pub fn send_next(
        &self,
        mut waiting: Vec<(u64, String)>,
        max_bytes: usize,
    ) -> (Option<OutgoingBatch>, OutboxCursor) {
        let mut bytes = 0;
        if let Some(cut) = waiting.iter().position(|(_, p)| {
            bytes += p.len() + ENTRY_OVERHEAD;
            bytes > max_bytes
        }) {
            waiting.truncate(cut.max(1));
        }
        let Some(&(last_seq, _)) = waiting.last() else {
            return (
                None,
                OutboxCursor {
                    in_flight: None,
                    ..*self
                },
            );
        };
        let batch_seq = self.next_batch_seq;
        let after = OutboxCursor {
            next_batch_seq: batch_seq + 1,
            in_flight: Some(InFlight { batch_seq, last_seq }),
            ..*self
        };
        let batch = OutgoingBatch {
            stream: self.stream,
            batch_seq,
            entries: waiting,
            resent: false,
        };
        (Some(batch), after)
    }

    /// The cursor after the hub acknowledged batch `batch_seq` up to entry `last_seq`: what is
    /// acknowledged never goes back, and the batch in flight is done only if it is that batch.
    pub fn acknowledged(&self, batch_seq: u64, last_seq: u64) -> OutboxCursor {
        OutboxCursor {
            last_acked_seq: self.last_acked_seq.max(last_seq),
            in_flight: self.in_flight.filter(|f| f.batch_seq != batch_seq),
            ..*self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(in_flight: Option<InFlight>) -> OutboxCursor {
        OutboxCursor {
            stream: Uuid::from_u128(7),
            next_batch_seq: 4,
            in_flight,
            last_acked_seq: 10,
        }
    }

    fn entries(seqs: std::ops::RangeInclusive<u64>, payload_len: usize) -> Vec<(u64, String)> {
        seqs.map(|s| (s, "x".repeat(payload_len))).collect()
    }

    #[test]
    fn changes_are_recorded_only_for_the_centre_being_synchronised() {
        assert!(records_changes_of(Some("C001"), "C001"));
        assert!(!records_changes_of(None, "C001"));
        assert!(!records_changes_of(Some("C002"), "C001"));
    }

    #[test]
    fn the_first_start_begins_a_stream_and_later_ones_change_nothing() {
        assert_eq!(starts_now(None, "C001"), Ok(true));
        assert_eq!(starts_now(Some("C001"), "C001"), Ok(false));
        assert_eq!(
            starts_now(Some("C002"), "C001").unwrap_err().to_string(),
            "this database synchronises centre C002, not C001"
        );
    }

    #[test]
    fn a_snapshot_starts_with_the_reset_then_sites_people_and_activities_by_date() {
        let site = |code: &str| Site {
            code: code.into(),
            center: "C001".into(),
            name: code.into(),
            opened_on: NaiveDate::from_ymd_opt(2020, 4, 1).unwrap(),
            closed_on: None,
        };
        let center = shared::common_id::CenterCode::parse("C001").unwrap();
        let id = |n| CommonId::issue(&center, n).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2024, 5, d).unwrap();
        let (early, late) = (Uuid::from_u128(9), Uuid::from_u128(1));
        let entries = snapshot_entries(
            vec![site("C001-S02"), site("C001-S01")],
            vec![id(2), id(1)],
            vec![(day(3), late), (day(1), early), (day(3), Uuid::from_u128(0))],
        );
        assert_eq!(
            entries,
            [
                SnapshotEntry::Reset,
                SnapshotEntry::Site(site("C001-S01")),
                SnapshotEntry::Site(site("C001-S02")),
                SnapshotEntry::Person(id(1)),
                SnapshotEntry::Person(id(2)),
                SnapshotEntry::Activity(early),
                SnapshotEntry::Activity(Uuid::from_u128(0)),
                SnapshotEntry::Activity(late),
            ]
        );
    }

    #[test]
    fn an_empty_centre_snapshots_to_the_reset_alone() {
        assert_eq!(snapshot_entries(vec![], vec![], vec![]), [SnapshotEntry::Reset]);
    }

    #[test]
    fn the_batch_in_flight_is_sent_again_unchanged_while_any_of_it_is_unacknowledged() {
        let c = cursor(Some(InFlight {
            batch_seq: 3,
            last_seq: 15,
        }));
        assert_eq!(c.in_flight_through(), Some(15));
        let batch = c.resend(entries(11..=15, 10)).unwrap();
        assert_eq!((batch.batch_seq, batch.resent, batch.last_seq()), (3, true, 15));
        assert_eq!(c.resend(Vec::new()), None);
        assert_eq!(cursor(None).resend(entries(11..=15, 10)), None);
    }

    #[test]
    fn a_new_batch_takes_the_next_number_and_is_then_in_flight() {
        let (batch, after) = cursor(None).send_next(entries(11..=13, 10), 1_000);
        let batch = batch.unwrap();
        assert_eq!(
            (batch.batch_seq, batch.resent, batch.entries.len()),
            (4, false, 3)
        );
        assert_eq!(after.next_batch_seq, 5);
        assert_eq!(
            after.in_flight,
            Some(InFlight {
                batch_seq: 4,
                last_seq: 13
            })
        );
    }

    #[test]
    fn a_batch_is_cut_where_it_passes_max_bytes_but_never_empty() {
        // 10 + 32 bytes an entry: two fit in 100, the third passes.
        let (batch, _) = cursor(None).send_next(entries(1..=5, 10), 100);
        assert_eq!(batch.unwrap().last_seq(), 2);
        let (big, after) = cursor(None).send_next(entries(1..=5, 1_000), 100);
        assert_eq!(big.unwrap().entries.len(), 1);
        assert_eq!(after.in_flight.map(|f| f.last_seq), Some(1));
    }

    #[test]
    fn with_nothing_waiting_there_is_no_batch_and_nothing_in_flight() {
        let c = cursor(Some(InFlight {
            batch_seq: 3,
            last_seq: 15,
        }));
        let (batch, after) = c.send_next(Vec::new(), 1_000);
        assert_eq!(batch, None);
        assert_eq!((after.in_flight, after.next_batch_seq), (None, 4));
        assert_eq!(batch_entry_limit(0), 1);
    }

    #[test]
    fn an_acknowledgement_ends_only_its_own_batch_and_never_moves_back() {
        let c = cursor(Some(InFlight {
            batch_seq: 3,
            last_seq: 15,
        }));
        let done = c.acknowledged(3, 15);
        assert_eq!((done.in_flight, done.last_acked_seq), (None, 15));
        let stale = c.acknowledged(2, 8);
        assert_eq!((stale.in_flight, stale.last_acked_seq), (c.in_flight, 10));
    }
}
