//! q8 on differential dataflow: sellers per window made distinct with `distinct_total`, and
//! the persons keyed by (id, window) semijoined with them.

use differential_dataflow::operators::ThresholdTotal;

use crate::baseline::dd::{Collection, Inputs};
use crate::nexmark::queries::q8::Q8;
use crate::nexmark::window::{tumbling, SIZE_MS};

/// q8: people who registered and opened an auction in the same window.
pub fn query(inputs: Inputs<'_>) -> Collection<'_, Q8> {
    let selling = inputs
        .auctions
        .map(|a| (a.seller, tumbling(a.date_time, SIZE_MS)))
        .distinct_total();
    inputs
        .persons
        .map(|p| ((p.id, tumbling(p.date_time, SIZE_MS)), p.name))
        .semijoin(selling)
        .map(|((id, window_start), name)| Q8 {
            id,
            name,
            window_start,
        })
}
