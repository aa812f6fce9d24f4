//! Nexmark q1, currency conversion: every bid, its price in euros.
//!
//! ```sql
//! SELECT auction, bidder, CAST(price AS DOUBLE) * 0.908 AS price, dateTime, extra FROM bid;
//! ```

use pathflow::prelude::*;
use pathflow::Total;
use serde::{Deserialize, Serialize};

use crate::nexmark::model::Bid;
use crate::nexmark::queries::Tables;

/// Euros per dollar, as the standard query has it.
pub const EUROS_PER_DOLLAR: f64 = 0.908;

/// A row of q1's result.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Q1 {
    /// The auction's id.
    pub auction: u64,
    /// The bidder's id.
    pub bidder: u64,
    /// Price, in euro cents.
    pub price: Total<f64>,
    /// Bid time, in milliseconds.
    pub date_time: u64,
    /// Padding.
    pub extra: String,
}

impl From<&Bid> for Q1 {
    fn from(b: &Bid) -> Self {
        Q1 {
            auction: b.auction,
            bidder: b.bidder,
            price: Total(b.price as f64 * EUROS_PER_DOLLAR),
            date_time: b.date_time,
            extra: b.extra.clone(),
        }
    }
}

/// q1 over the bids.
pub fn q1<'s, M: Mode>(bids: Table<'s, Bid, M>) -> Table<'s, Q1, M> {
    bids.map(|b| Q1::from(b))
}

/// q1 over the event tables.
pub fn query<'s, M: Mode>(tables: Tables<'s, M>) -> Table<'s, Q1, M> {
    q1(tables.bids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nexmark::queries::testing::{events, run, sorted};

    #[test]
    fn every_bid_in_euros() {
        let events = events();
        let expected = sorted(events.bids.iter().map(Q1::from).collect());
        assert_eq!(run(&events, query, query), expected);
    }
}
