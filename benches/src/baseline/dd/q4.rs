//! q4 on differential dataflow: auctions and bids arranged by auction id and joined with
//! `join_core`, the winning bid by `reduce` (values arrive sorted: the last is the
//! highest), the average by a second `reduce` per category.

use pathflow::Total;

use crate::baseline::dd::{Collection, Inputs};
use crate::nexmark::model::{Auction, Bid};
use crate::nexmark::queries::q4::{Winner, Q4};

/// Every auction with a bid between its opening and its expiry, and its highest such bid.
pub fn winners<'s>(
    auctions: Collection<'s, Auction>,
    bids: Collection<'s, Bid>,
) -> Collection<'s, Winner> {
    let opened = auctions
        .map(|a| (a.id, (a.category, a.seller, a.date_time, a.expires)))
        .arrange_by_key();
    let placed = bids
        .map(|b| (b.auction, (b.price, b.date_time)))
        .arrange_by_key();
    opened
        .join_core(
            placed,
            |&id, &(category, seller, opens, expires), &(price, time)| {
                (opens <= time && time <= expires)
                    .then_some(((id, category, seller, expires), price))
            },
        )
        .reduce(|_auction, bids, output| {
            if let Some((highest, _)) = bids.last() {
                output.push((**highest, 1));
            }
        })
        .map(|((id, category, seller, expires), price)| Winner {
            id,
            category,
            seller,
            expires,
            price,
        })
}

/// q4: the average winning price per category.
pub fn query(inputs: Inputs<'_>) -> Collection<'_, Q4> {
    winners(inputs.auctions, inputs.bids)
        .map(|w| (w.category, w.price))
        .reduce(|_category, prices, output| {
            let mut sum = 0i128;
            let mut count = 0isize;
            for (price, n) in prices {
                sum += **price as i128 * *n as i128;
                count += n;
            }
            output.push((Total(sum as f64 / count as f64), 1));
        })
        .map(|(category, avg)| Q4 { category, avg })
}
