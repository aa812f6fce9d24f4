//! The examples' logic, as library functions: the example programs parse their flags and
//! call these, and the tests call them in-process.
//!
//! - [`wordcount`]: how often each word of a CSV column occurs.
//! - [`orders`]: revenue per customer, the `totals` pipeline of the design.
//! - [`windowed`]: count and sum per key and event-time window, with late-data behavior.

pub mod cli;
pub mod orders;
pub mod windowed;
pub mod wordcount;
