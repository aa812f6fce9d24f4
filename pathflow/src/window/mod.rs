//! Event time: windows, late and out-of-order data, and (in [`temporal_join`]) joins on time.
//!
//! [`Table::windowby`](crate::Table::windowby) groups rows into windows of their event time,
//! [`Window::tumbling`], [`Window::sliding`] or [`Window::session`], optionally per instance
//! (a key), and reduces each window to a row that carries `window_start` and `window_end`.
//! A [`Behavior`] says how the windows treat time, measured against the *watermark* `W(e)`
//! of an epoch `e`: the largest event time the input added in the epochs before `e`, over
//! all workers. Events arrive in any order; those that are too late (below `W − cutoff`) are
//! ignored, counted and logged, and the state of windows nothing can change any more is
//! freed, so memory stays flat on an endless stream.
//!
//! ```
//! use pathflow::prelude::*;
//! use pathflow::window::{Behavior, Window, WindowKey};
//!
//! type Click = (String, Timestamp); // (user, time)
//!
//! /// Clicks per user and 10-second window, each window emitted once, 30 s after it ends.
//! fn clicks<'s, M: Mode>(c: Table<'s, Click, M>) -> Table<'s, (String, Timestamp, u64), M> {
//!     c.windowby(|c| c.1, Window::tumbling(Duration::from_secs(10)),
//!                Behavior::exactly_once(Duration::from_secs(30)))
//!         .instance(|c| c.0.clone())
//!         .reduce(|r| r.count(), |w: &WindowKey<String>, n| (w.instance.clone(), w.window_start, n))
//! }
//! ```
//!
//! The window state lives in an operator of its own rather than in a differential
//! arrangement: forgetting a closed window must keep its result, and retracting the input of
//! a differential operator would retract the result too.

mod aggregate;
mod behavior;
mod epochs;
mod event;
mod fixed;
mod late;
mod operator;
mod results;
mod session;
mod sessions;
mod shape;
mod sliding;
pub mod temporal_join;
mod tumbling;
mod windowby;

pub use behavior::{Behavior, ExactlyOnce, WindowBehavior};
pub use event::WindowKey;
pub(crate) use late::report_late_events_to;
pub use session::SessionWindow;
pub use shape::Window;
pub use sliding::SlidingWindow;
pub use tumbling::TumblingWindow;
pub use windowby::WindowBy;
