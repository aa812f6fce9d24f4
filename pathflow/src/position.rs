//! A row's position in the input: what order-dependent operators are defined by.

use serde::{Deserialize, Serialize};

/// Where a row entered the pipeline: its epoch, its source, and its offset in that source.
///
/// Upsert, `earliest`, `latest` and `deduplicate` order rows by position, never by arrival
/// inside the engine, so their results do not depend on workers or on how input was cut into
/// epochs. A batch run is one epoch, so there the offset alone decides, as arrival does in a
/// stream.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Position {
    /// The epoch the row was read in (0 in a batch run).
    pub epoch: u64,
    /// The source's index in the pipeline, in the order sources were read.
    pub source: u32,
    /// The row's offset within its source, increasing in reading order.
    pub offset: u64,
}
