//! Nexmark q0–q8 with pathflow's table API, one query per file.
//!
//! Every query is a function generic over the mode, so the same code runs in batch and in
//! streaming. Each file's test checks the query, in both modes, against a plain Rust
//! computation of its definition over generated events.

pub mod q0;
pub mod q1;
pub mod q2;
pub mod q3;
pub mod q4;
pub mod q5;
pub mod q6;
pub mod q7;
pub mod q8;

use pathflow::prelude::*;

use crate::nexmark::model::{Auction, Bid, Person};

/// The three event tables a Nexmark query reads.
pub struct Tables<'s, M> {
    /// Person events.
    pub persons: Table<'s, Person, M>,
    /// Auction events.
    pub auctions: Table<'s, Auction, M>,
    /// Bid events.
    pub bids: Table<'s, Bid, M>,
}

#[cfg(test)]
pub(crate) mod testing {
    //! Runs a query over generated events in both modes, for the queries' tests.

    use pathflow::memory;
    use pathflow::prelude::*;

    use super::Tables;
    use crate::nexmark::generator::generate;
    use crate::nexmark::model::Events;

    /// The events the queries' tests use: 20,000, about 2 seconds of event time.
    pub fn events() -> Events {
        generate(20_000, 2)
    }

    /// The query's result over `events`, checked to be the same in batch (2 workers) and in
    /// streaming (1 worker, the input cut into 7 epochs).
    pub fn run<T: Row>(
        events: &Events,
        query: for<'s> fn(Tables<'s, Batch>) -> Table<'s, T, Batch>,
        streaming_query: for<'s> fn(Tables<'s, Streaming>) -> Table<'s, T, Streaming>,
    ) -> Vec<T> {
        let batch = {
            let (result, sink) = memory::snapshot::<T>();
            let events = events.clone();
            Runner::batch()
                .args(RunnerArgs {
                    workers: 2,
                    ..RunnerArgs::default()
                })
                .run(move |p| {
                    let tables = Tables {
                        persons: p.read(memory::rows(events.persons.clone())),
                        auctions: p.read(memory::rows(events.auctions.clone())),
                        bids: p.read(memory::rows(events.bids.clone())),
                    };
                    p.write(query(tables), sink.clone());
                })
                .expect("the batch run succeeds");
            result.rows()
        };
        let streaming = {
            let (result, sink) = memory::view::<T>();
            let events = events.clone();
            Runner::streaming()
                .run(move |p| {
                    let tables = Tables {
                        persons: p.read(memory::epochs(cut(&events.persons))),
                        auctions: p.read(memory::epochs(cut(&events.auctions))),
                        bids: p.read(memory::epochs(cut(&events.bids))),
                    };
                    p.write(streaming_query(tables), sink.clone());
                })
                .expect("the streaming run succeeds");
            result.rows()
        };
        assert_eq!(batch, streaming, "batch and streaming results differ");
        batch
    }

    fn cut<T: Clone>(rows: &[T]) -> Vec<Vec<(T, isize)>> {
        rows.chunks(rows.len().div_ceil(7).max(1))
            .map(|chunk| chunk.iter().map(|row| (row.clone(), 1)).collect())
            .collect()
    }

    /// `rows`, sorted, for comparing with a query's result.
    pub fn sorted<T: Ord>(mut rows: Vec<T>) -> Vec<T> {
        rows.sort();
        rows
    }
}
