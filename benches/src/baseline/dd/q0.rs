//! q0 on differential dataflow: a `map` over the bids.

use crate::baseline::dd::{Collection, Inputs};
use crate::nexmark::queries::q0::Q0;

/// q0: every bid, unchanged.
pub fn query(inputs: Inputs<'_>) -> Collection<'_, Q0> {
    inputs.bids.map(|b| Q0::from(&b))
}
