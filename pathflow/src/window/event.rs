//! What flows into the window operator ([`Event`]) and what names a window ([`WindowKey`]).

use differential_dataflow::Hashable;
use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// One window, as the function building an output row sees it: the instance it belongs to
/// (`()` without [`WindowBy::instance`](crate::window::WindowBy::instance)) and its bounds.
///
/// For tumbling and sliding windows `window_end` is exclusive: the window holds the events
/// in `[window_start, window_end)`. For a session they are its first and last event times.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WindowKey<K> {
    /// The instance (per-key windows), or `()`.
    pub instance: K,
    /// The window's start.
    pub window_start: Timestamp,
    /// The window's end (exclusive), or a session's last event time.
    pub window_end: Timestamp,
}

/// A row's contribution to one window, as exchanged between workers: its instance, the
/// window (its start; unused by sessions), its event time and the value its reducers keep.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) struct Event<K, V> {
    pub instance: K,
    pub start: Timestamp,
    pub at: Timestamp,
    pub value: V,
    pub placement: Placement,
}

/// Which of a row's windows an event is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) enum Placement {
    /// The row's first (earliest) window, whose event reports the row when it is late.
    First,
    /// Another window of the row.
    Later,
    /// The row is in no window (it falls between sliding windows): the event only moves the
    /// watermark, and reports the row when it is late.
    Outside,
}

impl<K: std::hash::Hash, V> Event<K, V> {
    /// The worker this event's window lives on is chosen by this number.
    pub fn route(&self) -> u64 {
        (&self.instance, self.start).hashed()
    }
}
