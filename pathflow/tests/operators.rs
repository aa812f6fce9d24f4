//! Every operator and every reducer against a naive in-memory reference, on hand-written and
//! on generated input (with retractions), in batch (1 and several workers) and in streaming
//! (every epoch's state checked against the reference on a prefix of the input).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use common::*;
use pathflow::memory;
use pathflow::prelude::*;
use pathflow::{Epoch, Total};
use proptest::prelude::*;

/// A keyed integer row: (key, value).
type Pair = (u8, i64);
/// A row to aggregate: (group, integer value, float amount).
type Rec = (u8, i64, Total<f64>);

fn pair() -> impl Strategy<Value = Pair> {
    (0u8..4, -5i64..6)
}

fn rec() -> impl Strategy<Value = Rec> {
    (0u8..3, -4i64..5, float_value().prop_map(Total))
}

fn order() -> impl Strategy<Value = Order> {
    (0u8..5, 0u8..3, -3i64..4).prop_map(|(id, customer, amount)| Order {
        id,
        customer,
        amount: amount as f64 / 2.0,
    })
}

fn workers() -> impl Strategy<Value = u32> {
    1u32..=3
}

const OPS: usize = 28;

/// Hand-written pairs over 3 epochs, with duplicates and retractions.
///
/// Offsets: e0: (1,10)@0 (2,20)@1 (2,20)@2 (3,-5)@3; e1: (1,11)@4, -(2,20) takes @2;
/// e2: (4,0)@5, -(3,-5) takes @3, (1,10)@6, (1,12)@7.
/// Final: (1,10)@0 (2,20)@1 (1,11)@4 (4,0)@5 (1,10)@6 (1,12)@7.
fn hand_a() -> Epochs<Pair> {
    vec![
        vec![((1, 10), 1), ((2, 20), 2), ((3, -5), 1)],
        vec![((1, 11), 1), ((2, 20), -1)],
        vec![((4, 0), 1), ((3, -5), -1), ((1, 10), 1), ((1, 12), 1)],
    ]
}

/// Final: (1,100) (2,200) (1,101) (9,900).
fn hand_b() -> Epochs<Pair> {
    vec![
        vec![((1, 100), 1), ((5, 500), 1)],
        vec![((2, 200), 1), ((1, 101), 1)],
        vec![((5, 500), -1), ((9, 900), 1)],
    ]
}

fn ms<T: Ord + Clone>(rows: Vec<(T, isize)>) -> Multiset<T> {
    multiset(rows)
}

fn once<T: Ord + Clone>(rows: Vec<T>) -> Multiset<T> {
    multiset(rows.into_iter().map(|r| (r, 1)))
}

// ---------------------------------------------------------------------------------------------
// map, select, filter, flat_map, concat, distinct
// ---------------------------------------------------------------------------------------------

pipe!(MapPipe: (Pair, ()) -> (i64, u8) = |a, b| a.map(|r| (r.1.abs(), r.0 % 2)));
fn map_ref(a: &[Vec<(Pair, isize)>], _: &[Vec<((), isize)>]) -> Multiset<(i64, u8)> {
    multiset(
        final_rows(a)
            .into_iter()
            .map(|(r, n)| ((r.1.abs(), r.0 % 2), n)),
    )
}

#[test]
fn map_hand() {
    let expected = ms(vec![
        ((10, 1), 2),
        ((20, 0), 1),
        ((11, 1), 1),
        ((0, 0), 1),
        ((12, 1), 1),
    ]);
    assert_eq!(map_ref(&hand_a(), &[]), expected);
    check(MapPipe, 3, &hand_a(), &none(), map_ref);
}

pipe!(SelectPipe: (Pair, ()) -> String = |a, b| a.select(|r| format!("{}:{}", r.0, r.1 > 10)));
fn select_ref(a: &[Vec<(Pair, isize)>], _: &[Vec<((), isize)>]) -> Multiset<String> {
    multiset(
        final_rows(a)
            .into_iter()
            .map(|(r, n)| (format!("{}:{}", r.0, r.1 > 10), n)),
    )
}

#[test]
fn select_hand() {
    let expected = ms(vec![
        ("1:false".to_owned(), 2),
        ("1:true".to_owned(), 2),
        ("2:true".to_owned(), 1),
        ("4:false".to_owned(), 1),
    ]);
    assert_eq!(select_ref(&hand_a(), &[]), expected);
    check(SelectPipe, 2, &hand_a(), &none(), select_ref);
}

pipe!(FilterPipe: (Pair, ()) -> Pair = |a, b| a.filter(|r| r.1 > 10));
fn filter_ref(a: &[Vec<(Pair, isize)>], _: &[Vec<((), isize)>]) -> Multiset<Pair> {
    multiset(final_rows(a).into_iter().filter(|(r, _)| r.1 > 10))
}

#[test]
fn filter_hand() {
    let expected = once(vec![(2, 20), (1, 11), (1, 12)]);
    assert_eq!(filter_ref(&hand_a(), &[]), expected);
    check(FilterPipe, 3, &hand_a(), &none(), filter_ref);
}

pipe!(FlatMapPipe: (Pair, ()) -> Pair = |a, b| a.flat_map(|r| { let k = r.0; (0..r.1.rem_euclid(4)).map(move |i| (k, i)) }));
fn flat_map_ref(a: &[Vec<(Pair, isize)>], _: &[Vec<((), isize)>]) -> Multiset<Pair> {
    let mut out = Vec::new();
    for (r, n) in final_rows(a) {
        for i in 0..r.1.rem_euclid(4) {
            out.push(((r.0, i), n));
        }
    }
    multiset(out)
}

#[test]
fn flat_map_hand() {
    // 10 % 4 = 2 (twice), 20 % 4 = 0, 11 % 4 = 3, 0, 12 % 4 = 0.
    let expected = ms(vec![((1, 0), 3), ((1, 1), 3), ((1, 2), 1)]);
    assert_eq!(flat_map_ref(&hand_a(), &[]), expected);
    check(FlatMapPipe, 3, &hand_a(), &none(), flat_map_ref);
}

pipe!(ConcatPipe: (Pair, Pair) -> Pair = |a, b| a.concat(b));
fn concat_ref(a: &[Vec<(Pair, isize)>], b: &[Vec<(Pair, isize)>]) -> Multiset<Pair> {
    multiset(final_rows(a).into_iter().chain(final_rows(b)))
}

#[test]
fn concat_hand() {
    let expected = ms(vec![
        ((1, 10), 2),
        ((2, 20), 1),
        ((1, 11), 1),
        ((4, 0), 1),
        ((1, 12), 1),
        ((1, 100), 1),
        ((2, 200), 1),
        ((1, 101), 1),
        ((9, 900), 1),
    ]);
    assert_eq!(concat_ref(&hand_a(), &hand_b()), expected);
    check(ConcatPipe, 3, &hand_a(), &hand_b(), concat_ref);
}

pipe!(DistinctPipe: (Pair, ()) -> Pair = |a, b| a.distinct());
fn distinct_ref(a: &[Vec<(Pair, isize)>], _: &[Vec<((), isize)>]) -> Multiset<Pair> {
    final_rows(a).into_keys().map(|r| (r, 1)).collect()
}

#[test]
fn distinct_hand() {
    let expected = once(vec![(1, 10), (2, 20), (1, 11), (4, 0), (1, 12)]);
    assert_eq!(distinct_ref(&hand_a(), &[]), expected);
    check(DistinctPipe, 3, &hand_a(), &none(), distinct_ref);
}

