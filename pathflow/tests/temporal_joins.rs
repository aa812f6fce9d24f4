//! Temporal joins (interval, as-of, window) against naive references (every pair of rows
//! checked by hand) on random inputs with retractions, in batch on 1 and several workers and
//! in streaming, every streamed state checked against the reference on a prefix.

mod common;

use std::collections::BTreeMap;

use common::*;
use pathflow::prelude::*;
use pathflow::window::temporal_join::Interval;
use pathflow::window::{Window, WindowKey};
use proptest::prelude::*;

/// A row of either side: (key, event time, id).
type Side = (u8, Timestamp, u8);
/// A joined row.
type Pair = (Option<Side>, Option<Side>);
/// A joined row with its window: (key, window_start, window_end, left, right).
type Placed = (u8, i64, i64, Option<Side>, Option<Side>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Inner,
    Left,
    Right,
    Outer,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop::sample::select(vec![Kind::Inner, Kind::Left, Kind::Right, Kind::Outer])
}

fn side() -> impl Strategy<Value = Side> {
    (0u8..3, 0i64..60, 0u8..4).prop_map(|(key, at, id)| (key, Timestamp::from_millis(at), id))
}

/// Each row with its multiplicity, rows retracted to zero dropped.
fn rows(epochs: &[Vec<(Side, isize)>]) -> Vec<(Side, isize)> {
    final_rows(epochs).into_iter().collect()
}

/// Adds the unmatched rows of each side to matched pairs, as the join `kind` does.
fn complete(
    kind: Kind,
    pairs: Vec<((Side, isize), (Side, isize))>,
    left: &[(Side, isize)],
    right: &[(Side, isize)],
) -> Multiset<Pair> {
    let mut out: Vec<(Pair, isize)> = pairs
        .iter()
        .map(|((l, m), (r, n))| ((Some(*l), Some(*r)), m * n))
        .collect();
    if matches!(kind, Kind::Left | Kind::Outer) {
        for (l, m) in left {
            if !pairs.iter().any(|((pl, _), _)| pl == l) {
                out.push(((Some(*l), None), *m));
            }
        }
    }
    if matches!(kind, Kind::Right | Kind::Outer) {
        for (r, n) in right {
            if !pairs.iter().any(|(_, (pr, _))| pr == r) {
                out.push(((None, Some(*r)), *n));
            }
        }
    }
    multiset(out)
}

// ---------------------------------------------------------------------------------------------
// interval_join
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct IntervalPipe {
    lower: i64,
    upper: i64,
    kind: Kind,
}

impl Pipe for IntervalPipe {
    type A = Side;
    type B = Side;
    type Out = Pair;
    fn build<'s, M: Mode>(
        &self,
        a: Table<'s, Side, M>,
        b: Table<'s, Side, M>,
    ) -> Table<'s, Pair, M> {
        let interval = Interval::new(
            Duration::from_millis(self.lower),
            Duration::from_millis(self.upper),
        );
        let join = a
            .interval_join(b, |l| l.1, |r| r.1, interval)
            .on(|l| l.0, |r| r.0);
        match self.kind {
            Kind::Inner => join.inner(|l, r| (Some(*l), Some(*r))),
            Kind::Left => join.left(|l, r| (Some(*l), r.copied())),
            Kind::Right => join.right(|l, r| (l.copied(), Some(*r))),
            Kind::Outer => join.outer(|l, r| (l.copied(), r.copied())),
        }
    }
}

fn interval_reference(
    pipe: IntervalPipe,
    a: &[Vec<(Side, isize)>],
    b: &[Vec<(Side, isize)>],
) -> Multiset<Pair> {
    let (left, right) = (rows(a), rows(b));
    let mut pairs = Vec::new();
    for l in &left {
        for r in &right {
            let difference = r.0 .1.millis() - l.0 .1.millis();
            if l.0 .0 == r.0 .0 && pipe.lower <= difference && difference <= pipe.upper {
                pairs.push((*l, *r));
            }
        }
    }
    complete(pipe.kind, pairs, &left, &right)
}

