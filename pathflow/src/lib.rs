//! # pathflow
//!
//! Typed data pipelines, written once in Rust, run in batch over files and in streaming over
//! live topics with the same results. Built on differential dataflow: only what changed is
//! recomputed, and one dataflow scales from one thread to many processes.
//!
//! A pipeline is a function over [`Table`]s, generic over the [`Mode`]:
//!
//! ```
//! use pathflow::prelude::*;
//! use pathflow::memory;
//!
//! fn big<'s, M: Mode>(amounts: Table<'s, i64, M>) -> Table<'s, (bool, u64), M> {
//!     amounts.group_by(|a| *a > 100).reduce(|r| r.count(), |big, n| (*big, n))
//! }
//!
//! let (result, sink) = memory::snapshot();
//! Runner::batch().run(move |p| {
//!     let amounts = p.read(memory::rows(vec![5_i64, 500, 50, 5000]));
//!     p.write(big(amounts), sink.clone());
//! })?;
//! assert_eq!(result.rows(), vec![(false, 2), (true, 2)]);
//! # Ok::<(), pathflow::Error>(())
//! ```

#![warn(missing_docs)]

mod consolidation;
mod error;
pub mod errors;
pub mod exact;
pub mod memory;
pub mod mode;
pub mod ops;
pub mod order;
mod panic;
pub mod position;
pub mod reducers;
mod runner;
pub mod schema;
pub mod sink;
pub mod source;
mod table;
pub mod time;
pub mod window;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use error::{Error, Result};
pub use errors::{ErrorPolicy, InputError};
pub use mode::{Batch, Mode, Streaming};
pub use ops::{GroupBy, Join};
pub use order::{Total, TotalOrd, Value};
pub use position::Position;
pub use reducers::{Reducer, Reducers};
pub use runner::{Pipeline, RunReport, Runner, RunnerArgs, ShutdownHandle};
pub use schema::{Row, Schema};
pub use sink::{Sink, SinkWriter};
pub use source::{Source, SourceReader};
pub use table::{Diff, Epoch, Table};
pub use time::{Duration, Timestamp};

/// Declares pipeline functions over tables, generic over the mode, with columns by name.
pub use pathflow_macros::pipeline;
/// Derives [`Schema`] for a struct with named fields; see the crate documentation.
pub use pathflow_macros::Schema;

/// What most pipelines need: `use pathflow::prelude::*;`.
pub mod prelude {
    pub use crate::mode::{Batch, Mode, Streaming};
    pub use crate::runner::{Runner, RunnerArgs};
    pub use crate::table::Table;
    pub use crate::time::{Duration, Timestamp};
    pub use crate::window::{Behavior, Window, WindowKey};
    pub use crate::{pipeline, Row, Schema};
}