proptest! {
    #![proptest_config(config(16))]

    #[test]
    fn map_random(a in epochs_of(pair(), OPS), w in workers()) {
        check(MapPipe, w, &a, &none(), map_ref);
    }

    #[test]
    fn select_random(a in epochs_of(pair(), OPS), w in workers()) {
        check(SelectPipe, w, &a, &none(), select_ref);
    }

    #[test]
    fn filter_random(a in epochs_of(pair(), OPS), w in workers()) {
        check(FilterPipe, w, &a, &none(), filter_ref);
    }

    #[test]
    fn flat_map_random(a in epochs_of(pair(), OPS), w in workers()) {
        check(FlatMapPipe, w, &a, &none(), flat_map_ref);
    }

    #[test]
    fn concat_random(a in epochs_of(pair(), OPS), b in epochs_of(pair(), OPS), w in workers()) {
        check(ConcatPipe, w, &a, &b, concat_ref);
    }

    #[test]
    fn distinct_random(a in epochs_of((0u8..3, 0i64..3), OPS), w in workers()) {
        check(DistinctPipe, w, &a, &none(), distinct_ref);
    }
}

// ---------------------------------------------------------------------------------------------
// Joins
// ---------------------------------------------------------------------------------------------

type Joined = (u8, Option<i64>, Option<i64>);

/// The naive join of the final multisets: matched pairs, plus unmatched rows of the sides
/// asked for.
fn join_ref(
    a: &[Vec<(Pair, isize)>],
    b: &[Vec<(Pair, isize)>],
    keep_left: bool,
    keep_right: bool,
) -> Multiset<Joined> {
    let (a, b) = (final_rows(a), final_rows(b));
    let mut out = Vec::new();
    for (l, ln) in &a {
        for (r, rn) in &b {
            if l.0 == r.0 {
                out.push(((l.0, Some(l.1), Some(r.1)), ln * rn));
            }
        }
        if keep_left && !b.keys().any(|r| r.0 == l.0) {
            out.push(((l.0, Some(l.1), None), *ln));
        }
    }
    if keep_right {
        for (r, rn) in &b {
            if !a.keys().any(|l| l.0 == r.0) {
                out.push(((r.0, None, Some(r.1)), *rn));
            }
        }
    }
    multiset(out)
}

pipe!(InnerPipe: (Pair, Pair) -> Joined = |a, b| a.join(b, |l| l.0, |r| r.0).inner(|l, r| (l.0, Some(l.1), Some(r.1))));
pipe!(LeftPipe: (Pair, Pair) -> Joined = |a, b| a.join(b, |l| l.0, |r| r.0).left(|l, r| (l.0, Some(l.1), r.map(|r| r.1))));
pipe!(RightPipe: (Pair, Pair) -> Joined = |a, b| a.join(b, |l| l.0, |r| r.0).right(|l, r| (r.0, l.map(|l| l.1), Some(r.1))));
pipe!(OuterPipe: (Pair, Pair) -> Joined = |a, b| a.join(b, |l| l.0, |r| r.0).outer(|l, r| {
    let key = l.map(|l| l.0).or(r.map(|r| r.0)).expect("one side is present");
    (key, l.map(|l| l.1), r.map(|r| r.1))
}));

// Pairs whose values differ in sign are dropped inside the join.
pipe!(InnerFilterMapPipe: (Pair, Pair) -> Joined = |a, b| a.join(b, |l| l.0, |r| r.0).inner_filter_map(|l, r| (l.1 * r.1 >= 0).then_some((l.0, Some(l.1), Some(r.1)))));
// Split rows: the left value keeps the key, the right only its value.
pipe!(SplitInnerPipe: (Pair, Pair) -> Joined = |a, b| a.join_split(b, |l| (l.0, *l), |r| (r.0, r.1)).inner(|l, r| (l.0, Some(l.1), Some(*r))));
pipe!(SplitLeftPipe: (Pair, Pair) -> Joined = |a, b| a.join_split(b, |l| (l.0, *l), |r| (r.0, r.1)).left(|l, r| (l.0, Some(l.1), r.copied())));
pipe!(SemiPipe: (Pair, Pair) -> Pair = |a, b| a.join(b, |l| l.0, |r| r.0).semi());
pipe!(AntiPipe: (Pair, Pair) -> Pair = |a, b| a.join(b, |l| l.0, |r| r.0).anti());

fn inner_filter_map_ref(a: &[Vec<(Pair, isize)>], b: &[Vec<(Pair, isize)>]) -> Multiset<Joined> {
    let kept = inner_ref(a, b)
        .into_iter()
        .filter(|((_, l, r), _)| l.unwrap() * r.unwrap() >= 0);
    kept.collect()
}

/// The left rows whose key does (`semi`) or does not (`anti`) occur among `b`'s live rows,
/// with the left multiplicities.
fn semi_anti_ref(a: &[Vec<(Pair, isize)>], b: &[Vec<(Pair, isize)>], semi: bool) -> Multiset<Pair> {
    let keys: BTreeSet<u8> = final_rows(b).keys().map(|r| r.0).collect();
    let kept = final_rows(a)
        .into_iter()
        .filter(|(l, _)| keys.contains(&l.0) == semi);
    kept.collect()
}
fn semi_ref(a: &[Vec<(Pair, isize)>], b: &[Vec<(Pair, isize)>]) -> Multiset<Pair> {
    semi_anti_ref(a, b, true)
}
fn anti_ref(a: &[Vec<(Pair, isize)>], b: &[Vec<(Pair, isize)>]) -> Multiset<Pair> {
    semi_anti_ref(a, b, false)
}

fn inner_ref(a: &[Vec<(Pair, isize)>], b: &[Vec<(Pair, isize)>]) -> Multiset<Joined> {
    join_ref(a, b, false, false)
}
fn left_ref(a: &[Vec<(Pair, isize)>], b: &[Vec<(Pair, isize)>]) -> Multiset<Joined> {
    join_ref(a, b, true, false)
}
fn right_ref(a: &[Vec<(Pair, isize)>], b: &[Vec<(Pair, isize)>]) -> Multiset<Joined> {
    join_ref(a, b, false, true)
}
fn outer_ref(a: &[Vec<(Pair, isize)>], b: &[Vec<(Pair, isize)>]) -> Multiset<Joined> {
    join_ref(a, b, true, true)
}

fn hand_inner() -> Vec<(Joined, isize)> {
    vec![
        ((1, Some(10), Some(100)), 2),
        ((1, Some(10), Some(101)), 2),
        ((1, Some(11), Some(100)), 1),
        ((1, Some(11), Some(101)), 1),
        ((1, Some(12), Some(100)), 1),
        ((1, Some(12), Some(101)), 1),
        ((2, Some(20), Some(200)), 1),
    ]
}

#[test]
fn join_inner_hand() {
    let expected = ms(hand_inner());
    assert_eq!(inner_ref(&hand_a(), &hand_b()), expected);
    check(InnerPipe, 3, &hand_a(), &hand_b(), inner_ref);
}

#[test]
fn join_left_hand() {
    let mut rows = hand_inner();
    rows.push(((4, Some(0), None), 1));
    let expected = ms(rows);
    assert_eq!(left_ref(&hand_a(), &hand_b()), expected);
    check(LeftPipe, 3, &hand_a(), &hand_b(), left_ref);
}

#[test]
fn join_right_hand() {
    let mut rows = hand_inner();
    rows.push(((9, None, Some(900)), 1));
    let expected = ms(rows);
    assert_eq!(right_ref(&hand_a(), &hand_b()), expected);
    check(RightPipe, 3, &hand_a(), &hand_b(), right_ref);
}

