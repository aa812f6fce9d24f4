//! The workloads written directly on differential dataflow, as an expert would: data
//! projected before it is arranged, `join_core` on arrangements, `reduce`, `count_total`,
//! `distinct_total`. Each query's file mirrors the pathflow query of the same name.
//!
//! Both systems read the same per-worker shares of pre-built rows and end in the same way:
//! each completed epoch's output is consolidated on the worker that holds it, then counted
//! and fingerprinted (and kept, when asked), so the results can be compared.

pub mod driver;
pub mod q0;
pub mod q1;
pub mod q2;
pub mod q3;
pub mod q4;
pub mod q5;
pub mod q6;
pub mod q7;
pub mod q8;
pub mod wordcount;

use differential_dataflow::VecCollection;

use crate::nexmark::model::{Auction, Bid, Person};

/// A differential collection at pathflow's epochs, with integer diffs.
pub type Collection<'s, D> = VecCollection<'s, u64, D, isize>;

/// The three event collections a Nexmark query reads.
pub struct Inputs<'s> {
    /// Person events.
    pub persons: Collection<'s, Person>,
    /// Auction events.
    pub auctions: Collection<'s, Auction>,
    /// Bid events.
    pub bids: Collection<'s, Bid>,
}
