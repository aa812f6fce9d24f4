//! q6 on differential dataflow: winners as in q4, the latest event time by `reduce`, the
//! closed winners by `join_core` with it, and one `reduce` per seller over its closed
//! auctions (values arrive sorted by expiry, then id).

use pathflow::Total;

use crate::baseline::dd::q4::winners;
use crate::baseline::dd::{Collection, Inputs};
use crate::nexmark::queries::q6::{average_of_last, Q6};

/// q6: the average price of each seller's last 10 closed auctions.
pub fn query(inputs: Inputs<'_>) -> Collection<'_, Q6> {
    let now = inputs
        .persons
        .map(|p| ((), p.date_time))
        .concat(inputs.auctions.clone().map(|a| ((), a.date_time)))
        .concat(inputs.bids.clone().map(|b| ((), b.date_time)))
        .reduce(|_, times, output| {
            if let Some((latest, _)) = times.last() {
                output.push((**latest, 1));
            }
        })
        .arrange_by_key();
    winners(inputs.auctions, inputs.bids)
        .map(|w| ((), (w.seller, w.expires, w.id, w.price)))
        .arrange_by_key()
        .join_core(now, |_, &(seller, expires, id, price), &now| {
            (expires <= now).then_some((seller, (expires, id, price)))
        })
        .reduce(|_seller, closed, output| {
            let closed: Vec<(u64, u64, u64)> = closed.iter().map(|(c, _)| **c).collect();
            output.push((Total(average_of_last(&closed)), 1));
        })
        .map(|(seller, avg)| Q6 { seller, avg })
}