#[test]
fn join_outer_hand() {
    let mut rows = hand_inner();
    rows.push(((4, Some(0), None), 1));
    rows.push(((9, None, Some(900)), 1));
    let expected = ms(rows);
    assert_eq!(outer_ref(&hand_a(), &hand_b()), expected);
    check(OuterPipe, 3, &hand_a(), &hand_b(), outer_ref);
}

#[test]
fn join_inner_filter_map_hand() {
    // b's key-1 value is negative: its pairs with a's (non-negative) key-1 rows are dropped,
    // key 2's pair stays.
    let b = vec![vec![((1, -100), 1), ((2, 200), 1)]];
    let expected = ms(vec![((2, Some(20), Some(200)), 1)]);
    assert_eq!(inner_filter_map_ref(&hand_a(), &b), expected);
    check(InnerFilterMapPipe, 3, &hand_a(), &b, inner_filter_map_ref);
    check(
        InnerFilterMapPipe,
        3,
        &hand_a(),
        &hand_b(),
        inner_filter_map_ref,
    );
}

#[test]
fn join_split_hand() {
    check(SplitInnerPipe, 3, &hand_a(), &hand_b(), inner_ref);
    check(SplitLeftPipe, 3, &hand_a(), &hand_b(), left_ref);
}

#[test]
fn join_semi_and_anti_hand() {
    // a's final rows: (1,10)x2 (1,11) (1,12) (2,20) (4,0); b's keys: 1, 2, 9 (key 1 twice).
    let semi = ms(vec![((1, 10), 2), ((1, 11), 1), ((1, 12), 1), ((2, 20), 1)]);
    assert_eq!(semi_ref(&hand_a(), &hand_b()), semi);
    assert_eq!(anti_ref(&hand_a(), &hand_b()), once(vec![(4, 0)]));
    check(SemiPipe, 3, &hand_a(), &hand_b(), semi_ref);
    check(AntiPipe, 3, &hand_a(), &hand_b(), anti_ref);
}

/// A left row loses its `None` partner when a match arrives, and gets it back when the match
/// is retracted; streamed states show each step.
#[test]
fn join_left_unmatched_row_follows_retractions() {
    let a = vec![vec![((1, 10), 1)], vec![], vec![]];
    let b = vec![vec![], vec![((1, 100), 1)], vec![((1, 100), -1)]];
    let streamed = run_streaming(LeftPipe, 2, &a, &b);
    let unmatched = once(vec![(1, Some(10), None)]);
    let matched = once(vec![(1, Some(10), Some(100))]);
    assert_eq!(
        streamed.states,
        vec![unmatched.clone(), matched, unmatched.clone()]
    );
    assert_eq!(run_batch(LeftPipe, 2, &a, &b), unmatched);
}

proptest! {
    #![proptest_config(config(16))]

    #[test]
    fn join_inner_random(a in epochs_of(pair(), OPS), b in epochs_of(pair(), OPS), w in workers()) {
        check(InnerPipe, w, &a, &b, inner_ref);
    }

    #[test]
    fn join_left_random(a in epochs_of(pair(), OPS), b in epochs_of(pair(), OPS), w in workers()) {
        check(LeftPipe, w, &a, &b, left_ref);
    }

    #[test]
    fn join_right_random(a in epochs_of(pair(), OPS), b in epochs_of(pair(), OPS), w in workers()) {
        check(RightPipe, w, &a, &b, right_ref);
    }

    #[test]
    fn join_inner_filter_map_random(a in epochs_of(pair(), OPS), b in epochs_of(pair(), OPS), w in workers()) {
        check(InnerFilterMapPipe, w, &a, &b, inner_filter_map_ref);
    }

    #[test]
    fn join_split_random(a in epochs_of(pair(), OPS), b in epochs_of(pair(), OPS), w in workers()) {
        check(SplitInnerPipe, w, &a, &b, inner_ref);
        check(SplitLeftPipe, w, &a, &b, left_ref);
    }

    #[test]
    fn join_semi_random(a in epochs_of(pair(), OPS), b in epochs_of(pair(), OPS), w in workers()) {
        check(SemiPipe, w, &a, &b, semi_ref);
    }

    #[test]
    fn join_anti_random(a in epochs_of(pair(), OPS), b in epochs_of(pair(), OPS), w in workers()) {
        check(AntiPipe, w, &a, &b, anti_ref);
    }

    #[test]
    fn join_outer_random(a in epochs_of(pair(), OPS), b in epochs_of(pair(), OPS), w in workers()) {
        check(OuterPipe, w, &a, &b, outer_ref);
    }
}

// ---------------------------------------------------------------------------------------------
// deduplicate, upsert, update_rows, difference, intersect
// ---------------------------------------------------------------------------------------------

// Per key, a running maximum by input position: a row replaces the current one when its
// value is larger.
pipe!(DedupMaxPipe: (Pair, ()) -> Pair = |a, b| a.deduplicate(|r| r.0, |new, current| new.1 > current.1));
// Accept every row: the latest by position.
pipe!(DedupLatestPipe: (Pair, ()) -> Pair = |a, b| a.deduplicate(|r| r.0, |_, _| true));
// Accept no row after the first: the earliest by position.
pipe!(DedupFirstPipe: (Pair, ()) -> Pair = |a, b| a.deduplicate(|r| r.0, |_, _| false));

fn dedup_ref(a: &[Vec<(Pair, isize)>], accept: impl Fn(&Pair, &Pair) -> bool) -> Multiset<Pair> {
    let mut current: BTreeMap<u8, Pair> = BTreeMap::new();
    for (_, row) in live_rows(a) {
        match current.get(&row.0) {
            Some(cur) if !accept(&row, cur) => {}
            _ => {
                current.insert(row.0, row);
            }
        }
    }
    current.into_values().map(|r| (r, 1)).collect()
}
fn dedup_max_ref(a: &[Vec<(Pair, isize)>], _: &[Vec<((), isize)>]) -> Multiset<Pair> {
    dedup_ref(a, |new, cur| new.1 > cur.1)
}
fn dedup_latest_ref(a: &[Vec<(Pair, isize)>], _: &[Vec<((), isize)>]) -> Multiset<Pair> {
    dedup_ref(a, |_, _| true)
}
fn dedup_first_ref(a: &[Vec<(Pair, isize)>], _: &[Vec<((), isize)>]) -> Multiset<Pair> {
    dedup_ref(a, |_, _| false)
}

#[test]
fn deduplicate_hand() {
    // Key 1 by position: 10@0, 11@4, 10@6, 12@7. Running max: 12. Latest: 12. First: 10.
    assert_eq!(
        dedup_max_ref(&hand_a(), &[]),
        once(vec![(1, 12), (2, 20), (4, 0)])
    );
    assert_eq!(
        dedup_first_ref(&hand_a(), &[]),
        once(vec![(1, 10), (2, 20), (4, 0)])
    );
    check(DedupMaxPipe, 3, &hand_a(), &none(), dedup_max_ref);
    check(DedupLatestPipe, 3, &hand_a(), &none(), dedup_latest_ref);
    check(DedupFirstPipe, 3, &hand_a(), &none(), dedup_first_ref);
}

/// Deduplicate follows input position, not value order, and retracting the accepted row
/// restores the one it replaced.
#[test]
fn deduplicate_follows_position_and_restores() {
    let a: Epochs<Pair> = vec![
        vec![((7, 5), 1)],
        vec![((7, 3), 1)], // smaller value, later: replaces under "latest", not under "max"
        vec![((7, 9), 1)],
        vec![((7, 9), -1)],
    ];
    let latest = run_streaming(DedupLatestPipe, 2, &a, &none());
    assert_eq!(
        latest.states,
        vec![
            once(vec![(7, 5)]),
            once(vec![(7, 3)]),
            once(vec![(7, 9)]),
            once(vec![(7, 3)]),
        ]
    );
    let max = run_streaming(DedupMaxPipe, 2, &a, &none());
    assert_eq!(
        max.states,
        vec![once(vec![(7, 5)]), once(vec![(7, 9)]), once(vec![(7, 5)])]
    );
    assert_eq!(
        run_batch(DedupLatestPipe, 2, &a, &none()),
        once(vec![(7, 3)])
    );
    assert_eq!(run_batch(DedupMaxPipe, 2, &a, &none()), once(vec![(7, 5)]));
}

