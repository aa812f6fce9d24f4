//! Nexmark q5, hot items: in sliding windows of 10 s advancing every 2 s, the auction(s)
//! with the most bids (all of them on a tie), and that count.
//!
//! ```sql
//! WITH counts AS (
//!   SELECT w.start AS window_start, B.auction, COUNT(*) AS num
//!   FROM bid AS B, windows(B.dateTime, size => 10 s, hop => 2 s) AS w
//!   GROUP BY w.start, B.auction)
//! SELECT window_start, window_start + 10000 AS window_end, auction, num
//! FROM counts AS C
//! WHERE num = (SELECT MAX(num) FROM counts WHERE window_start = C.window_start);
//! ```

use pathflow::prelude::*;
use serde::{Deserialize, Serialize};

use crate::nexmark::model::Bid;
use crate::nexmark::queries::Tables;
use crate::nexmark::window::{sliding, HOP_MS, SIZE_MS};

/// A row of q5's result.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Q5 {
    /// The window's start, in milliseconds.
    pub window_start: u64,
    /// The window's end (exclusive), in milliseconds.
    pub window_end: u64,
    /// An auction with the most bids in the window.
    pub auction: u64,
    /// Its number of bids in the window.
    pub num: u64,
}

/// The rows for one window from its `(num, auction)` counts, sorted: the top ones.
pub fn hottest(window_start: u64, counts: &[(u64, u64)]) -> Vec<Q5> {
    let most = counts.last().map_or(0, |(num, _)| *num);
    counts
        .iter()
        .rev()
        .take_while(|(num, _)| *num == most)
        .map(|&(num, auction)| Q5 {
            window_start,
            window_end: window_start + SIZE_MS,
            auction,
            num,
        })
        .collect()
}

/// q5 over the bids.
pub fn q5<'s, M: Mode>(bids: Table<'s, Bid, M>) -> Table<'s, Q5, M> {
    bids.flat_map(|b| {
        let auction = b.auction;
        sliding(b.date_time, SIZE_MS, HOP_MS).map(move |start| (start, auction))
    })
    .group_by(|&window_auction| window_auction)
    .reduce(
        |r| r.count(),
        |&(start, auction), num| (start, auction, num),
    )
    .group_by(|&(start, _, _)| start)
    .reduce(
        |r| r.collect(|&(_, auction, num)| (num, auction)),
        |&start, counts| hottest(start, &counts),
    )
    .flat_map(|rows| rows.clone())
}

/// q5 over the event tables.
pub fn query<'s, M: Mode>(tables: Tables<'s, M>) -> Table<'s, Q5, M> {
    q5(tables.bids)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::nexmark::queries::testing::{events, run, sorted};

    #[test]
    fn most_bid_auctions_per_sliding_window() {
        let events = events();
        let mut counts: BTreeMap<u64, BTreeMap<u64, u64>> = BTreeMap::new();
        for b in &events.bids {
            for start in sliding(b.date_time, SIZE_MS, HOP_MS) {
                *counts
                    .entry(start)
                    .or_default()
                    .entry(b.auction)
                    .or_default() += 1;
            }
        }
        let mut expected = Vec::new();
        for (start, per_auction) in counts {
            let most = *per_auction.values().max().unwrap();
            for (auction, num) in per_auction {
                if num == most {
                    expected.push(Q5 {
                        window_start: start,
                        window_end: start + SIZE_MS,
                        auction,
                        num,
                    });
                }
            }
        }
        assert_eq!(run(&events, query, query), sorted(expected));
    }
}
