//! Nexmark q2, selection: the bids on auctions whose id is divisible by 123.
//!
//! ```sql
//! SELECT auction, price FROM bid WHERE auction % 123 = 0;
//! ```

use pathflow::prelude::*;
use serde::{Deserialize, Serialize};

use crate::nexmark::model::Bid;
use crate::nexmark::queries::Tables;

/// A row of q2's result.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Q2 {
    /// The auction's id.
    pub auction: u64,
    /// Price, in cents.
    pub price: u64,
}

/// Whether q2 keeps a bid on `auction`.
pub fn selected(auction: u64) -> bool {
    auction.is_multiple_of(123)
}

/// q2 over the bids.
pub fn q2<'s, M: Mode>(bids: Table<'s, Bid, M>) -> Table<'s, Q2, M> {
    bids.filter(|b| selected(b.auction)).map(|b| Q2 {
        auction: b.auction,
        price: b.price,
    })
}

/// q2 over the event tables.
pub fn query<'s, M: Mode>(tables: Tables<'s, M>) -> Table<'s, Q2, M> {
    q2(tables.bids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nexmark::queries::testing::{events, run, sorted};

    #[test]
    fn keeps_bids_on_every_123rd_auction() {
        let events = events();
        let expected = sorted(
            events
                .bids
                .iter()
                .filter(|b| selected(b.auction))
                .map(|b| Q2 {
                    auction: b.auction,
                    price: b.price,
                })
                .collect(),
        );
        assert!(!expected.is_empty());
        assert_eq!(run(&events, query, query), expected);
    }
}
