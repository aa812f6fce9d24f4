//! Nexmark q8, monitor new users: the people who registered and opened an auction within
//! the same tumbling window of 10 s. Person ids are unique and the auction side is a
//! semijoin's key set (distinct), so the result has no duplicates and needs no final
//! `DISTINCT`.
//!
//! ```sql
//! SELECT DISTINCT P.id, P.name, P.dateTime / 10000 * 10000 AS window_start
//! FROM person AS P JOIN auction AS A
//!   ON P.id = A.seller AND P.dateTime / 10000 * 10000 = A.dateTime / 10000 * 10000;
//! ```

use pathflow::prelude::*;
use serde::{Deserialize, Serialize};

use crate::nexmark::model::{Auction, Person};
use crate::nexmark::queries::Tables;
use crate::nexmark::window::{tumbling, SIZE_MS};

/// A row of q8's result.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Q8 {
    /// The person's id.
    pub id: u64,
    /// The person's name.
    pub name: String,
    /// The window's start, in milliseconds.
    pub window_start: u64,
}

/// q8 over persons and auctions.
pub fn q8<'s, M: Mode>(
    persons: Table<'s, Person, M>,
    auctions: Table<'s, Auction, M>,
) -> Table<'s, Q8, M> {
    let registered = persons.map(|p| Q8 {
        id: p.id,
        name: p.name.clone(),
        window_start: tumbling(p.date_time, SIZE_MS),
    });
    let selling = auctions.map(|a| (a.seller, tumbling(a.date_time, SIZE_MS)));
    registered
        .join(selling, |p| (p.id, p.window_start), |&seller| seller)
        .semi()
}

/// q8 over the event tables.
pub fn query<'s, M: Mode>(tables: Tables<'s, M>) -> Table<'s, Q8, M> {
    q8(tables.persons, tables.auctions)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::nexmark::queries::testing::{events, run};

    #[test]
    fn sellers_who_registered_in_the_same_window() {
        let events = events();
        let mut expected = BTreeSet::new();
        for p in &events.persons {
            for a in &events.auctions {
                let window = tumbling(p.date_time, SIZE_MS);
                if a.seller == p.id && tumbling(a.date_time, SIZE_MS) == window {
                    expected.insert(Q8 {
                        id: p.id,
                        name: p.name.clone(),
                        window_start: window,
                    });
                }
            }
        }
        assert!(!expected.is_empty());
        assert_eq!(
            run(&events, query, query),
            expected.into_iter().collect::<Vec<_>>()
        );
    }
}
