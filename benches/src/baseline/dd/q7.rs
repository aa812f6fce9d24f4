//! q7 on differential dataflow: the highest price per window by `reduce`, and the bids
//! keyed by (window, price) semijoined with it.

use crate::baseline::dd::{Collection, Inputs};
use crate::nexmark::queries::q7::Q7;
use crate::nexmark::window::{tumbling, SIZE_MS};

/// q7: the highest bids per tumbling window.
pub fn query(inputs: Inputs<'_>) -> Collection<'_, Q7> {
    let highest = inputs
        .bids
        .clone()
        .map(|b| (tumbling(b.date_time, SIZE_MS), b.price))
        .reduce(|_window, prices, output| {
            if let Some((price, _)) = prices.last() {
                output.push((**price, 1));
            }
        });
    inputs
        .bids
        .map(|b| ((tumbling(b.date_time, SIZE_MS), b.price), Q7::from(&b)))
        .semijoin(highest)
        .map(|(_, row)| row)
}
