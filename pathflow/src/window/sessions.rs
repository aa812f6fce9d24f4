//! [`SessionWindows`]: the state of session windows, whose bounds are made by their events.

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

/// A session of one instance: its last event time and the row it shows (its first event
/// time is its key).
struct Session<U> {
    last: Timestamp,
    shown: Option<U>,
}

/// One instance's events, aggregated per event time, and its current sessions.
struct Instance<T, R: Reducer<T>, U> {
    instants: BTreeMap<Timestamp, Aggregate<T, R>>,
    sessions: BTreeMap<Timestamp, Session<U>>,
}

impl<T, R: Reducer<T>, U> Instance<T, R, U> {
    /// Whether the instance holds nothing any more.
    fn is_empty(&self) -> bool {
        self.sessions.is_empty() && self.instants.is_empty()
    }
}

impl<T, R: Reducer<T>, U> Default for Instance<T, R, U> {
    fn default() -> Self {
        Instance {
            instants: BTreeMap::new(),
            sessions: BTreeMap::new(),
        }
    }
}

/// Sessions of every instance, indexed by their last event time so that those the watermark
/// passes are found, and forgotten, in order.
pub(crate) struct SessionWindows<K, T, R: Reducer<T>, U> {
    gap: Duration,
    instances: BTreeMap<Total<K>, Instance<T, R, U>>,
    by_last: BTreeMap<Timestamp, BTreeSet<(Total<K>, Timestamp)>>,
    changed: BTreeMap<Total<K>, Vec<Timestamp>>,
    results: Results<K, T, R, U>,
}

impl<K: Value, T, R: Reducer<T>, U: Row> SessionWindows<K, T, R, U> {
    /// No sessions yet; events `gap` or more apart will be in different sessions.
    pub fn new(gap: Duration, results: Results<K, T, R, U>) -> Self {
        SessionWindows {
            gap,
            instances: BTreeMap::new(),
            by_last: BTreeMap::new(),
            changed: BTreeMap::new(),
            results,
        }
    }

    /// Rebuilds an instance's sessions around the event times that changed: removes the
    /// sessions those times touch (retracting their rows) and cuts the instants there anew.
    /// Returns the starts of the new sessions.
    fn rebuild(
        &mut self,
        key: &Total<K>,
        mut times: Vec<Timestamp>,
        out: &mut Vec<(U, isize)>,
    ) -> Vec<Timestamp> {
        let gap = self.gap;
        let Some(instance) = self.instances.get_mut(key) else {
            return Vec::new();
        };
        times.sort_unstable();
        times.dedup();
        let mut spans: Vec<(Timestamp, Timestamp)> = Vec::new();
        for at in times {
            let (mut low, mut high) = (at, at);
            let touched: Vec<Timestamp> = instance
                .sessions
                .range(..at + gap)
                .rev()
                .take_while(|(_, session)| session.last > at - gap)
                .map(|(start, _)| *start)
                .collect();
            for start in touched {
                let session = instance.sessions.remove(&start).expect("listed above");
                unindex(&mut self.by_last, session.last, key, start);
                if let Some(row) = session.shown {
                    out.push((row, -1));
                }
                low = low.min(start);
                high = high.max(session.last);
            }
            spans.push((low, high));
        }
        spans.sort_unstable();
        let mut merged: Vec<(Timestamp, Timestamp)> = Vec::new();
        for (low, high) in spans {
            match merged.last_mut() {
                Some(last) if low - last.1 < gap => last.1 = last.1.max(high),
                _ => merged.push((low, high)),
            }
        }
        let mut starts = Vec::new();
        for (low, high) in merged {
            let mut current: Option<(Timestamp, Timestamp)> = None;
            let present: Vec<Timestamp> = instance
                .instants
                .range(low..=high)
                .filter(|(_, aggregate)| aggregate.has_rows())
                .map(|(at, _)| *at)
                .collect();
            for at in present {
                current = match current {
                    Some((start, last)) if at - last < gap => Some((start, at)),
                    Some(done) => {
                        starts.push(done.0);
                        insert(instance, &mut self.by_last, key, done);
                        Some((at, at))
                    }
                    None => Some((at, at)),
                };
            }
            if let Some(done) = current {
                starts.push(done.0);
                insert(instance, &mut self.by_last, key, done);
            }
        }
        starts
    }