pipe!(UpsertPipe: (Order, ()) -> Order = |a, b| a.upsert());
fn upsert_ref(a: &[Vec<(Order, isize)>], _: &[Vec<((), isize)>]) -> Multiset<Order> {
    let mut latest: BTreeMap<u8, Order> = BTreeMap::new();
    for (_, row) in live_rows(a) {
        latest.insert(row.id, row);
    }
    latest.into_values().map(|r| (r, 1)).collect()
}

fn o(id: u8, customer: u8, amount: f64) -> Order {
    Order {
        id,
        customer,
        amount,
    }
}

/// Upsert keeps the row with the latest position per key; deleting the winner restores the
/// row it replaced, in every epoch.
#[test]
fn upsert_hand_and_restore() {
    let a: Epochs<Order> = vec![
        vec![(o(1, 1, 1.0), 1), (o(2, 1, 2.0), 1)],
        vec![(o(1, 2, 5.0), 1)],
        vec![(o(1, 2, 5.0), -1)],
        vec![(o(2, 3, 7.0), 1), (o(2, 4, 8.0), 1)],
        vec![(o(2, 4, 8.0), -1)],
        // The same row again, later: it wins again; retracting it removes its latest copy.
        vec![(o(2, 1, 2.0), 1)],
        vec![(o(2, 1, 2.0), -1)],
    ];
    let expected_states = vec![
        once(vec![o(1, 1, 1.0), o(2, 1, 2.0)]),
        once(vec![o(1, 2, 5.0), o(2, 1, 2.0)]),
        once(vec![o(1, 1, 1.0), o(2, 1, 2.0)]),
        once(vec![o(1, 1, 1.0), o(2, 4, 8.0)]),
        once(vec![o(1, 1, 1.0), o(2, 3, 7.0)]),
        once(vec![o(1, 1, 1.0), o(2, 1, 2.0)]),
        once(vec![o(1, 1, 1.0), o(2, 3, 7.0)]),
    ];
    for (n, expected) in expected_states.iter().enumerate() {
        assert_eq!(&upsert_ref(&a[..=n], &[]), expected, "reference, epoch {n}");
    }
    let streamed = run_streaming(UpsertPipe, 3, &a, &none());
    assert_eq!(streamed.states, expected_states);
    for workers in [1, 3] {
        assert_eq!(
            run_batch(UpsertPipe, workers, &a, &none()),
            *expected_states.last().unwrap()
        );
    }
}

/// Order-dependent operators need input positions: on a table made by a stateful operator
/// the run fails with an error that says what to do (it is not a compile error).
#[test]
fn positional_operator_on_a_derived_table_is_an_error() {
    let error = with_timeout("a failing batch run", RUN_TIMEOUT, || {
        Runner::batch()
            .args(args(2))
            .run(|p| {
                let rows = p.read(memory::rows(vec![(1u8, 2i64), (1, 3)]));
                let out = rows.distinct().deduplicate(|r| r.0, |_, _| true);
                p.write(out, memory::subscribe(|_: &Pair, _, _| {}));
            })
            .expect_err("the run fails")
    });
    assert_eq!(error.exit_code(), 1);
    let text = error.to_string();
    assert!(
        text.contains("`deduplicate` orders rows by their input position")
            && text.contains("apply `deduplicate` to a table read from a source"),
        "{text}"
    );
    assert!(
        !text.contains("  "),
        "the message has no runs of spaces: {text}"
    );
}

pipe!(UpdateRowsPipe: (Order, Order) -> Order = |a, b| a.update_rows(b));
pipe!(DifferencePipe: (Order, Order) -> Order = |a, b| a.difference(b));
pipe!(IntersectPipe: (Order, Order) -> Order = |a, b| a.intersect(b));

fn update_rows_ref(a: &[Vec<(Order, isize)>], b: &[Vec<(Order, isize)>]) -> Multiset<Order> {
    let (a, b) = (final_rows(a), final_rows(b));
    let b_keys: BTreeSet<u8> = b.keys().map(|r| r.id).collect();
    multiset(
        a.into_iter()
            .filter(|(r, _)| !b_keys.contains(&r.id))
            .chain(b),
    )
}
fn keyed_ref(
    a: &[Vec<(Order, isize)>],
    b: &[Vec<(Order, isize)>],
    keep_matching: bool,
) -> Multiset<Order> {
    let b_keys: BTreeSet<u8> = final_rows(b).keys().map(|r| r.id).collect();
    multiset(
        final_rows(a)
            .into_iter()
            .filter(|(r, _)| b_keys.contains(&r.id) == keep_matching),
    )
}
fn difference_ref(a: &[Vec<(Order, isize)>], b: &[Vec<(Order, isize)>]) -> Multiset<Order> {
    keyed_ref(a, b, false)
}
fn intersect_ref(a: &[Vec<(Order, isize)>], b: &[Vec<(Order, isize)>]) -> Multiset<Order> {
    keyed_ref(a, b, true)
}

fn hand_orders() -> (Epochs<Order>, Epochs<Order>) {
    let a = vec![
        vec![(o(1, 1, 1.0), 1), (o(2, 1, 2.0), 1), (o(3, 1, 3.0), 2)],
        vec![(o(4, 2, 4.0), 1)],
    ];
    let b = vec![
        vec![(o(2, 9, 20.0), 1), (o(4, 9, 40.0), 1)],
        vec![(o(4, 9, 40.0), -1), (o(5, 9, 50.0), 1), (o(2, 8, 21.0), 1)],
    ];
    (a, b)
}

#[test]
fn update_rows_hand() {
    let (a, b) = hand_orders();
    let expected = ms(vec![
        (o(1, 1, 1.0), 1),
        (o(3, 1, 3.0), 2),
        (o(4, 2, 4.0), 1),
        (o(2, 9, 20.0), 1),
        (o(2, 8, 21.0), 1),
        (o(5, 9, 50.0), 1),
    ]);
    assert_eq!(update_rows_ref(&a, &b), expected);
    check(UpdateRowsPipe, 3, &a, &b, update_rows_ref);
}

#[test]
fn difference_hand() {
    let (a, b) = hand_orders();
    let expected = ms(vec![
        (o(1, 1, 1.0), 1),
        (o(3, 1, 3.0), 2),
        (o(4, 2, 4.0), 1),
    ]);
    assert_eq!(difference_ref(&a, &b), expected);
    check(DifferencePipe, 3, &a, &b, difference_ref);
}

#[test]
fn intersect_hand() {
    let (a, b) = hand_orders();
    let expected = once(vec![o(2, 1, 2.0)]);
    assert_eq!(intersect_ref(&a, &b), expected);
    check(IntersectPipe, 3, &a, &b, intersect_ref);
}

