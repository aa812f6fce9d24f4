//! Files: a source for a file, a directory or a glob pattern, and two sinks.
//!
//! - [`source`]: rows from files, in batch or streaming ([`FileSource`]).
//! - [`changes`]: a table's change stream, the row's columns plus `time` and `diff`, in
//!   either mode ([`Changes`]).
//! - [`snapshot`]: the final table of a batch run, sorted by primary key, replaced
//!   atomically ([`Snapshot`]).

mod batch;
mod changes;
mod follow;
mod input;
mod reader;
mod samples;
mod snapshot;
mod source;
mod split;
mod watch;
mod write;

pub use changes::{changes, Changes};
pub use snapshot::{snapshot, Snapshot};
pub use source::{source, FileSource};
