//! `windowby(..).reduce(..)`: aggregates per event-time window, with late-data behavior.

use std::marker::PhantomData;
use std::rc::Rc;

use timely::dataflow::operators::vec::Map;
use timely::dataflow::StreamVec;

use crate::mode::Mode;
use crate::ops::GroupDiff;
use crate::order::{Total, Value};
use crate::panic::guarded;
use crate::position::Position;
use crate::reducers::{Reducer, Reducers};
use crate::schema::Row;
use crate::table::{Collection, Epoch, Table};
use crate::time::Timestamp;
use crate::window::behavior::{Policy, WindowBehavior};
use crate::window::epochs::{consolidate_epochs, StateUpdate, Update};
use crate::window::event::{Event, Placement, WindowKey};
use crate::window::fixed::FixedWindows;
use crate::window::operator::{window_operator, WindowState};
use crate::window::results::Results;
use crate::window::sessions::SessionWindows;
use crate::window::shape::Window;

/// A table grouped into event-time windows, waiting for [`WindowBy::reduce`]; narrow the
/// windows to one instance (a key) at a time with [`WindowBy::instance`].
pub struct WindowBy<'s, T: 'static, K, M> {
    table: Table<'s, T, M>,
    time: Rc<dyn Fn(&T) -> Timestamp>,
    window: Window,
    policy: Policy,
    instance: Rc<dyn Fn(&T) -> K>,
    mode: PhantomData<M>,
}

impl<'s, T: Row, M: Mode> Table<'s, T, M> {
    /// Groups rows into windows of event time `time(row)`; finish with [`WindowBy::reduce`].
    ///
    /// `window` is [`Window::tumbling`], [`Window::sliding`] or [`Window::session`];
    /// `behavior` is a [`Behavior`](crate::window::Behavior) (delay, cutoff, kept results)
    /// or [`Behavior::exactly_once`](crate::window::Behavior::exactly_once).
    ///
    /// ```
    /// use pathflow::prelude::*;
    /// use pathflow::window::{Behavior, Window, WindowKey};
    /// use pathflow::memory;
    ///
    /// // (sensor, reading, time) -> (sensor, window start, window end, readings)
    /// type Reading = (String, i64, Timestamp);
    /// fn per_minute<'s, M: Mode>(r: Table<'s, Reading, M>) -> Table<'s, (String, i64, i64, u64), M> {
    ///     r.windowby(|r| r.2, Window::tumbling(Duration::from_secs(60)), Behavior::default())
    ///         .instance(|r| r.0.clone())
    ///         .reduce(|r| r.count(), |w: &WindowKey<String>, n| {
    ///             (w.instance.clone(), w.window_start.millis(), w.window_end.millis(), n)
    ///         })
    /// }
    ///
    /// let (result, sink) = memory::snapshot();
    /// Runner::batch().run(move |p| {
    ///     let readings = p.read(memory::rows(vec![
    ///         ("a".to_owned(), 1, Timestamp::from_millis(59_000)),
    ///         ("a".to_owned(), 2, Timestamp::from_millis(61_000)),
    ///         ("a".to_owned(), 3, Timestamp::from_millis(1_000)),
    ///     ]));
    ///     p.write(per_minute(readings), sink.clone());
    /// })?;
    /// assert_eq!(result.rows(), vec![("a".into(), 0, 60_000, 2), ("a".into(), 60_000, 120_000, 1)]);
    /// # Ok::<(), pathflow::Error>(())
    /// ```
    pub fn windowby(
        self,
        time: impl Fn(&T) -> Timestamp + 'static,
        window: impl Into<Window>,
        behavior: impl WindowBehavior,
    ) -> WindowBy<'s, T, (), M> {
        WindowBy {
            table: self,
            time: Rc::new(time),
            window: window.into(),
            policy: behavior.policy(),
            instance: Rc::new(|_| ()),
            mode: PhantomData,
        }
    }
}

