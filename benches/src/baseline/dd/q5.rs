//! q5 on differential dataflow: bids counted per (window, auction) with `count_total`, then
//! one `reduce` per window that keeps the top counts (values arrive sorted by count).

use crate::baseline::dd::{Collection, Inputs};
use crate::nexmark::queries::q5::{hottest, Q5};
use crate::nexmark::window::{sliding, HOP_MS, SIZE_MS};
use differential_dataflow::operators::CountTotal;

/// q5: the most-bid auctions per sliding window.
pub fn query(inputs: Inputs<'_>) -> Collection<'_, Q5> {
    inputs
        .bids
        .flat_map(|b| sliding(b.date_time, SIZE_MS, HOP_MS).map(move |start| (start, b.auction)))
        .count_total()
        .map(|((start, auction), num)| (start, (num as u64, auction)))
        .reduce(|&start, counts, output| {
            let counts: Vec<(u64, u64)> = counts.iter().map(|(c, _)| **c).collect();
            for row in hottest(start, &counts) {
                output.push((row, 1));
            }
        })
        .map(|(_, row)| row)
}
