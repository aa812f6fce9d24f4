//! [`FixedWindows`]: the state of tumbling and sliding windows, whose bounds do not depend on
//! the events in them.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound::{Excluded, Included};

use crate::ops::GroupDiff;
use crate::order::{Total, Value};
use crate::reducers::Reducer;
use crate::schema::Row;
use crate::time::{Duration, Timestamp};
use crate::window::aggregate::Aggregate;
use crate::window::behavior::Clock;
use crate::window::event::Event;
use crate::window::operator::WindowState;
use crate::window::results::{replace, Results};

/// One window's aggregate and the row it shows.
struct Slot<T, R: Reducer<T>, U> {
    aggregate: Aggregate<T, R>,
    shown: Option<U>,
}

/// Windows by start, then instance.
type ByStart<K, T, R, U> = BTreeMap<Timestamp, BTreeMap<Total<K>, Slot<T, R, U>>>;

/// Windows of one size, by start and then instance, so that those the watermark passes are
/// found, and forgotten, in order.
pub(crate) struct FixedWindows<K, T, R: Reducer<T>, U> {
    size: Duration,
    windows: ByStart<K, T, R, U>,
    changed: BTreeSet<(Timestamp, Total<K>)>,
    results: Results<K, T, R, U>,
}

impl<K: Value, T, R: Reducer<T>, U: Row> FixedWindows<K, T, R, U> {
    /// No windows yet; each will be `size` long.
    pub fn new(size: Duration, results: Results<K, T, R, U>) -> Self {
        FixedWindows {
            size,
            windows: BTreeMap::new(),
            changed: BTreeSet::new(),
            results,
        }
    }

    /// Re-evaluates one window and drops it when it holds and shows nothing.
    fn refresh(
        &mut self,
        start: Timestamp,
        instance: &Total<K>,
        clock: &Clock,
        out: &mut Vec<(U, isize)>,
    ) {
        let end = start + self.size;
        let Some(slots) = self.windows.get_mut(&start) else {
            return;
        };
        let Some(slot) = slots.get_mut(instance) else {
            return;
        };
        let desired = self
            .results
            .shown(instance, (start, end), end, &slot.aggregate, clock);
        replace(&mut slot.shown, desired, out);
        if slot.aggregate.is_empty() && slot.shown.is_none() {
            slots.remove(instance);
            if slots.is_empty() {
                self.windows.remove(&start);
            }
        }
    }
}

impl<K: Value, T: 'static, R: Reducer<T>, U: Row> WindowState for FixedWindows<K, T, R, U> {
    type Instance = Total<K>;
    type Value = R::Value;
    type Acc = R::Acc;
    type Out = U;

    fn apply(&mut self, event: Event<Total<K>, R::Value>, diff: &GroupDiff<R::Acc>) {
        let slot = self
            .windows
            .entry(event.start)
            .or_default()
            .entry(event.instance.clone())
            .or_default();
        slot.aggregate.add(&event.value, diff);
        self.changed.insert((event.start, event.instance));
    }

    fn settle(&mut self, clock: &Clock, out: &mut Vec<(U, isize)>) {
        let mut candidates = std::mem::take(&mut self.changed);
        // Windows whose end plus a threshold the watermark just passed.
        for offset in self.results.policy.thresholds() {
            let lowest = clock.previous - offset - self.size;
            let highest = clock.emission() - offset - self.size;
            if lowest >= highest {
                continue;
            }
            for (start, slots) in self.windows.range((Excluded(lowest), Included(highest))) {
                candidates.extend(slots.keys().map(|instance| (*start, instance.clone())));
            }
        }
        for (start, instance) in candidates {
            self.refresh(start, &instance, clock, out);
        }
        while let Some(entry) = self.windows.first_entry() {
            if !self.results.policy.forgets(*entry.key() + self.size, clock) {
                break;
            }
            entry.remove();
        }
    }
}

impl<T, R: Reducer<T>, U> Default for Slot<T, R, U> {
    fn default() -> Self {
        Slot {
            aggregate: Aggregate::default(),
            shown: None,
        }
    }
}
