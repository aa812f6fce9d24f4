//! `window_join`: pairs of rows with equal keys in the same event-time window.

use std::marker::PhantomData;
use std::rc::Rc;

use crate::mode::Mode;
use crate::ops::arrange::{join_map, reduce};
use crate::ops::totals::distinct_total;
use crate::order::{Total, Value};
use crate::panic::guarded;
use crate::schema::Row;
use crate::table::{Collection, Table};
use crate::time::Timestamp;
use crate::window::temporal_join::matches::Matches;
use crate::window::{Window, WindowKey};

/// A row in one of its windows: `(key, window_start, window_end, row)`.
type Placed<K, R> = (Total<K>, Timestamp, Timestamp, R);

/// An event time of a key and its session: `((key, time), (first, last))`.
type SessionOf<K> = ((Total<K>, Timestamp), (Timestamp, Timestamp));

/// Two tables matched by window, waiting for the kind of join.
pub struct WindowJoin<'s, T: 'static, U: 'static, K, M> {
    left: Table<'s, T, M>,
    right: Table<'s, U, M>,
    left_time: Rc<dyn Fn(&T) -> Timestamp>,
    right_time: Rc<dyn Fn(&U) -> Timestamp>,
    window: Window,
    left_key: Rc<dyn Fn(&T) -> K>,
    right_key: Rc<dyn Fn(&U) -> K>,
    mode: PhantomData<M>,
}

impl<'s, T: Row, M: Mode> Table<'s, T, M> {
    /// Matches rows of this table and `other` that fall in the same window of their event
    /// times. Tumbling and sliding windows are those of each row's time (a row in several
    /// sliding windows is matched in each); sessions are cut over the times of both tables
    /// together, per key. Narrow the matches to equal keys with [`WindowJoin::on`]; finish
    /// with [`WindowJoin::inner`], [`WindowJoin::left`], [`WindowJoin::right`] or
    /// [`WindowJoin::outer`], whose function also gets the window.
    ///
    /// ```
    /// use pathflow::prelude::*;
    /// use pathflow::window::{Window, WindowKey};
    ///
    /// type View = (u32, Timestamp); // (page, time)
    /// type Click = (u32, Timestamp); // (page, time)
    ///
    /// /// Views and clicks of a page in the same minute.
    /// fn pairs<'s, M: Mode>(v: Table<'s, View, M>, c: Table<'s, Click, M>) -> Table<'s, (u32, Timestamp), M> {
    ///     v.window_join(c, |v| v.1, |c| c.1, Window::tumbling(Duration::from_secs(60)))
    ///         .on(|v| v.0, |c| c.0)
    ///         .inner(|w: &WindowKey<u32>, _, _| (w.instance, w.window_start))
    /// }
    /// ```
    pub fn window_join<U: Row>(
        self,
        other: Table<'s, U, M>,
        left_time: impl Fn(&T) -> Timestamp + 'static,
        right_time: impl Fn(&U) -> Timestamp + 'static,
        window: impl Into<Window>,
    ) -> WindowJoin<'s, T, U, (), M> {
        WindowJoin {
            left: self,
            right: other,
            left_time: Rc::new(left_time),
            right_time: Rc::new(right_time),
            window: window.into(),
            left_key: Rc::new(|_| ()),
            right_key: Rc::new(|_| ()),
            mode: PhantomData,
        }
    }
}