proptest! {
    #![proptest_config(config(16))]

    #[test]
    fn deduplicate_max_random(a in epochs_of(pair(), OPS), w in workers()) {
        check(DedupMaxPipe, w, &a, &none(), dedup_max_ref);
    }

    #[test]
    fn deduplicate_latest_random(a in epochs_of(pair(), OPS), w in workers()) {
        check(DedupLatestPipe, w, &a, &none(), dedup_latest_ref);
    }

    #[test]
    fn deduplicate_first_random(a in epochs_of(pair(), OPS), w in workers()) {
        check(DedupFirstPipe, w, &a, &none(), dedup_first_ref);
    }

    #[test]
    fn upsert_random(a in epochs_of(order(), OPS), w in workers()) {
        check(UpsertPipe, w, &a, &none(), upsert_ref);
    }

    #[test]
    fn update_rows_random(a in epochs_of(order(), OPS), b in epochs_of(order(), OPS), w in workers()) {
        check(UpdateRowsPipe, w, &a, &b, update_rows_ref);
    }

    #[test]
    fn difference_random(a in epochs_of(order(), OPS), b in epochs_of(order(), OPS), w in workers()) {
        check(DifferencePipe, w, &a, &b, difference_ref);
    }

    #[test]
    fn intersect_random(a in epochs_of(order(), OPS), b in epochs_of(order(), OPS), w in workers()) {
        check(IntersectPipe, w, &a, &b, intersect_ref);
    }
}

// ---------------------------------------------------------------------------------------------
// Reducers
// ---------------------------------------------------------------------------------------------

/// The live rows of each group, in input-position order.
fn groups(a: &[Vec<(Rec, isize)>]) -> BTreeMap<u8, Vec<Rec>> {
    let mut out: BTreeMap<u8, Vec<Rec>> = BTreeMap::new();
    for (_, row) in live_rows(a) {
        out.entry(row.0).or_default().push(row);
    }
    out
}

/// One output row per group: `(key, f(rows in position order))`.
fn per_group<O: Ord + Clone>(
    a: &[Vec<(Rec, isize)>],
    f: impl Fn(&[Rec]) -> O,
) -> Multiset<(u8, O)> {
    groups(a)
        .into_iter()
        .map(|(key, rows)| ((key, f(&rows)), 1))
        .collect()
}

/// Hand-written rows over 4 epochs.
///
/// Offsets: e0: (0,3,.1)@0 (0,-2,.2)@1 (1,5,2.5)@2 (2,7,1)@3; e1: (0,3,.3)@4 (1,5,2.5)@5,
/// -(2,7,1) takes @3 (group 2 disappears); e2: (1,1,-.5)@6, -(0,-2,.2) takes @1, (3,4,1e6)@7;
/// e3: (0,9,.2)@8.
/// Final groups: 0: [(3,.1)@0 (3,.3)@4 (9,.2)@8]; 1: [(5,2.5)@2 (5,2.5)@5 (1,-.5)@6];
/// 3: [(4,1e6)@7].
fn hand_recs() -> Epochs<Rec> {
    let r = |k: u8, v: i64, x: f64| (k, v, Total(x));
    vec![
        vec![
            (r(0, 3, 0.1), 1),
            (r(0, -2, 0.2), 1),
            (r(1, 5, 2.5), 1),
            (r(2, 7, 1.0), 1),
        ],
        vec![(r(0, 3, 0.3), 1), (r(1, 5, 2.5), 1), (r(2, 7, 1.0), -1)],
        vec![(r(1, 1, -0.5), 1), (r(0, -2, 0.2), -1), (r(3, 4, 1e6), 1)],
        vec![(r(0, 9, 0.2), 1)],
    ]
}

/// Checks a reducer pipeline on the hand-written rows against both the literal expectation
/// and the reference.
fn check_hand<P: Pipe<A = Rec, B = ()> + Clone>(
    pipe: P,
    reference: fn(&EpochSlice<Rec>, &EpochSlice<()>) -> Multiset<P::Out>,
    expected: Vec<P::Out>,
) {
    assert_eq!(
        reference(&hand_recs(), &[]),
        once(expected),
        "the reference"
    );
    check(pipe, 3, &hand_recs(), &none(), reference);
}

pipe!(CountPipe: (Rec, ()) -> (u8, u64) = |a, b| a.group_by(|r| r.0).reduce(|r| r.count(), |k, n| (*k, n)));
fn count_ref(a: &[Vec<(Rec, isize)>], _: &[Vec<((), isize)>]) -> Multiset<(u8, u64)> {
    per_group(a, |rows| rows.len() as u64)
}

#[test]
fn count_hand() {
    check_hand(CountPipe, count_ref, vec![(0, 3), (1, 3), (3, 1)]);
}

/// A group whose count reaches zero disappears (and comes back when a row arrives again).
#[test]
fn count_group_disappears_at_zero() {
    let r = |k: u8, v: i64| (k, v, Total(0.5));
    let a: Epochs<Rec> = vec![
        vec![(r(0, 1), 1), (r(1, 1), 1)],
        vec![(r(1, 1), -1), (r(0, 2), 1)],
        vec![(r(0, 1), -1), (r(0, 2), -1)],
        vec![(r(1, 5), 1)],
    ];
    let streamed = run_streaming(CountPipe, 2, &a, &none());
    assert_eq!(
        streamed.states,
        vec![
            once(vec![(0, 1), (1, 1)]),
            once(vec![(0, 2)]),
            once(vec![]),
            once(vec![(1, 1)]),
        ]
    );
    assert_eq!(run_batch(CountPipe, 2, &a, &none()), once(vec![(1, 1)]));
    // Everything retracted: no group at all, not a group with count 0.
    let gone: Epochs<Rec> = vec![vec![(r(0, 1), 1)], vec![(r(0, 1), -1)]];
    assert_eq!(run_batch(CountPipe, 2, &gone, &none()), once(vec![]));
    assert_eq!(
        run_streaming(CountPipe, 2, &gone, &none()).view,
        once(vec![])
    );
}

pipe!(SumIntPipe: (Rec, ()) -> (u8, i64) = |a, b| a.group_by(|r| r.0).reduce(|r| r.sum(|x| x.1), |k, s| (*k, s)));
fn sum_int_ref(a: &[Vec<(Rec, isize)>], _: &[Vec<((), isize)>]) -> Multiset<(u8, i64)> {
    per_group(a, |rows| rows.iter().map(|r| r.1).sum())
}

#[test]
fn sum_int_hand() {
    check_hand(SumIntPipe, sum_int_ref, vec![(0, 15), (1, 11), (3, 4)]);
}

/// Integer sums are kept in 128 bits: no overflow on the way, saturating on output.
#[test]
fn sum_int_keeps_intermediate_overflow_and_saturates() {
    let r = |v: i64| (0u8, v, Total(0.0));
    let big: Epochs<Rec> = vec![
        vec![(r(i64::MAX), 1), (r(i64::MAX - 1), 1)],
        vec![(r(i64::MAX - 1), -1)],
    ];
    // i64::MAX + (i64::MAX - 1) overflows i64 in the first epoch; the final sum fits.
    let streamed = run_streaming(SumIntPipe, 2, &big, &none());
    // The first epoch saturates; the second gives the same row, so reports no change.
    assert_eq!(streamed.states, vec![once(vec![(0, i64::MAX)])]);
    assert_eq!(streamed.view, once(vec![(0, i64::MAX)]));
    let back: Epochs<Rec> = vec![vec![(r(i64::MAX), 2), (r(-5), 1)], vec![(r(i64::MAX), -1)]];
    assert_eq!(
        run_batch(SumIntPipe, 2, &back, &none()),
        once(vec![(0, i64::MAX - 5)])
    );
    assert_eq!(
        run_streaming(SumIntPipe, 2, &back, &none()).view,
        once(vec![(0, i64::MAX - 5)])
    );
}