    /// Re-evaluates one session's row.
    fn refresh(
        &mut self,
        key: &Total<K>,
        start: Timestamp,
        clock: &Clock,
        out: &mut Vec<(U, isize)>,
    ) {
        let Some(instance) = self.instances.get_mut(key) else {
            return;
        };
        let Some(session) = instance.sessions.get_mut(&start) else {
            return;
        };
        let mut aggregate = Aggregate::default();
        for (_, instant) in instance.instants.range(start..=session.last) {
            aggregate.merge(instant);
        }
        let boundary = session.last + self.gap;
        let desired = self
            .results
            .shown(key, (start, session.last), boundary, &aggregate, clock);
        replace(&mut session.shown, desired, out);
    }

    /// Frees the sessions, and their instants, that nothing can change any more.
    fn forget(&mut self, clock: &Clock) {
        while let Some(entry) = self.by_last.first_entry() {
            let last = *entry.key();
            if !self.results.policy.forgets(last + self.gap, clock) {
                break;
            }
            for (key, start) in entry.remove() {
                let Some(instance) = self.instances.get_mut(&key) else {
                    continue;
                };
                instance.sessions.remove(&start);
                let held: Vec<Timestamp> = instance
                    .instants
                    .range(start..=last)
                    .map(|(at, _)| *at)
                    .collect();
                for at in held {
                    instance.instants.remove(&at);
                }
                if instance.is_empty() {
                    self.instances.remove(&key);
                }
            }
        }
    }
}

/// Adds a session `(start, last)` of `key` to its instance and to the index.
fn insert<T, R: Reducer<T>, U, K: Value>(
    instance: &mut Instance<T, R, U>,
    by_last: &mut BTreeMap<Timestamp, BTreeSet<(Total<K>, Timestamp)>>,
    key: &Total<K>,
    (start, last): (Timestamp, Timestamp),
) {
    instance
        .sessions
        .insert(start, Session { last, shown: None });
    by_last
        .entry(last)
        .or_default()
        .insert((key.clone(), start));
}

/// Removes a session from the index.
fn unindex<K: Value>(
    by_last: &mut BTreeMap<Timestamp, BTreeSet<(Total<K>, Timestamp)>>,
    last: Timestamp,
    key: &Total<K>,
    start: Timestamp,
) {
    if let Some(sessions) = by_last.get_mut(&last) {
        sessions.remove(&(key.clone(), start));
        if sessions.is_empty() {
            by_last.remove(&last);
        }
    }
}

impl<K: Value, T: 'static, R: Reducer<T>, U: Row> WindowState for SessionWindows<K, T, R, U> {
    type Instance = Total<K>;
    type Value = R::Value;
    type Acc = R::Acc;
    type Out = U;

    fn apply(&mut self, event: Event<Total<K>, R::Value>, diff: &GroupDiff<R::Acc>) {
        let instance = self.instances.entry(event.instance.clone()).or_default();
        let instant = instance.instants.entry(event.at).or_default();
        instant.add(&event.value, diff);
        if instant.is_empty() {
            instance.instants.remove(&event.at);
        }
        self.changed
            .entry(event.instance)
            .or_default()
            .push(event.at);
    }

    fn settle(&mut self, clock: &Clock, out: &mut Vec<(U, isize)>) {
        let mut candidates: BTreeSet<(Total<K>, Timestamp)> = BTreeSet::new();
        for (key, times) in std::mem::take(&mut self.changed) {
            for start in self.rebuild(&key, times, out) {
                candidates.insert((key.clone(), start));
            }
            if self.instances.get(&key).is_some_and(Instance::is_empty) {
                self.instances.remove(&key);
            }
        }
        // Sessions whose boundary (last event + gap) plus a threshold the watermark just
        // passed.
        for offset in self.results.policy.thresholds() {
            let lowest = clock.previous - offset - self.gap;
            let highest = clock.emission() - offset - self.gap;
            if lowest >= highest {
                continue;
            }
            for (_, sessions) in self.by_last.range((Excluded(lowest), Included(highest))) {
                candidates.extend(sessions.iter().cloned());
            }
        }
        for (key, start) in candidates {
            self.refresh(&key, start, clock, out);
        }
        self.forget(clock);
    }
}
