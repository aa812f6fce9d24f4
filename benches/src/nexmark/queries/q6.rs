//! Nexmark q6, average selling price per seller: per seller, the average winning price (as
//! in q4) of their last 10 closed auctions. An auction is closed once its expiry is at or
//! before the latest event time seen; "last" orders closed auctions by expiry, then id.
//!
//! ```sql
//! WITH now AS (SELECT MAX(dateTime) AS t FROM (SELECT dateTime FROM person
//!              UNION ALL SELECT dateTime FROM auction UNION ALL SELECT dateTime FROM bid)),
//! closed AS (SELECT W.seller, W.price,
//!              ROW_NUMBER() OVER (PARTITION BY W.seller ORDER BY W.expires DESC, W.id DESC) AS n
//!            FROM winners AS W, now WHERE W.expires <= now.t)   -- winners: as in q4
//! SELECT seller, AVG(price) AS avg FROM closed WHERE n <= 10 GROUP BY seller;
//! ```

use pathflow::prelude::*;
use pathflow::Total;
use serde::{Deserialize, Serialize};

use crate::nexmark::model::{Auction, Bid, Person};
use crate::nexmark::queries::q4::winners;
use crate::nexmark::queries::Tables;

/// How many of a seller's latest closed auctions count.
pub const LAST: usize = 10;

/// A row of q6's result.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Q6 {
    /// The seller.
    pub seller: u64,
    /// The average winning price of their last 10 closed auctions, in cents.
    pub avg: Total<f64>,
}

/// The average price of the last [`LAST`] of a seller's `(expires, id, price)`, sorted.
pub fn average_of_last(closed: &[(u64, u64, u64)]) -> f64 {
    let last = &closed[closed.len().saturating_sub(LAST)..];
    last.iter().map(|(_, _, price)| *price as f64).sum::<f64>() / last.len() as f64
}

/// q6 over the event tables.
pub fn q6<'s, M: Mode>(
    persons: Table<'s, Person, M>,
    auctions: Table<'s, Auction, M>,
    bids: Table<'s, Bid, M>,
) -> Table<'s, Q6, M> {
    let now = persons
        .map(|p| p.date_time)
        .concat(auctions.clone().map(|a| a.date_time))
        .concat(bids.clone().map(|b| b.date_time))
        .group_by(|_| ())
        .reduce(|r| r.max(|t| *t), |_, latest| latest);
    winners(auctions, bids)
        .join_split(
            now,
            |w| ((), (w.seller, w.expires, w.id, w.price)),
            |&now| ((), now),
        )
        .inner_filter_map(|&closed, &now| (closed.1 <= now).then_some(closed))
        .group_by(|&(seller, ..)| seller)
        .reduce(
            |r| r.collect(|&(_, expires, id, price)| (expires, id, price)),
            |&seller, closed| Q6 {
                seller,
                avg: Total(average_of_last(&closed)),
            },
        )
}

/// q6 over the event tables.
pub fn query<'s, M: Mode>(tables: Tables<'s, M>) -> Table<'s, Q6, M> {
    q6(tables.persons, tables.auctions, tables.bids)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::nexmark::queries::q4::tests::winning_prices;
    use crate::nexmark::queries::testing::{events, run};

    #[test]
    fn average_of_the_last_ten_closed_auctions_per_seller() {
        let events = events();
        let now = events
            .persons
            .iter()
            .map(|p| p.date_time)
            .chain(events.auctions.iter().map(|a| a.date_time))
            .chain(events.bids.iter().map(|b| b.date_time))
            .max()
            .unwrap();
        let mut per_seller: BTreeMap<u64, Vec<(u64, u64, u64)>> = BTreeMap::new();
        for (a, price) in winning_prices(&events).values() {
            if a.expires <= now {
                per_seller
                    .entry(a.seller)
                    .or_default()
                    .push((a.expires, a.id, *price));
            }
        }
        let expected: Vec<Q6> = per_seller
            .into_iter()
            .map(|(seller, mut closed)| {
                closed.sort();
                Q6 {
                    seller,
                    avg: Total(average_of_last(&closed)),
                }
            })
            .collect();
        assert!(expected.iter().any(|q| q.seller == 1000));
        assert_eq!(run(&events, query, query), expected);
    }
}