pipe!(SumFloatPipe: (Rec, ()) -> (u8, Total<f64>) = |a, b| a.group_by(|r| r.0).reduce(|r| r.sum(|x| x.2 .0), |k, s| (*k, Total(s))));
fn sum_float_ref(a: &[Vec<(Rec, isize)>], _: &[Vec<((), isize)>]) -> Multiset<(u8, Total<f64>)> {
    per_group(a, |rows| Total(exact_sum(rows.iter().map(|r| (r.2 .0, 1)))))
}

#[test]
fn sum_float_hand() {
    // Group 0 adds 0.1, 0.3, 0.2: naive left-to-right addition gives 0.6000000000000001.
    assert_ne!(0.1 + 0.3 + 0.2, 0.6);
    check_hand(
        SumFloatPipe,
        sum_float_ref,
        vec![(0, Total(0.6)), (1, Total(4.5)), (3, Total(1e6))],
    );
}

pipe!(AvgFloatPipe: (Rec, ()) -> (u8, Total<f64>) = |a, b| a.group_by(|r| r.0).reduce(|r| r.avg(|x| x.2 .0), |k, m| (*k, Total(m))));
fn avg_float_ref(a: &[Vec<(Rec, isize)>], _: &[Vec<((), isize)>]) -> Multiset<(u8, Total<f64>)> {
    per_group(a, |rows| {
        Total(exact_sum(rows.iter().map(|r| (r.2 .0, 1))) / rows.len() as f64)
    })
}

#[test]
fn avg_float_hand() {
    check_hand(
        AvgFloatPipe,
        avg_float_ref,
        vec![(0, Total(0.6 / 3.0)), (1, Total(1.5)), (3, Total(1e6))],
    );
}

pipe!(AvgIntPipe: (Rec, ()) -> (u8, Total<f64>) = |a, b| a.group_by(|r| r.0).reduce(|r| r.avg(|x| x.1), |k, m| (*k, Total(m))));
fn avg_int_ref(a: &[Vec<(Rec, isize)>], _: &[Vec<((), isize)>]) -> Multiset<(u8, Total<f64>)> {
    per_group(a, |rows| {
        Total(rows.iter().map(|r| r.1).sum::<i64>() as f64 / rows.len() as f64)
    })
}

#[test]
fn avg_int_hand() {
    check_hand(
        AvgIntPipe,
        avg_int_ref,
        vec![(0, Total(5.0)), (1, Total(11.0 / 3.0)), (3, Total(4.0))],
    );
}

type MinMax = (u8, i64, i64, Total<f64>, Total<f64>);
pipe!(MinMaxPipe: (Rec, ()) -> MinMax = |a, b| a.group_by(|r| r.0).reduce(
    |r| (r.min(|x| x.1), r.max(|x| x.1), r.min(|x| x.2 .0), r.max(|x| x.2 .0)),
    |k, (lo, hi, flo, fhi)| (*k, lo, hi, Total(flo), Total(fhi)),
));
fn min_max_ref(a: &[Vec<(Rec, isize)>], _: &[Vec<((), isize)>]) -> Multiset<MinMax> {
    groups(a)
        .into_iter()
        .map(|(k, rows)| {
            let ints = rows.iter().map(|r| r.1);
            let floats = rows.iter().map(|r| r.2);
            (
                (
                    k,
                    ints.clone().min().unwrap(),
                    ints.max().unwrap(),
                    floats.clone().min().unwrap(),
                    floats.max().unwrap(),
                ),
                1,
            )
        })
        .collect()
}

#[test]
fn min_max_hand() {
    check_hand(
        MinMaxPipe,
        min_max_ref,
        vec![
            (0, 3, 9, Total(0.1), Total(0.3)),
            (1, 1, 5, Total(-0.5), Total(2.5)),
            (3, 4, 4, Total(1e6), Total(1e6)),
        ],
    );
}

/// Floats are ordered totally: -0.0 < 0.0, and a retracted minimum gives way to the next.
#[test]
fn min_max_floats_total_order_and_retraction() {
    let r = |v: i64, x: f64| (0u8, v, Total(x));
    let a: Epochs<Rec> = vec![
        vec![(r(1, 0.0), 1), (r(2, -0.0), 1), (r(3, -7.5), 1)],
        vec![(r(3, -7.5), -1)],
    ];
    let streamed = run_streaming(MinMaxPipe, 2, &a, &none());
    assert_eq!(
        streamed.states,
        vec![
            once(vec![(0, 1, 3, Total(-7.5), Total(0.0))]),
            once(vec![(0, 1, 2, Total(-0.0), Total(0.0))]),
        ]
    );
    let batch = run_batch(MinMaxPipe, 1, &a, &none());
    let (row, _) = batch.first_key_value().unwrap();
    assert_eq!(row.3 .0.to_bits(), (-0.0f64).to_bits(), "min is -0.0");
}

type Args = (u8, i64, i64, Total<f64>, Total<f64>);
pipe!(ArgPipe: (Rec, ()) -> Args = |a, b| a.group_by(|r| r.0).reduce(
    |r| (
        r.argmin(|x| x.2 .0, |x| x.1),
        r.argmax(|x| x.2 .0, |x| x.1),
        r.argmin(|x| x.1, |x| x.2 .0),
        r.argmax(|x| x.1, |x| x.2 .0),
    ),
    |k, (a, b, c, d)| (*k, a, b, Total(c), Total(d)),
));
/// `argmin(by, value)`: the value of the row with the smallest `by`; ties go to the smallest
/// value (argmax: largest `by`, ties to the largest value), as documented.
fn arg_ref(a: &[Vec<(Rec, isize)>], _: &[Vec<((), isize)>]) -> Multiset<Args> {
    groups(a)
        .into_iter()
        .map(|(k, rows)| {
            let by_amount = rows.iter().map(|r| (r.2, r.1));
            let by_value = rows.iter().map(|r| (r.1, r.2));
            (
                (
                    k,
                    by_amount.clone().min().unwrap().1,
                    by_amount.max().unwrap().1,
                    by_value.clone().min().unwrap().1,
                    by_value.max().unwrap().1,
                ),
                1,
            )
        })
        .collect()
}

#[test]
fn argmin_argmax_hand() {
    check_hand(
        ArgPipe,
        arg_ref,
        vec![
            // Group 0: amounts .1 (v 3), .3 (v 3), .2 (v 9); values 3 (.1, .3), 9 (.2).
            (0, 3, 3, Total(0.1), Total(0.2)),
            // Group 1: amounts 2.5 (v 5) twice, -.5 (v 1).
            (1, 1, 5, Total(-0.5), Total(2.5)),
            (3, 4, 4, Total(1e6), Total(1e6)),
        ],
    );
}

/// Ties on `by` are broken by the value: smallest for argmin, largest for argmax.
#[test]
fn argmin_argmax_ties() {
    let r = |v: i64, x: f64| (0u8, v, Total(x));
    let a = one_epoch(vec![r(5, 1.0), r(2, 1.0), r(8, 1.0), r(1, 3.0), r(6, 3.0)]);
    // By amount: 1.0 ties between 5, 2 and 8 -> argmin 2; 3.0 ties between 1 and 6 ->
    // argmax 6. By value: 1 -> 3.0; 8 -> 1.0.
    assert_eq!(
        arg_ref(&a, &[]),
        once(vec![(0, 2, 6, Total(3.0), Total(1.0))]),
        "the reference"
    );
    check(ArgPipe, 2, &a, &none(), arg_ref);
}

pipe!(AnyPipe: (Rec, ()) -> (u8, i64) = |a, b| a.group_by(|r| r.0).reduce(|r| r.any(|x| x.1), |k, v| (*k, v)));
/// `any` is documented to pick the smallest value, so it is deterministic.
fn any_ref(a: &[Vec<(Rec, isize)>], _: &[Vec<((), isize)>]) -> Multiset<(u8, i64)> {
    per_group(a, |rows| rows.iter().map(|r| r.1).min().unwrap())
}

