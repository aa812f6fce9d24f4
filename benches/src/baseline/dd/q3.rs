//! q3 on differential dataflow: both sides filtered and projected, arranged by seller id,
//! and joined with `join_core`.

use crate::baseline::dd::{Collection, Inputs};
use crate::nexmark::queries::q3::{local, Q3};

/// q3: local sellers with their auctions in category 10.
pub fn query(inputs: Inputs<'_>) -> Collection<'_, Q3> {
    let sellers = inputs
        .persons
        .filter(|p| local(&p.state))
        .map(|p| (p.id, (p.name, p.city, p.state)))
        .arrange_by_key();
    let opened = inputs
        .auctions
        .filter(|a| a.category == 10)
        .map(|a| (a.seller, a.id))
        .arrange_by_key();
    opened.join_core(sellers, |_seller, id, (name, city, state)| {
        Some(Q3 {
            name: name.clone(),
            city: city.clone(),
            state: state.clone(),
            id: *id,
        })
    })
}