// ---------------------------------------------------------------------------------------------
// asof_join
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct AsofPipe {
    keep_unmatched: bool,
}

impl Pipe for AsofPipe {
    type A = Side;
    type B = Side;
    type Out = Pair;
    fn build<'s, M: Mode>(
        &self,
        a: Table<'s, Side, M>,
        b: Table<'s, Side, M>,
    ) -> Table<'s, Pair, M> {
        let join = a.asof_join(b, |l| l.1, |r| r.1).on(|l| l.0, |r| r.0);
        if self.keep_unmatched {
            join.left(|l, r| (Some(*l), r.copied()))
        } else {
            join.inner(|l, r| (Some(*l), Some(*r)))
        }
    }
}

fn asof_reference(
    pipe: AsofPipe,
    a: &[Vec<(Side, isize)>],
    b: &[Vec<(Side, isize)>],
) -> Multiset<Pair> {
    let right = rows(b);
    let mut out = Vec::new();
    for (l, copies) in rows(a) {
        let latest = right
            .iter()
            .map(|(r, _)| *r)
            .filter(|r| r.0 == l.0 && r.1 <= l.1)
            .max_by_key(|r| (r.1, *r));
        if latest.is_some() || pipe.keep_unmatched {
            out.push(((Some(l), latest), copies));
        }
    }
    multiset(out)
}

// ---------------------------------------------------------------------------------------------
// window_join
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum JoinWindow {
    Tumbling(i64),
    Sliding(i64, i64),
    Session(i64),
}

#[derive(Clone, Copy, Debug)]
struct WindowPipe {
    window: JoinWindow,
    kind: Kind,
}

impl Pipe for WindowPipe {
    type A = Side;
    type B = Side;
    type Out = Placed;
    fn build<'s, M: Mode>(
        &self,
        a: Table<'s, Side, M>,
        b: Table<'s, Side, M>,
    ) -> Table<'s, Placed, M> {
        let ms = Duration::from_millis;
        let window: Window = match self.window {
            JoinWindow::Tumbling(size) => Window::tumbling(ms(size)).into(),
            JoinWindow::Sliding(hop, size) => Window::sliding(ms(hop), ms(size)).into(),
            JoinWindow::Session(gap) => Window::session(ms(gap)).into(),
        };
        let join = a
            .window_join(b, |l| l.1, |r| r.1, window)
            .on(|l| l.0, |r| r.0);
        let placed = |w: &WindowKey<u8>, l: Option<&Side>, r: Option<&Side>| {
            (
                w.instance,
                w.window_start.millis(),
                w.window_end.millis(),
                l.copied(),
                r.copied(),
            )
        };
        match self.kind {
            Kind::Inner => join.inner(move |w, l, r| placed(w, Some(l), Some(r))),
            Kind::Left => join.left(move |w, l, r| placed(w, Some(l), r)),
            Kind::Right => join.right(move |w, l, r| placed(w, l, Some(r))),
            Kind::Outer => join.outer(move |w, l, r| placed(w, l, r)),
        }
    }
}

/// The windows `(start, end)` of a row at `at` whose key's event times are `times`.
fn windows_of(window: JoinWindow, at: i64, times: &[i64]) -> Vec<(i64, i64)> {
    match window {
        JoinWindow::Tumbling(size) => {
            let start = at.div_euclid(size) * size;
            vec![(start, start + size)]
        }
        JoinWindow::Sliding(hop, size) => (-100..100)
            .map(|k| k * hop)
            .filter(|start| *start <= at && at < start + size)
            .map(|start| (start, start + size))
            .collect(),
        JoinWindow::Session(gap) => {
            let mut sorted = times.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            let mut first = sorted[0];
            let mut last = sorted[0];
            let mut found = None;
            for t in sorted.into_iter().skip(1).chain([i64::MAX]) {
                if t == i64::MAX || t - last >= gap {
                    if first <= at && at <= last {
                        found = Some((first, last));
                    }
                    first = t;
                }
                last = t;
            }
            vec![found.expect("every time is in a session")]
        }
    }
}

