//! [`Results`]: turns a window's aggregate into its output row, and a change of what a window
//! shows into output updates.

use std::rc::Rc;

use crate::order::{Total, Value};
use crate::panic::guarded;
use crate::reducers::Reducer;
use crate::schema::Row;
use crate::time::Timestamp;
use crate::window::aggregate::Aggregate;
use crate::window::behavior::{Clock, Policy};
use crate::window::event::WindowKey;

/// The function that builds an output row from a window and its aggregates.
pub(crate) type Build<K, O, U> = Rc<dyn Fn(&WindowKey<K>, O) -> U>;

/// What the window states share: the reducers, the row builder and the behavior's rules.
pub(crate) struct Results<K, T, R: Reducer<T>, U> {
    pub reducer: Rc<R>,
    pub build: Build<K, R::Output, U>,
    pub policy: Policy,
}

impl<K: Value, T, R: Reducer<T>, U: Row> Results<K, T, R, U> {
    /// The row a window shows at `clock`, if any: `None` while it is empty, held back by the
    /// delay, or retracted after the cutoff.
    pub fn shown(
        &self,
        instance: &Total<K>,
        bounds: (Timestamp, Timestamp),
        boundary: Timestamp,
        aggregate: &Aggregate<T, R>,
        clock: &Clock,
    ) -> Option<U> {
        if !aggregate.has_rows() || !self.policy.shows(boundary, clock) {
            return None;
        }
        let key = WindowKey {
            instance: instance.0.clone(),
            window_start: bounds.0,
            window_end: bounds.1,
        };
        let output = aggregate.finish(&self.reducer);
        Some(guarded("windowby", &key, || (self.build)(&key, output)))
    }
}

/// Makes a window show `desired` instead of `shown`, pushing the retraction and insertion.
pub(crate) fn replace<U: Row>(
    shown: &mut Option<U>,
    desired: Option<U>,
    out: &mut Vec<(U, isize)>,
) {
    if *shown == desired {
        return;
    }
    if let Some(old) = shown.take() {
        out.push((old, -1));
    }
    if let Some(new) = desired {
        out.push((new.clone(), 1));
        *shown = Some(new);
    }
}
