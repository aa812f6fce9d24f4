//! Stateful table operators, one family per file.

pub(crate) mod arrange;
mod combine;
mod group;
mod join;
mod keyed;
pub(crate) mod row_wise;
pub(crate) mod totals;

pub use group::{GroupBy, GroupDiff};
pub use join::Join;