#[test]
fn any_hand() {
    check_hand(AnyPipe, any_ref, vec![(0, 3), (1, 1), (3, 4)]);
}

type Ends = (u8, i64, i64, Total<f64>, Total<f64>);
pipe!(EndsPipe: (Rec, ()) -> Ends = |a, b| a.group_by(|r| r.0).reduce(
    |r| (r.earliest(|x| x.1), r.latest(|x| x.1), r.earliest(|x| x.2 .0), r.latest(|x| x.2 .0)),
    |k, (e, l, fe, fl)| (*k, e, l, Total(fe), Total(fl)),
));
fn ends_ref(a: &[Vec<(Rec, isize)>], _: &[Vec<((), isize)>]) -> Multiset<Ends> {
    groups(a)
        .into_iter()
        .map(|(k, rows)| {
            let (first, last) = (rows.first().unwrap(), rows.last().unwrap());
            ((k, first.1, last.1, first.2, last.2), 1)
        })
        .collect()
}

#[test]
fn earliest_latest_hand() {
    check_hand(
        EndsPipe,
        ends_ref,
        vec![
            (0, 3, 9, Total(0.1), Total(0.2)),
            (1, 5, 1, Total(2.5), Total(-0.5)),
            (3, 4, 4, Total(1e6), Total(1e6)),
        ],
    );
}

pipe!(EarliestPipe: (Rec, ()) -> (u8, i64) = |a, b| a.group_by(|r| r.0).reduce(|r| r.earliest(|x| x.1), |k, v| (*k, v)));
pipe!(LatestPipe: (Rec, ()) -> (u8, i64) = |a, b| a.group_by(|r| r.0).reduce(|r| r.latest(|x| x.1), |k, v| (*k, v)));

/// `earliest` and `latest` follow input position, not value order; retracting the latest row
/// restores the previous one.
#[test]
fn earliest_latest_follow_position() {
    let r = |v: i64| (0u8, v, Total(0.0));
    let a: Epochs<Rec> = vec![
        vec![(r(5), 1)],
        vec![(r(9), 1), (r(1), 1)],
        vec![(r(1), -1)],
        vec![(r(5), -1)],
    ];
    let latest = run_streaming(LatestPipe, 2, &a, &none());
    assert_eq!(
        latest.states,
        vec![once(vec![(0, 5)]), once(vec![(0, 1)]), once(vec![(0, 9)])]
    );
    let earliest = run_streaming(EarliestPipe, 2, &a, &none());
    assert_eq!(
        earliest.states,
        vec![once(vec![(0, 5)]), once(vec![(0, 9)])]
    );
    assert_eq!(run_batch(LatestPipe, 2, &a, &none()), once(vec![(0, 9)]));
    assert_eq!(run_batch(EarliestPipe, 2, &a, &none()), once(vec![(0, 9)]));
    // In one batch epoch, the position within the source decides.
    let one = one_epoch(vec![r(5), r(9), r(1)]);
    assert_eq!(run_batch(LatestPipe, 3, &one, &none()), once(vec![(0, 1)]));
    assert_eq!(
        run_batch(EarliestPipe, 3, &one, &none()),
        once(vec![(0, 5)])
    );
}

type Distinct = (u8, u64, u64);
pipe!(CountDistinctPipe: (Rec, ()) -> Distinct = |a, b| a.group_by(|r| r.0).reduce(
    |r| (r.count_distinct(|x| x.1), r.count_distinct(|x| x.2 .0)),
    |k, (n, m)| (*k, n, m),
));
fn count_distinct_ref(a: &[Vec<(Rec, isize)>], _: &[Vec<((), isize)>]) -> Multiset<Distinct> {
    groups(a)
        .into_iter()
        .map(|(k, rows)| {
            let ints: BTreeSet<i64> = rows.iter().map(|r| r.1).collect();
            let floats: BTreeSet<Total<f64>> = rows.iter().map(|r| r.2).collect();
            ((k, ints.len() as u64, floats.len() as u64), 1)
        })
        .collect()
}

#[test]
fn count_distinct_hand() {
    check_hand(
        CountDistinctPipe,
        count_distinct_ref,
        vec![(0, 2, 3), (1, 2, 2), (3, 1, 1)],
    );
}

type Collected = (u8, Vec<i64>, Vec<Total<f64>>);
pipe!(CollectPipe: (Rec, ()) -> Collected = |a, b| a.group_by(|r| r.0).reduce(
    |r| (r.collect(|x| x.1), r.collect(|x| x.2 .0)),
    |k, (v, f)| (*k, v, f.into_iter().map(Total).collect()),
));
fn collect_ref(a: &[Vec<(Rec, isize)>], _: &[Vec<((), isize)>]) -> Multiset<Collected> {
    groups(a)
        .into_iter()
        .map(|(k, rows)| {
            let mut ints: Vec<i64> = rows.iter().map(|r| r.1).collect();
            let mut floats: Vec<Total<f64>> = rows.iter().map(|r| r.2).collect();
            ints.sort();
            floats.sort();
            ((k, ints, floats), 1)
        })
        .collect()
}

#[test]
fn collect_hand() {
    check_hand(
        CollectPipe,
        collect_ref,
        vec![
            (0, vec![3, 3, 9], vec![Total(0.1), Total(0.2), Total(0.3)]),
            (1, vec![1, 5, 5], vec![Total(-0.5), Total(2.5), Total(2.5)]),
            (3, vec![4], vec![Total(1e6)]),
        ],
    );
}

/// A tuple mixing accumulable, value and positional reducers, computed in one pass.
type Mixed = (u8, u64, Total<f64>, i64, i64, Vec<i64>, Total<f64>);
pipe!(TuplePipe: (Rec, ()) -> Mixed = |a, b| a.group_by(|r| r.0 % 2).reduce(
    |r| (r.count(), r.sum(|x| x.2 .0), r.max(|x| x.1), r.latest(|x| x.1), r.collect(|x| x.1), r.avg(|x| x.1)),
    |k, (n, s, hi, last, all, mean)| (*k, n, Total(s), hi, last, all, Total(mean)),
));
fn tuple_ref(a: &[Vec<(Rec, isize)>], _: &[Vec<((), isize)>]) -> Multiset<Mixed> {
    let mut by_parity: BTreeMap<u8, Vec<Rec>> = BTreeMap::new();
    for (_, row) in live_rows(a) {
        by_parity.entry(row.0 % 2).or_default().push(row);
    }
    by_parity
        .into_iter()
        .map(|(k, rows)| {
            let mut all: Vec<i64> = rows.iter().map(|r| r.1).collect();
            all.sort();
            let n = rows.len();
            (
                (
                    k,
                    n as u64,
                    Total(exact_sum(rows.iter().map(|r| (r.2 .0, 1)))),
                    rows.iter().map(|r| r.1).max().unwrap(),
                    rows.last().unwrap().1,
                    all.clone(),
                    Total(all.iter().sum::<i64>() as f64 / n as f64),
                ),
                1,
            )
        })
        .collect()
}

#[test]
fn tuple_of_reducers_hand() {
    check_hand(
        TuplePipe,
        tuple_ref,
        vec![
            // Even groups 0 and 2 (2 is gone): rows (3,.1)@0 (3,.3)@4 (9,.2)@8.
            (0, 3, Total(0.6), 9, 9, vec![3, 3, 9], Total(5.0)),
            // Odd groups 1 and 3: (5,2.5)@2 (5,2.5)@5 (1,-.5)@6 (4,1e6)@7.
            (
                1,
                4,
                Total(1e6 + 4.5),
                5,
                4,
                vec![1, 4, 5, 5],
                Total(15.0 / 4.0),
            ),
        ],
    );
}