impl<'s, T: Row, K: Value, M: Mode> WindowBy<'s, T, K, M> {
    /// Windows per instance: rows with different `instance(row)` are in different windows
    /// (and sessions), and each output row names its instance.
    pub fn instance<I: Value>(self, instance: impl Fn(&T) -> I + 'static) -> WindowBy<'s, T, I, M> {
        WindowBy {
            table: self.table,
            time: self.time,
            window: self.window,
            policy: self.policy,
            instance: Rc::new(instance),
            mode: PhantomData,
        }
    }

    /// One output row per non-empty window: `reducers` picks the aggregates (a reducer or a
    /// tuple of them, as for [`GroupBy::reduce`](crate::GroupBy::reduce)), `build` makes the
    /// row from the window and the aggregates.
    ///
    /// Each update costs O(1) for `count`, `sum` and `avg` plus the window's distinct values
    /// for the others; a session update also re-reads the session's distinct event times.
    pub fn reduce<R, U>(
        self,
        reducers: impl FnOnce(Reducers<T>) -> R,
        build: impl Fn(&WindowKey<K>, R::Output) -> U + 'static,
    ) -> Table<'s, U, M>
    where
        R: Reducer<T>,
        U: Row,
    {
        let reducer = Rc::new(reducers(Reducers::new()));
        let results = Results {
            reducer: Rc::clone(&reducer),
            build: Rc::new(build),
            policy: self.policy,
        };
        let lift = Lift {
            time: self.time,
            instance: self.instance,
            window: self.window,
            reducer,
        };
        let events = if R::NEEDS_POSITION {
            let positioned = self.table.positioned("windowby");
            positioned
                .inner
                .flat_map(move |((row, position), epoch, diff)| {
                    lift.events(&row, &position, epoch, diff)
                })
        } else {
            self.table.rows.inner.flat_map(move |(row, epoch, diff)| {
                lift.events(&row, &Position::default(), epoch, diff)
            })
        };
        let rows = match self.window {
            Window::Tumbling(window) => run::<M, _>(
                events,
                self.policy,
                FixedWindows::new(window.size(), results),
            ),
            Window::Sliding(window) => run::<M, _>(
                events,
                self.policy,
                FixedWindows::new(window.size(), results),
            ),
            Window::Session(window) => run::<M, _>(
                events,
                self.policy,
                SessionWindows::new(window.max_gap(), results),
            ),
        };
        Table::<T, M>::derived(rows)
    }
}

/// The events of a stream of rows, consolidated per epoch and run through `state`.
fn run<'s, M: Mode, S: WindowState>(
    events: StreamVec<'s, Epoch, StateUpdate<S>>,
    policy: Policy,
    state: S,
) -> Collection<'s, S::Out> {
    let (updates, maxima) = consolidate_epochs(events);
    window_operator(updates, maxima, policy, M::STREAMING, state)
}

/// Turns a row update into the window events it makes.
struct Lift<T, K, R> {
    time: Rc<dyn Fn(&T) -> Timestamp>,
    instance: Rc<dyn Fn(&T) -> K>,
    window: Window,
    reducer: Rc<R>,
}

impl<T: Row, K: Value, R: Reducer<T>> Lift<T, K, R> {
    /// The events of `diff` copies of `row`: one per window it is in (sessions: one).
    fn events(
        &self,
        row: &T,
        position: &Position,
        epoch: Epoch,
        diff: isize,
    ) -> Vec<Update<Total<K>, R::Value, R::Acc>> {
        guarded("windowby", row, || {
            let at = (self.time)(row);
            let instance = Total((self.instance)(row));
            let value = self.reducer.value(row, position);
            let diff = GroupDiff {
                count: diff,
                acc: self.reducer.accumulate(row, diff),
            };
            let event = |start: Timestamp, placement: Placement| Event {
                instance: instance.clone(),
                start,
                at,
                value: value.clone(),
                placement,
            };
            match self.window {
                Window::Tumbling(window) => {
                    vec![(event(window.start_of(at), Placement::First), epoch, diff)]
                }
                Window::Sliding(window) => {
                    let mut events: Vec<_> = window
                        .starts_of(at)
                        .map(|start| (event(start, Placement::Later), epoch, diff.clone()))
                        .collect();
                    match events.first_mut() {
                        Some(first) => first.0.placement = Placement::First,
                        None => {
                            events.push((event(Timestamp::MIN, Placement::Outside), epoch, diff))
                        }
                    }
                    events
                }
                Window::Session(_) => vec![(event(Timestamp::MIN, Placement::First), epoch, diff)],
            }
        })
    }
}
