//! Asking `/stats` while the question keeps changing (a click per checkbox): the answer to the
//! latest question wins. Answers can come back out of order — a whole year takes longer than the
//! month asked just after it — and one that arrives after a newer question is dropped, so the
//! screen never settles on the figures of a question nobody is asking any more.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::dto::stats::StatsResponse;

use crate::api::{self, ApiError, StatsQuery};
use crate::session::Session;

/// An answer with the question it answers.
pub type StatsAnswer = (StatsQuery, Result<StatsResponse, ApiError>);

/// The latest answer for `query` (`None` asks nothing); it stays until a newer one replaces it,
/// so a screen can keep showing the last table while the next is on its way.
pub fn latest_stats(session: Session, query: Signal<Option<StatsQuery>>) -> ReadSignal<Option<StatsAnswer>> {
    let (answer, set_answer) = signal(None::<StatsAnswer>);
    let asked = StoredValue::new(0_u64);
    Effect::new(move |_| {
        let Some(query) = query.get() else {
            return;
        };
        let number = asked.get_value() + 1;
        asked.set_value(number);
        spawn_local(async move {
            let result = api::stats(session, &query).await;
            // The page may be gone by now (its values disposed): then nobody is waiting.
            if asked.try_get_value() == Some(number) {
                set_answer.try_set(Some((query, result)));
            }
        });
    });
    answer
}

/// Whether the screen still waits for the answer to `query`.
pub fn waiting(query: Option<&StatsQuery>, answer: Option<&StatsAnswer>) -> bool {
    match (query, answer) {
        (Some(q), Some((answered, _))) => q != answered,
        (Some(_), None) => true,
        (None, _) => false,
    }
}
