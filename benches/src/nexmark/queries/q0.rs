//! Nexmark q0, pass-through: every bid, unchanged. It measures the plumbing.
//!
//! ```sql
//! SELECT auction, bidder, price, dateTime, extra FROM bid;
//! ```

use pathflow::prelude::*;
use serde::{Deserialize, Serialize};

use crate::nexmark::model::Bid;
use crate::nexmark::queries::Tables;

/// A row of q0's result.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Q0 {
    /// The auction's id.
    pub auction: u64,
    /// The bidder's id.
    pub bidder: u64,
    /// Price, in cents.
    pub price: u64,
    /// Bid time, in milliseconds.
    pub date_time: u64,
    /// Padding.
    pub extra: String,
}

impl From<&Bid> for Q0 {
    fn from(b: &Bid) -> Self {
        Q0 {
            auction: b.auction,
            bidder: b.bidder,
            price: b.price,
            date_time: b.date_time,
            extra: b.extra.clone(),
        }
    }
}

/// q0 over the bids.
pub fn q0<'s, M: Mode>(bids: Table<'s, Bid, M>) -> Table<'s, Q0, M> {
    bids.map(|b| Q0::from(b))
}

/// q0 over the event tables.
pub fn query<'s, M: Mode>(tables: Tables<'s, M>) -> Table<'s, Q0, M> {
    q0(tables.bids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nexmark::queries::testing::{events, run, sorted};

    #[test]
    fn every_bid_passes() {
        let events = events();
        let expected = sorted(events.bids.iter().map(Q0::from).collect());
        assert_eq!(run(&events, query, query), expected);
    }
}
