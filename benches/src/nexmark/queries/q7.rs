//! Nexmark q7, highest bid: in tumbling windows of 10 s, the bid(s) with the highest price
//! (all of them on a tie).
//!
//! ```sql
//! SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra
//! FROM bid AS B
//! JOIN (SELECT dateTime / 10000 * 10000 AS window_start, MAX(price) AS maxprice
//!       FROM bid GROUP BY dateTime / 10000 * 10000) AS M
//!   ON B.dateTime / 10000 * 10000 = M.window_start AND B.price = M.maxprice;
//! ```

use pathflow::prelude::*;
use serde::{Deserialize, Serialize};

use crate::nexmark::model::Bid;
use crate::nexmark::queries::Tables;
use crate::nexmark::window::{tumbling, SIZE_MS};

/// A row of q7's result.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Q7 {
    /// The auction's id.
    pub auction: u64,
    /// Price, in cents: the highest of the window.
    pub price: u64,
    /// The bidder's id.
    pub bidder: u64,
    /// Bid time, in milliseconds.
    pub date_time: u64,
    /// Padding.
    pub extra: String,
}

impl From<&Bid> for Q7 {
    fn from(b: &Bid) -> Self {
        Q7 {
            auction: b.auction,
            price: b.price,
            bidder: b.bidder,
            date_time: b.date_time,
            extra: b.extra.clone(),
        }
    }
}

/// q7 over the bids.
pub fn q7<'s, M: Mode>(bids: Table<'s, Bid, M>) -> Table<'s, Q7, M> {
    let highest = bids
        .clone()
        .map(|b| (tumbling(b.date_time, SIZE_MS), b.price))
        .group_by(|&(window, _)| window)
        .reduce(
            |r| r.max(|&(_, price)| price),
            |&window, price| (window, price),
        );
    bids.join_split(
        highest,
        |b| ((tumbling(b.date_time, SIZE_MS), b.price), Q7::from(b)),
        |&top| (top, ()),
    )
    .semi()
}

/// q7 over the event tables.
pub fn query<'s, M: Mode>(tables: Tables<'s, M>) -> Table<'s, Q7, M> {
    q7(tables.bids)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::nexmark::queries::testing::{events, run, sorted};

    #[test]
    fn highest_bids_per_tumbling_window() {
        let events = events();
        let mut highest: BTreeMap<u64, u64> = BTreeMap::new();
        for b in &events.bids {
            let top = highest.entry(tumbling(b.date_time, SIZE_MS)).or_default();
            *top = (*top).max(b.price);
        }
        let expected: Vec<Q7> = events
            .bids
            .iter()
            .filter(|b| highest[&tumbling(b.date_time, SIZE_MS)] == b.price)
            .map(Q7::from)
            .collect();
        assert_eq!(run(&events, query, query), sorted(expected));
    }
}
