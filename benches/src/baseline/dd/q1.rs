//! q1 on differential dataflow: a `map` over the bids.

use crate::baseline::dd::{Collection, Inputs};
use crate::nexmark::queries::q1::Q1;

/// q1: every bid, its price in euros.
pub fn query(inputs: Inputs<'_>) -> Collection<'_, Q1> {
    inputs.bids.map(|b| Q1::from(&b))
}
