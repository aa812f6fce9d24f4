//! Compile tests for pathflow's macros: `tests/ui/*.rs` are programs that must fail to
//! compile with the message in the `.stderr` beside them; `tests/ui/pass/*.rs` must compile
//! and run. Run them with `cargo test -p pathflow-ui-tests`; after a deliberate change to a
//! message, regenerate the `.stderr` files with `TRYBUILD=overwrite` and read every diff.

use pathflow::prelude::*;

/// An event with an event time: the input of the `pipeline_window_*` cases.
#[derive(Schema, Clone, Debug)]
pub struct Event {
    /// Whose event it is.
    pub key: String,
    /// An amount.
    pub value: f64,
    /// When it happened.
    #[pathflow(event_time)]
    pub at: Timestamp,
}

/// A key's window and its count: the output of the `pipeline_window_*` cases.
#[derive(Schema, Clone, Debug)]
pub struct KeyWindow {
    /// The key.
    pub key: String,
    /// The window's start.
    pub window_start: Timestamp,
    /// How many events.
    pub count: u64,
}
