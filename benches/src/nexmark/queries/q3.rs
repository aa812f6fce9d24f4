//! Nexmark q3, local item suggestion: each seller living in Oregon, Idaho or California,
//! with the id of every auction they opened in category 10.
//!
//! ```sql
//! SELECT P.name, P.city, P.state, A.id
//! FROM auction AS A JOIN person AS P ON A.seller = P.id
//! WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA');
//! ```

use pathflow::prelude::*;
use serde::{Deserialize, Serialize};

use crate::nexmark::model::{Auction, Person};
use crate::nexmark::queries::Tables;

/// A row of q3's result.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Q3 {
    /// The seller's name.
    pub name: String,
    /// The seller's city.
    pub city: String,
    /// The seller's state.
    pub state: String,
    /// The auction's id.
    pub id: u64,
}

/// Whether q3 looks at sellers in `state`.
pub fn local(state: &str) -> bool {
    matches!(state, "OR" | "ID" | "CA")
}

/// q3 over persons and auctions.
pub fn q3<'s, M: Mode>(
    persons: Table<'s, Person, M>,
    auctions: Table<'s, Auction, M>,
) -> Table<'s, Q3, M> {
    let sellers = persons.filter(|p| local(&p.state));
    let opened = auctions.filter(|a| a.category == 10);
    opened
        .join_split(
            sellers,
            |a| (a.seller, a.id),
            |p| (p.id, (p.name.clone(), p.city.clone(), p.state.clone())),
        )
        .inner(|&id, (name, city, state)| Q3 {
            name: name.clone(),
            city: city.clone(),
            state: state.clone(),
            id,
        })
}

/// q3 over the event tables.
pub fn query<'s, M: Mode>(tables: Tables<'s, M>) -> Table<'s, Q3, M> {
    q3(tables.persons, tables.auctions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nexmark::queries::testing::{events, run, sorted};

    #[test]
    fn local_sellers_of_category_10() {
        let events = events();
        let mut expected = Vec::new();
        for a in events.auctions.iter().filter(|a| a.category == 10) {
            for p in events
                .persons
                .iter()
                .filter(|p| p.id == a.seller && local(&p.state))
            {
                expected.push(Q3 {
                    name: p.name.clone(),
                    city: p.city.clone(),
                    state: p.state.clone(),
                    id: a.id,
                });
            }
        }
        assert!(!expected.is_empty());
        assert_eq!(run(&events, query, query), sorted(expected));
    }
}
