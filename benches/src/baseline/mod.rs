//! What pathflow is measured against: the same queries on differential dataflow, and the
//! single-threaded floor for word count.

pub mod dd;
pub mod floor;
