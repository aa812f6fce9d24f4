//! Nexmark q4, average price per category: per category, the average over its auctions of
//! each auction's winning price, its highest bid placed between its opening and its expiry
//! (both inclusive). An auction without such a bid does not count.
//!
//! ```sql
//! SELECT Q.category, AVG(Q.final) AS avg
//! FROM (SELECT A.id, A.category, MAX(B.price) AS final
//!       FROM auction AS A JOIN bid AS B ON A.id = B.auction
//!       WHERE B.dateTime BETWEEN A.dateTime AND A.expires
//!       GROUP BY A.id, A.category) AS Q
//! GROUP BY Q.category;
//! ```

use pathflow::prelude::*;
use pathflow::Total;
use serde::{Deserialize, Serialize};

use crate::nexmark::model::{Auction, Bid};
use crate::nexmark::queries::Tables;

/// A row of q4's result.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Q4 {
    /// The category.
    pub category: u64,
    /// The average winning price, in cents.
    pub avg: Total<f64>,
}

/// An auction that has a winning bid, with that bid's price (shared with q6).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Winner {
    /// The auction's id.
    pub id: u64,
    /// Its category.
    pub category: u64,
    /// Its seller.
    pub seller: u64,
    /// Its expiry.
    pub expires: u64,
    /// The winning price: its highest bid between opening and expiry.
    pub price: u64,
}

/// Every auction with a bid between its opening and its expiry, and its highest such bid.
pub fn winners<'s, M: Mode>(
    auctions: Table<'s, Auction, M>,
    bids: Table<'s, Bid, M>,
) -> Table<'s, Winner, M> {
    auctions
        .join_split(
            bids,
            |a| (a.id, (a.id, a.category, a.seller, a.date_time, a.expires)),
            |b| (b.auction, (b.price, b.date_time)),
        )
        .inner_filter_map(|a, &(price, at)| (a.3 <= at && at <= a.4).then_some((*a, price)))
        .group_by(|(a, _)| (a.0, a.1, a.2, a.4))
        .reduce(
            |r| r.max(|(_, price)| *price),
            |&(id, category, seller, expires), price| Winner {
                id,
                category,
                seller,
                expires,
                price,
            },
        )
}

/// q4 over auctions and bids.
pub fn q4<'s, M: Mode>(
    auctions: Table<'s, Auction, M>,
    bids: Table<'s, Bid, M>,
) -> Table<'s, Q4, M> {
    winners(auctions, bids).group_by(|w| w.category).reduce(
        |r| r.avg(|w| w.price),
        |&category, avg| Q4 {
            category,
            avg: Total(avg),
        },
    )
}

/// q4 over the event tables.
pub fn query<'s, M: Mode>(tables: Tables<'s, M>) -> Table<'s, Q4, M> {
    q4(tables.auctions, tables.bids)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::nexmark::model::Events;
    use crate::nexmark::queries::testing::{events, run};

    /// Winning prices by auction id, computed directly.
    pub(crate) fn winning_prices(events: &Events) -> BTreeMap<u64, (&Auction, u64)> {
        let mut best = BTreeMap::new();
        for a in &events.auctions {
            for b in &events.bids {
                if b.auction == a.id && a.date_time <= b.date_time && b.date_time <= a.expires {
                    let entry = best.entry(a.id).or_insert((a, b.price));
                    entry.1 = entry.1.max(b.price);
                }
            }
        }
        best
    }

    #[test]
    fn average_winning_price_per_category() {
        let events = events();
        let mut per_category: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
        for (a, price) in winning_prices(&events).values() {
            let entry = per_category.entry(a.category).or_default();
            entry.0 += price;
            entry.1 += 1;
        }
        let expected: Vec<Q4> = per_category
            .into_iter()
            .map(|(category, (sum, n))| Q4 {
                category,
                avg: Total(sum as f64 / n as f64),
            })
            .collect();
        assert_eq!(expected.len(), 5);
        assert_eq!(run(&events, query, query), expected);
    }
}
