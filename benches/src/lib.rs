//! Workloads and baselines for measuring pathflow: Nexmark q0–q8 and word count, the same
//! queries written directly on differential dataflow, a single-threaded floor, and the
//! harness the `bench` binary runs them with. See `benches/README.md` for the results.

#![warn(missing_docs)]

pub mod baseline;
pub mod dump;
pub mod harness;
pub mod nexmark;
pub mod run;
pub mod wordcount;