proptest! {
    #![proptest_config(config(16))]

    #[test]
    fn count_random(a in epochs_of(rec(), OPS), w in workers()) {
        check(CountPipe, w, &a, &none(), count_ref);
    }

    #[test]
    fn sum_int_random(a in epochs_of(rec(), OPS), w in workers()) {
        check(SumIntPipe, w, &a, &none(), sum_int_ref);
    }

    #[test]
    fn sum_float_random(a in epochs_of(rec(), OPS), w in workers()) {
        check(SumFloatPipe, w, &a, &none(), sum_float_ref);
    }

    #[test]
    fn avg_float_random(a in epochs_of(rec(), OPS), w in workers()) {
        check(AvgFloatPipe, w, &a, &none(), avg_float_ref);
    }

    #[test]
    fn avg_int_random(a in epochs_of(rec(), OPS), w in workers()) {
        check(AvgIntPipe, w, &a, &none(), avg_int_ref);
    }

    #[test]
    fn min_max_random(a in epochs_of(rec(), OPS), w in workers()) {
        check(MinMaxPipe, w, &a, &none(), min_max_ref);
    }

    #[test]
    fn argmin_argmax_random(a in epochs_of(rec(), OPS), w in workers()) {
        check(ArgPipe, w, &a, &none(), arg_ref);
    }

    #[test]
    fn any_random(a in epochs_of(rec(), OPS), w in workers()) {
        check(AnyPipe, w, &a, &none(), any_ref);
    }

    #[test]
    fn earliest_latest_random(a in epochs_of(rec(), OPS), w in workers()) {
        check(EndsPipe, w, &a, &none(), ends_ref);
    }

    #[test]
    fn count_distinct_random(a in epochs_of(rec(), OPS), w in workers()) {
        check(CountDistinctPipe, w, &a, &none(), count_distinct_ref);
    }

    #[test]
    fn collect_random(a in epochs_of(rec(), OPS), w in workers()) {
        check(CollectPipe, w, &a, &none(), collect_ref);
    }

    #[test]
    fn tuple_of_reducers_random(a in epochs_of(rec(), OPS), w in workers()) {
        check(TuplePipe, w, &a, &none(), tuple_ref);
    }
}

// ---------------------------------------------------------------------------------------------
// Exact float sums
// ---------------------------------------------------------------------------------------------

type Amount = (u8, Total<f64>);
pipe!(TotalPipe: (Amount, ()) -> (u8, Total<f64>) = |a, b| a.group_by(|r| r.0).reduce(|r| r.sum(|x| x.1 .0), |k, s| (*k, Total(s))));

fn all_permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut tail in all_permutations(&rest) {
            tail.insert(0, first.clone());
            out.push(tail);
        }
    }
    out
}

/// The sum of 0.1, 0.2 and 0.3 is the correctly rounded 0.6 in every order, every split into
/// epochs, on 1 and 3 workers, in batch and streaming; so are sums whose naive evaluation
/// loses everything to cancellation.
#[test]
fn float_sums_are_exact_in_any_order_split_and_worker_count() {
    let exactly = |s: &Multiset<(u8, Total<f64>)>, want: f64| {
        assert_eq!(s.len(), 1, "{s:?}");
        let (row, n) = s.first_key_value().unwrap();
        assert_eq!(*n, 1);
        assert_eq!(
            row.1 .0.to_bits(),
            want.to_bits(),
            "{:?} != {want:?}",
            row.1 .0
        );
    };
    assert_eq!(exact_sum([(0.1, 1), (0.2, 1), (0.3, 1)]), 0.6);
    for values in all_permutations(&[0.1, 0.2, 0.3]) {
        let rows: Vec<Amount> = values.iter().map(|x| (0, Total(*x))).collect();
        for input in [one_epoch(rows.clone()), epoch_per_row(rows.clone())] {
            for workers in [1, 3] {
                exactly(&run_batch(TotalPipe, workers, &input, &none()), 0.6);
                exactly(
                    &run_streaming(TotalPipe, workers, &input, &none()).view,
                    0.6,
                );
            }
        }
    }
    // Catastrophic cancellation, a retracted huge value, and 10 copies of 0.1 in one update.
    let huge: Epochs<Amount> = vec![
        vec![((0, Total(1e100)), 1), ((0, Total(0.1)), 1)],
        vec![((0, Total(-1e100)), 1), ((0, Total(1e17)), 1)],
        vec![((0, Total(1e17)), -1)],
    ];
    assert_eq!(1e100 + 0.1 - 1e100, 0.0, "naive addition loses 0.1");
    exactly(&run_batch(TotalPipe, 2, &huge, &none()), 0.1);
    exactly(&run_streaming(TotalPipe, 2, &huge, &none()).view, 0.1);
    let tenths: Epochs<Amount> = vec![vec![((0, Total(0.1)), 10)]];
    assert_ne!((0..10).map(|_| 0.1).sum::<f64>(), 1.0);
    exactly(&run_batch(TotalPipe, 2, &tenths, &none()), 1.0);
    exactly(&run_streaming(TotalPipe, 2, &tenths, &none()).view, 1.0);
}

fn total_ref(a: &[Vec<(Amount, isize)>], _: &[Vec<((), isize)>]) -> Multiset<(u8, Total<f64>)> {
    let mut sums: BTreeMap<u8, Vec<(f64, isize)>> = BTreeMap::new();
    for (row, n) in final_rows(a) {
        sums.entry(row.0).or_default().push((row.1 .0, n));
    }
    sums.into_iter()
        .map(|(k, values)| ((k, Total(exact_sum(values))), 1))
        .collect()
}

proptest! {
    #![proptest_config(config(16))]

    /// Random floats, shuffled and cut differently: the sum is the correctly rounded exact sum.
    #[test]
    fn float_sums_are_exact_random(
        a in epochs_of((0u8..2, float_value().prop_map(Total)), 40),
        w in workers(),
    ) {
        check(TotalPipe, w, &a, &none(), total_ref);
    }
}

// ---------------------------------------------------------------------------------------------
// Sinks
// ---------------------------------------------------------------------------------------------

/// A batch run is one epoch: its sinks see only the final result, at epoch 0, even when the
/// in-memory source is given several epochs.
#[test]
fn batch_sinks_see_one_epoch() {
    let input: Epochs<Pair> = vec![
        vec![((1, 1), 1), ((2, 2), 1)],
        vec![((1, 1), -1), ((3, 3), 1)],
        vec![((4, 4), 1)],
    ];
    let log: Arc<Mutex<Vec<(Pair, Epoch, isize)>>> = Arc::default();
    let seen = Arc::clone(&log);
    with_timeout("a batch run", RUN_TIMEOUT, move || {
        Runner::batch()
            .args(args(2))
            .run(move |p| {
                let rows = p.read(memory::epochs(input.clone()));
                let seen = Arc::clone(&seen);
                p.write(
                    rows,
                    memory::subscribe(move |row: &Pair, epoch, diff| {
                        seen.lock().unwrap().push((*row, epoch, diff))
                    }),
                );
            })
            .expect("the batch run succeeds")
    });
    let mut log = log.lock().unwrap().clone();
    log.sort();
    assert_eq!(
        log,
        vec![((2, 2), 0, 1), ((3, 3), 0, 1), ((4, 4), 0, 1)],
        "one epoch (0) with the final table"
    );
}