fn window_reference(
    pipe: WindowPipe,
    a: &[Vec<(Side, isize)>],
    b: &[Vec<(Side, isize)>],
) -> Multiset<Placed> {
    let (left, right) = (rows(a), rows(b));
    let mut times: BTreeMap<u8, Vec<i64>> = BTreeMap::new();
    for (row, _) in left.iter().chain(&right) {
        times.entry(row.0).or_default().push(row.1.millis());
    }
    let place = |rows: &[(Side, isize)]| -> BTreeMap<(u8, i64, i64), Vec<(Side, isize)>> {
        let mut placed: BTreeMap<(u8, i64, i64), Vec<(Side, isize)>> = BTreeMap::new();
        for (row, copies) in rows {
            for (start, end) in windows_of(pipe.window, row.1.millis(), &times[&row.0]) {
                placed
                    .entry((row.0, start, end))
                    .or_default()
                    .push((*row, *copies));
            }
        }
        placed
    };
    let (left, right) = (place(&left), place(&right));
    let mut windows: Vec<(u8, i64, i64)> = left.keys().chain(right.keys()).copied().collect();
    windows.sort_unstable();
    windows.dedup();
    let mut out = Vec::new();
    for w in windows {
        let (l, r) = (
            left.get(&w).cloned().unwrap_or_default(),
            right.get(&w).cloned().unwrap_or_default(),
        );
        let pairs = l
            .iter()
            .flat_map(|x| r.iter().map(move |y| (*x, *y)))
            .collect();
        for ((lrow, rrow), copies) in complete(pipe.kind, pairs, &l, &r) {
            out.push(((w.0, w.1, w.2, lrow, rrow), copies));
        }
    }
    multiset(out)
}

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(16))]

    #[test]
    fn interval_join_matches_the_reference(
        lower in -10i64..5,
        width in 0i64..12,
        kind in kind(),
        a in epochs_of(side(), 14),
        b in epochs_of(side(), 14),
        workers in 1u32..=2,
    ) {
        let pipe = IntervalPipe { lower, upper: lower + width, kind };
        check(pipe, workers, &a, &b, move |a, b| interval_reference(pipe, a, b));
    }

    #[test]
    fn asof_join_matches_the_reference(
        keep_unmatched in any::<bool>(),
        a in epochs_of(side(), 14),
        b in epochs_of(side(), 14),
        workers in 1u32..=2,
    ) {
        let pipe = AsofPipe { keep_unmatched };
        check(pipe, workers, &a, &b, move |a, b| asof_reference(pipe, a, b));
    }

    #[test]
    fn window_join_matches_the_reference(
        window in prop_oneof![
            (1i64..20).prop_map(JoinWindow::Tumbling),
            (1i64..8, 1i64..20).prop_map(|(hop, size)| JoinWindow::Sliding(hop, size)),
            (1i64..10).prop_map(JoinWindow::Session),
        ],
        kind in kind(),
        a in epochs_of(side(), 14),
        b in epochs_of(side(), 14),
        workers in 1u32..=2,
    ) {
        let pipe = WindowPipe { window, kind };
        check(pipe, workers, &a, &b, move |a, b| window_reference(pipe, a, b));
    }
}

#[test]
fn asof_join_takes_the_latest_right_row_at_or_before_the_left_time() {
    let at = Timestamp::from_millis;
    let trades = one_epoch(vec![(0, at(10), 1), (0, at(20), 2), (1, at(5), 3)]);
    let quotes = one_epoch(vec![(0, at(10), 7), (0, at(3), 8), (0, at(21), 9)]);
    let expected = multiset([
        ((Some((0, at(10), 1)), Some((0, at(10), 7))), 1),
        ((Some((0, at(20), 2)), Some((0, at(10), 7))), 1),
        ((Some((1, at(5), 3)), None), 1),
    ]);
    let pipe = AsofPipe {
        keep_unmatched: true,
    };
    assert_eq!(run_batch(pipe, 2, &trades, &quotes), expected);
}
