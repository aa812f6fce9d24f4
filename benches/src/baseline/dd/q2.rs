//! q2 on differential dataflow: a `filter` and a `map` over the bids.

use crate::baseline::dd::{Collection, Inputs};
use crate::nexmark::queries::q2::{selected, Q2};

/// q2: the bids on every 123rd auction.
pub fn query(inputs: Inputs<'_>) -> Collection<'_, Q2> {
    inputs.bids.filter(|b| selected(b.auction)).map(|b| Q2 {
        auction: b.auction,
        price: b.price,
    })
}
