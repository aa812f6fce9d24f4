//! Joins on event time: [`interval_join`](crate::Table::interval_join) (rows whose times
//! differ by a bounded interval), [`asof_join`](crate::Table::asof_join) (each left row with
//! the latest right row at or before its time) and [`window_join`](crate::Table::window_join)
//! (rows in the same window).
//!
//! Each starts from two tables and their time columns, optionally narrows matches to equal
//! keys with `.on(left_key, right_key)`, and ends with the kind of join, which builds the
//! output rows:
//!
//! ```
//! use pathflow::prelude::*;
//! use pathflow::window::temporal_join::Interval;
//!
//! type Click = (String, Timestamp); // (user, time)
//! type Buy = (String, Timestamp, i64); // (user, time, cents)
//!
//! /// Purchases within ten minutes after a click by the same user.
//! fn converted<'s, M: Mode>(clicks: Table<'s, Click, M>, buys: Table<'s, Buy, M>)
//!     -> Table<'s, (String, Timestamp, i64), M>
//! {
//!     clicks
//!         .interval_join(buys, |c| c.1, |b| b.1, Interval::new(Duration::from_millis(0), Duration::from_secs(600)))
//!         .on(|c| c.0.clone(), |b| b.0.clone())
//!         .inner(|c, b| (c.0.clone(), c.1, b.2))
//! }
//! ```
//!
//! These joins are maintained incrementally by differential dataflow and keep every row
//! they have seen: they have no cutoff, and their memory grows with their input.

mod asof;
mod interval;
mod matches;
mod window_join;

pub use asof::AsofJoin;
pub use interval::{Interval, IntervalJoin};
pub use window_join::WindowJoin;