impl<'s, T: Row, U: Row, K: Value, M: Mode> WindowJoin<'s, T, U, K, M> {
    /// Matches only rows whose keys are equal; the windows (and sessions) are per key.
    pub fn on<J: Value>(
        self,
        left_key: impl Fn(&T) -> J + 'static,
        right_key: impl Fn(&U) -> J + 'static,
    ) -> WindowJoin<'s, T, U, J, M> {
        WindowJoin {
            left: self.left,
            right: self.right,
            left_time: self.left_time,
            right_time: self.right_time,
            window: self.window,
            left_key: Rc::new(left_key),
            right_key: Rc::new(right_key),
            mode: PhantomData,
        }
    }

    /// One output row per pair in a window.
    pub fn inner<O: Row>(
        self,
        f: impl Fn(&WindowKey<K>, &T, &U) -> O + 'static,
    ) -> Table<'s, O, M> {
        let rows = self.matches().inner(move |l, r| f(&key_of(l), &l.3, &r.3));
        Table::<T, M>::derived(rows)
    }

    /// Every left row in each of its windows: with each right row there, or once with `None`.
    pub fn left<O: Row>(
        self,
        f: impl Fn(&WindowKey<K>, &T, Option<&U>) -> O + 'static,
    ) -> Table<'s, O, M> {
        let rows = self
            .matches()
            .left(move |l, r| f(&key_of(l), &l.3, r.map(|r| &r.3)));
        Table::<T, M>::derived(rows)
    }

    /// Every right row in each of its windows: with each left row there, or once with `None`.
    pub fn right<O: Row>(
        self,
        f: impl Fn(&WindowKey<K>, Option<&T>, &U) -> O + 'static,
    ) -> Table<'s, O, M> {
        let rows = self
            .matches()
            .right(move |l, r| f(&key_of(r), l.map(|l| &l.3), &r.3));
        Table::<T, M>::derived(rows)
    }

    /// Every pair in a window, plus every row of either side alone in one of its windows.
    pub fn outer<O: Row>(
        self,
        f: impl Fn(&WindowKey<K>, Option<&T>, Option<&U>) -> O + 'static,
    ) -> Table<'s, O, M> {
        let rows = self.matches().outer(move |l, r| {
            let key = match (l, r) {
                (Some(l), _) => key_of(l),
                (None, Some(r)) => key_of(r),
                (None, None) => unreachable!("an outer join row has at least one side"),
            };
            f(&key, l.map(|l| &l.3), r.map(|r| &r.3))
        });
        Table::<T, M>::derived(rows)
    }

    /// Both sides placed in their windows, and the pairs sharing a window.
    fn matches(self) -> Matches<'s, Placed<K, T>, Placed<K, U>> {
        let (left_time, left_key) = (self.left_time, self.left_key);
        let (right_time, right_key) = (self.right_time, self.right_key);
        let left = self.left.rows.map(move |row| {
            let (key, at) = guarded("window_join", &row, || {
                (Total(left_key(&row)), left_time(&row))
            });
            (key, at, row)
        });
        let right = self.right.rows.map(move |row| {
            let (key, at) = guarded("window_join", &row, || {
                (Total(right_key(&row)), right_time(&row))
            });
            (key, at, row)
        });
        let (left, right) = match self.window {
            Window::Session(session) => {
                let gap = session.max_gap();
                let times = left
                    .clone()
                    .map(|(key, at, _)| (key, at))
                    .concat(right.clone().map(|(key, at, _)| (key, at)));
                let sessions = sessions_of(times, gap);
                (
                    in_session(left, sessions.clone()),
                    in_session(right, sessions),
                )
            }
            window => (in_windows(left, window), in_windows(right, window)),
        };
        let by_window = |placed: Collection<'s, Placed<K, T>>| {
            placed.map(|(key, start, end, row)| ((key, start, end), row))
        };
        let pairs = join_map(
            by_window(left.clone()),
            right
                .clone()
                .map(|(key, start, end, row)| ((key, start, end), row)),
            |(key, start, end), l, r| {
                (
                    (key.clone(), *start, *end, l.clone()),
                    (key.clone(), *start, *end, r.clone()),
                )
            },
        );
        Matches { left, right, pairs }
    }
}

/// The window a placed row is in.
fn key_of<K: Value, R>(placed: &Placed<K, R>) -> WindowKey<K> {
    WindowKey {
        instance: placed.0 .0.clone(),
        window_start: placed.1,
        window_end: placed.2,
    }
}

/// Rows `(key, time, row)` in each tumbling or sliding window of their time.
fn in_windows<'s, K: Value, R: Row>(
    rows: Collection<'s, (Total<K>, Timestamp, R)>,
    window: Window,
) -> Collection<'s, Placed<K, R>> {
    rows.flat_map(move |(key, at, row)| {
        let starts: Vec<(Timestamp, Timestamp)> = match window {
            Window::Tumbling(w) => vec![(w.start_of(at), w.start_of(at) + w.size())],
            Window::Sliding(w) => w
                .starts_of(at)
                .map(|start| (start, start + w.size()))
                .collect(),
            Window::Session(_) => unreachable!("sessions are placed by `in_session`"),
        };
        starts
            .into_iter()
            .map(move |(start, end)| (key.clone(), start, end, row.clone()))
    })
}

/// Per key, the session `(first, last)` of every event time in `times`.
fn sessions_of<'s, K: Value>(
    times: Collection<'s, (Total<K>, Timestamp)>,
    gap: crate::time::Duration,
) -> Collection<'s, SessionOf<K>> {
    reduce(
        distinct_total(times),
        "WindowJoinSessions",
        move |_key, times: &[(&Timestamp, isize)], output| {
            let mut session: Vec<Timestamp> = Vec::new();
            let flush = |session: &mut Vec<Timestamp>, output: &mut Vec<(_, isize)>| {
                if let (Some(first), Some(last)) =
                    (session.first().copied(), session.last().copied())
                {
                    output.extend(session.drain(..).map(|at| ((at, first, last), 1)));
                }
            };
            for (at, _) in times {
                if session.last().is_some_and(|last| **at - *last >= gap) {
                    flush(&mut session, output);
                }
                session.push(**at);
            }
            flush(&mut session, output);
        },
    )
    .map(|(key, (at, first, last))| ((key, at), (first, last)))
}

/// Rows `(key, time, row)` in the session of their time.
fn in_session<'s, K: Value, R: Row>(
    rows: Collection<'s, (Total<K>, Timestamp, R)>,
    sessions: Collection<'s, SessionOf<K>>,
) -> Collection<'s, Placed<K, R>> {
    join_map(
        rows.map(|(key, at, row)| ((key, at), row)),
        sessions,
        |(key, _), row, (first, last)| (key.clone(), *first, *last, row.clone()),
    )
}
