//! Shared helpers of the integration tests: a harness that runs a pipeline in batch and in
//! streaming, naive references, a hand-written `Schema` row type, and child processes.
//!
//! Every test crate uses a different part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use pathflow::memory;
use pathflow::prelude::*;
use pathflow::schema::{column_name, Field, FieldError, JsonValue, TextRecord};
use pathflow::{Epoch, Total};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use wait_timeout::ChildExt;

// ---------------------------------------------------------------------------------------------
// Inputs and multisets
// ---------------------------------------------------------------------------------------------

/// Updates `(row, diff)` cut into epochs, as `memory::epochs` takes them.
pub type Epochs<T> = Vec<Vec<(T, isize)>>;

/// A prefix of [`Epochs`], as references take them.
pub type EpochSlice<T> = [Vec<(T, isize)>];

/// A naive reference: the expected table for given inputs.
pub type Reference<'r, A, B, O> = dyn Fn(&EpochSlice<A>, &EpochSlice<B>) -> Multiset<O> + 'r;

/// The changes a `subscribe` sink saw: (row, epoch, diff).
pub type ChangeLog<O> = Arc<Mutex<Vec<(O, Epoch, isize)>>>;

/// A multiset: row -> multiplicity (never zero).
pub type Multiset<T> = BTreeMap<T, isize>;

/// Adds up updates into a multiset, dropping rows whose multiplicity is zero.
pub fn multiset<T: Ord + Clone>(updates: impl IntoIterator<Item = (T, isize)>) -> Multiset<T> {
    let mut out = BTreeMap::new();
    for (row, diff) in updates {
        *out.entry(row).or_insert(0) += diff;
    }
    out.retain(|_, count| *count != 0);
    out
}

/// The rows still present after all `epochs`, each copy with the offset the in-memory source
/// gives it, in offset (= input position) order.
///
/// Mirrors `memory::epochs`'s documented numbering: an insert takes the next offset; a
/// retraction removes the latest live copy of the same row.
pub fn live_rows<T: Ord + Clone>(epochs: &[Vec<(T, isize)>]) -> Vec<(u64, T)> {
    let mut next = 0u64;
    let mut live: BTreeMap<T, Vec<u64>> = BTreeMap::new();
    for epoch in epochs {
        for (row, diff) in epoch {
            if *diff > 0 {
                for _ in 0..*diff {
                    live.entry(row.clone()).or_default().push(next);
                    next += 1;
                }
            } else {
                for _ in 0..-*diff {
                    let popped = live.get_mut(row).and_then(Vec::pop);
                    assert!(popped.is_some(), "test input retracts a row that is absent");
                }
            }
        }
    }
    let mut out: Vec<(u64, T)> = live
        .into_iter()
        .flat_map(|(row, offsets)| offsets.into_iter().map(move |o| (o, row.clone())))
        .collect();
    out.sort_by_key(|(offset, _)| *offset);
    out
}

/// The multiset of rows present after all `epochs`.
pub fn final_rows<T: Ord + Clone>(epochs: &[Vec<(T, isize)>]) -> Multiset<T> {
    multiset(epochs.iter().flatten().cloned())
}

/// One insert per row, all in one epoch.
pub fn one_epoch<T>(rows: Vec<T>) -> Epochs<T> {
    vec![rows.into_iter().map(|row| (row, 1)).collect()]
}

/// One epoch per row.
pub fn epoch_per_row<T>(rows: Vec<T>) -> Epochs<T> {
    rows.into_iter().map(|row| vec![(row, 1)]).collect()
}

// ---------------------------------------------------------------------------------------------
// Exact float sums, computed independently of pathflow's `ExactSum`
// ---------------------------------------------------------------------------------------------

/// Binary exponent of the fixed-point reference: values must be multiples of 2^-FIXED.
const FIXED: i32 = 64;

/// `x * 2^FIXED` as an exact integer; panics if `x` is not a multiple of 2^-FIXED or too big.
fn to_fixed(x: f64) -> i128 {
    assert!(x.is_finite(), "the reference handles finite values only");
    if x == 0.0 {
        return 0;
    }
    let bits = x.to_bits();
    let sign = if bits >> 63 == 1 { -1i128 } else { 1 };
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mut mantissa, mut exp) = if exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), exponent - 1075)
    };
    let zeros = mantissa.trailing_zeros();
    mantissa >>= zeros;
    exp += zeros as i32;
    let shift = exp + FIXED;
    assert!(
        shift >= 0,
        "{x:?} is too small for the fixed-point reference"
    );
    assert!(
        64 - mantissa.leading_zeros() as i32 + shift <= 112,
        "{x:?} is too large for the fixed-point reference"
    );
    sign * ((mantissa as i128) << shift)
}

/// The correctly rounded sum of `value * times` over the inputs: the mathematically exact sum,
/// kept in 128-bit fixed point, rounded once to the nearest `f64` (ties to even).
pub fn exact_sum(values: impl IntoIterator<Item = (f64, isize)>) -> f64 {
    let total: i128 = values
        .into_iter()
        .map(|(x, times)| to_fixed(x) * times as i128)
        .sum();
    // `as f64` rounds an integer to the nearest float (ties to even); scaling by a power of
    // two afterwards is exact for the magnitudes the reference accepts.
    (total as f64) * 2f64.powi(-FIXED)
}

/// Floats the fixed-point reference can sum exactly: decimal fractions with full 53-bit
/// mantissas (0.1, 0.2, …), random 53-bit mantissas at varied scales, both signs.
pub fn float_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => prop::sample::select(vec![
            0.1, 0.2, 0.3, 0.7, 1.1, 2.5, 1e-3, 123.456, 1e6, 3.0, 0.0, -0.0
        ])
        .prop_flat_map(|x| prop_oneof![Just(x), Just(-x)]),
        2 => (-(1i64 << 53)..(1i64 << 53), -60i32..-24)
            .prop_map(|(m, e)| m as f64 * 2f64.powi(e)),
        1 => (-1000i64..1000).prop_map(|n| n as f64 / 8.0),
    ]
}

// ---------------------------------------------------------------------------------------------
// Random inputs with retractions
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op<T> {
    Insert(T),
    Delete(prop::sample::Index),
    Commit,
}

/// Random updates cut into random epochs: inserts of `row`s, retractions of rows present at
/// that point (never of absent ones), and epoch boundaries (some epochs are empty).
pub fn epochs_of<T: Clone + Debug + 'static>(
    row: impl Strategy<Value = T> + 'static,
    max_ops: usize,
) -> impl Strategy<Value = Epochs<T>> {
    let op = prop_oneof![
        6 => row.prop_map(Op::Insert),
        2 => any::<prop::sample::Index>().prop_map(Op::Delete),
        1 => Just(Op::Commit),
    ];
    prop::collection::vec(op, 0..max_ops).prop_map(|ops| {
        let mut epochs = Vec::new();
        let mut current = Vec::new();
        let mut live: Vec<T> = Vec::new();
        for op in ops {
            match op {
                Op::Insert(row) => {
                    live.push(row.clone());
                    current.push((row, 1));
                }
                Op::Delete(index) => {
                    if !live.is_empty() {
                        let row = live.remove(index.index(live.len()));
                        current.push((row, -1));
                    }
                }
                Op::Commit => epochs.push(std::mem::take(&mut current)),
            }
        }
        epochs.push(current);
        epochs
    })
}

/// The number of proptest cases: `default`, or `PROPTEST_CASES` when set (for deeper runs).
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A proptest configuration with [`cases`]`(default)` cases. Failures are not persisted
/// (integration tests have no `lib.rs` for proptest to put them next to): a failure prints
/// its minimal input, to be turned into a hand-written test.
pub fn config(default: u32) -> ProptestConfig {
    ProptestConfig {
        cases: cases(default),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Running pipelines in-process
// ---------------------------------------------------------------------------------------------

/// How long one in-process run may take before the test fails instead of hanging.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `f` on another thread; fails the test if it takes longer than `timeout`.
pub fn with_timeout<R: Send + 'static>(
    what: &str,
    timeout: Duration,
    f: impl FnOnce() -> R + Send + 'static,
) -> R {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(timeout) {
        Ok(value) => {
            let _ = handle.join();
            value
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what} did not finish within {timeout:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => panic!("{what} ended without a result"),
        },
    }
}

/// Runner settings with `workers` threads, everything else default (no environment).
pub fn args(workers: u32) -> RunnerArgs {
    RunnerArgs {
        workers,
        commit_interval_ms: 10,
        ..RunnerArgs::default()
    }
}

/// A pipeline of two input tables, generic over the mode, so that one definition runs in
/// batch and in streaming. Single-input pipelines ignore `b`.
pub trait Pipe: Send + Sync + 'static {
    type A: Row;
    type B: Row;
    type Out: Row;
    fn build<'s, M: Mode>(
        &self,
        a: Table<'s, Self::A, M>,
        b: Table<'s, Self::B, M>,
    ) -> Table<'s, Self::Out, M>;
}

/// Declares a unit struct implementing [`Pipe`].
#[macro_export]
macro_rules! pipe {
    ($name:ident: ($a:ty, $b:ty) -> $out:ty = |$x:ident, $y:ident| $body:expr) => {
        #[derive(Clone, Copy)]
        struct $name;
        impl $crate::common::Pipe for $name {
            type A = $a;
            type B = $b;
            type Out = $out;
            #[allow(unused_variables)]
            fn build<'s, M: pathflow::Mode>(
                &self,
                $x: pathflow::Table<'s, $a, M>,
                $y: pathflow::Table<'s, $b, M>,
            ) -> pathflow::Table<'s, $out, M> {
                $body
            }
        }
    };
}

/// The final table of a batch run of `pipe` on `workers` threads.
pub fn run_batch<P: Pipe>(
    pipe: P,
    workers: u32,
    a: &Epochs<P::A>,
    b: &Epochs<P::B>,
) -> Multiset<P::Out> {
    let (a, b) = (a.clone(), b.clone());
    with_timeout("a batch run", RUN_TIMEOUT, move || {
        let (result, sink) = memory::snapshot::<P::Out>();
        let pipe = Arc::new(pipe);
        Runner::batch()
            .args(args(workers))
            .run(move |p| {
                let ta = p.read(memory::epochs(a.clone()));
                let tb = p.read(memory::epochs(b.clone()));
                p.write(pipe.build(ta, tb), sink.clone());
            })
            .expect("the batch run succeeds");
        multiset(result.counts())
    })
}

/// What a streaming run produced.
#[derive(Debug)]
pub struct Streamed<O> {
    /// The `view` sink's table at the end.
    pub view: Multiset<O>,
    /// The table after each epoch the `subscribe` sink reported, in order.
    pub states: Vec<Multiset<O>>,
}

/// A streaming run of `pipe` on `workers` threads, fed by `memory::epochs` (one epoch per
/// inner vector). Checks the subscribe sink's contract on the way: epochs in increasing
/// order, each epoch's updates consolidated, and its changes adding up to the view.
pub fn run_streaming<P: Pipe>(
    pipe: P,
    workers: u32,
    a: &Epochs<P::A>,
    b: &Epochs<P::B>,
) -> Streamed<P::Out> {
    let (a, b) = (a.clone(), b.clone());
    with_timeout("a streaming run", RUN_TIMEOUT, move || {
        let (view, sink) = memory::view::<P::Out>();
        let changes: ChangeLog<P::Out> = Arc::default();
        let log = Arc::clone(&changes);
        let pipe = Arc::new(pipe);
        Runner::streaming()
            .args(args(workers))
            .run(move |p| {
                let ta = p.read(memory::epochs(a.clone()));
                let tb = p.read(memory::epochs(b.clone()));
                let out = pipe.build(ta, tb);
                p.write(out.clone(), sink.clone());
                let log = Arc::clone(&log);
                p.write(
                    out,
                    memory::subscribe(move |row: &P::Out, epoch, diff| {
                        log.lock().unwrap().push((row.clone(), epoch, diff))
                    }),
                );
            })
            .expect("the streaming run succeeds");
        let changes = std::mem::take(&mut *changes.lock().unwrap());
        let states = states_of(&changes);
        let view = multiset(view.counts());
        assert_eq!(
            states.last().cloned().unwrap_or_default(),
            view,
            "the subscribed changes add up to the view"
        );
        Streamed { view, states }
    })
}

/// The table after each epoch of a change log, checking the log is well formed.
pub fn states_of<O: Ord + Clone + Debug>(changes: &[(O, Epoch, isize)]) -> Vec<Multiset<O>> {
    let mut states = Vec::new();
    let mut state: Multiset<O> = BTreeMap::new();
    let mut i = 0;
    let mut last_epoch = None;
    while i < changes.len() {
        let epoch = changes[i].1;
        assert!(
            last_epoch.is_none_or(|last| last < epoch),
            "epochs are reported once each, in increasing order: {last_epoch:?} then {epoch}"
        );
        last_epoch = Some(epoch);
        let mut rows_this_epoch = std::collections::BTreeSet::new();
        while i < changes.len() && changes[i].1 == epoch {
            let (row, _, diff) = &changes[i];
            assert_ne!(*diff, 0, "a zero diff was reported for {row:?}");
            assert!(
                rows_this_epoch.insert(row.clone()),
                "epoch {epoch} reports {row:?} twice: not consolidated"
            );
            *state.entry(row.clone()).or_insert(0) += diff;
            if state[row] == 0 {
                state.remove(row);
            }
            i += 1;
        }
        assert!(
            state.values().all(|c| *c > 0),
            "a negative multiplicity after epoch {epoch}: {state:?}"
        );
        states.push(state.clone());
    }
    states
}

/// Checks that every state a streaming run reported is the reference applied to some prefix
/// of each input, with the prefixes growing: every output is a consistent snapshot.
pub fn assert_prefix_consistent<A, B, O>(
    states: &[Multiset<O>],
    a: &Epochs<A>,
    b: &Epochs<B>,
    reference: &Reference<'_, A, B, O>,
) where
    O: Ord + Debug,
{
    // Feasible (prefix of a, prefix of b) pairs after each reported state.
    let mut feasible: Vec<(usize, usize)> = vec![(0, 0)];
    let mut cache: BTreeMap<(usize, usize), Multiset<O>> = BTreeMap::new();
    for (n, state) in states.iter().enumerate() {
        let mut next = Vec::new();
        for i in 0..=a.len() {
            for j in 0..=b.len() {
                if !feasible.iter().any(|&(fi, fj)| fi <= i && fj <= j) {
                    continue;
                }
                let expected = cache
                    .entry((i, j))
                    .or_insert_with(|| reference(&a[..i], &b[..j]));
                if expected == state {
                    next.push((i, j));
                }
            }
        }
        assert!(
            !next.is_empty(),
            "streamed state #{n} {state:?} is not the result of any prefix of the input \
             consistent with the states before it"
        );
        feasible = next;
    }
}

/// Runs `pipe` in batch on 1 and `workers` threads and in streaming on `workers` threads,
/// and checks every result, and every intermediate streamed state, against `reference`.
pub fn check<P: Pipe + Clone>(
    pipe: P,
    workers: u32,
    a: &Epochs<P::A>,
    b: &Epochs<P::B>,
    reference: impl Fn(&[Vec<(P::A, isize)>], &[Vec<(P::B, isize)>]) -> Multiset<P::Out>,
) {
    let expected = reference(a, b);
    let batch = run_batch(pipe.clone(), 1, a, b);
    assert_eq!(batch, expected, "batch, 1 worker");
    if workers > 1 {
        let batch = run_batch(pipe.clone(), workers, a, b);
        assert_eq!(batch, expected, "batch, {workers} workers");
    }
    let streamed = run_streaming(pipe, workers, a, b);
    assert_eq!(streamed.view, expected, "streaming, {workers} workers");
    assert_prefix_consistent(&streamed.states, a, b, &reference);
}

/// No input.
pub fn none<T>() -> Epochs<T> {
    Vec::new()
}

// ---------------------------------------------------------------------------------------------
// A row type with a primary key, `Schema` implemented by hand
// ---------------------------------------------------------------------------------------------

/// An order: primary key `id`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Order {
    pub id: u8,
    pub customer: u8,
    pub amount: f64,
}

impl Order {
    fn ord_key(&self) -> (u8, u8, Total<f64>) {
        (self.id, self.customer, Total(self.amount))
    }
}

impl PartialEq for Order {
    fn eq(&self, other: &Self) -> bool {
        self.ord_key() == other.ord_key()
    }
}
impl Eq for Order {}
impl PartialOrd for Order {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Order {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.ord_key().cmp(&other.ord_key())
    }
}
impl std::hash::Hash for Order {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.ord_key().hash(state)
    }
}

impl Schema for Order {
    type Key = u8;
    const HAS_PRIMARY_KEY: bool = true;
    const PRIMARY_KEY_COLUMNS: &'static [&'static str] = &["id"];
    fn primary_key(&self) -> u8 {
        self.id
    }
    const EVENT_TIME_COLUMN: Option<&'static str> = None;
    fn event_time(&self) -> Option<Timestamp> {
        None
    }
}

impl Field for Order {
    fn push_columns(name: &str, out: &mut Vec<pathflow::schema::Column>) {
        u8::push_columns(&column_name(name, "id"), out);
        u8::push_columns(&column_name(name, "customer"), out);
        f64::push_columns(&column_name(name, "amount"), out);
    }
    fn decode_text(record: &dyn TextRecord, name: &str) -> Result<Self, FieldError> {
        Ok(Order {
            id: u8::decode_text(record, &column_name(name, "id"))?,
            customer: u8::decode_text(record, &column_name(name, "customer"))?,
            amount: f64::decode_text(record, &column_name(name, "amount"))?,
        })
    }
    fn encode_text(&self, out: &mut Vec<String>) {
        self.id.encode_text(out);
        self.customer.encode_text(out);
        self.amount.encode_text(out);
    }
    fn decode_json(value: Option<&JsonValue>, name: &str) -> Result<Self, FieldError> {
        match value {
            Some(JsonValue::Object(map)) => Ok(Order {
                id: u8::decode_json(map.get("id"), &column_name(name, "id"))?,
                customer: u8::decode_json(map.get("customer"), &column_name(name, "customer"))?,
                amount: f64::decode_json(map.get("amount"), &column_name(name, "amount"))?,
            }),
            None | Some(JsonValue::Null) => Err(FieldError::missing(name)),
            Some(other) => Err(FieldError::new(
                name,
                format!("expected an object, found {other}"),
            )),
        }
    }
    fn encode_json(&self) -> JsonValue {
        let mut map = pathflow::schema::JsonObject::new();
        map.insert("id".into(), self.id.encode_json());
        map.insert("customer".into(), self.customer.encode_json());
        map.insert("amount".into(), self.amount.encode_json());
        JsonValue::Object(map)
    }
}

/// A customer and its region.
pub type Customer = (u8, u8);

/// Revenue per region: (region, exact sum of amounts, number of order lines).
pub type Revenue = (u8, Total<f64>, u64);

/// The pipeline of the equivalence property: upsert orders by id, keep positive amounts, join
/// with customers, sum and count per region.
pub fn revenue<'s, M: Mode>(
    orders: Table<'s, Order, M>,
    customers: Table<'s, Customer, M>,
) -> Table<'s, Revenue, M> {
    orders
        .upsert()
        .filter(|o| o.amount > 0.0)
        .join(customers, |o| o.customer, |c| c.0)
        .inner(|o, c| (c.1, o.id, Total(o.amount)))
        .group_by(|line| line.0)
        .reduce(
            |r| (r.sum(|line| line.2 .0), r.count()),
            |region, (total, lines)| (*region, Total(total), lines),
        )
}

/// [`revenue`] computed naively.
pub fn revenue_reference(
    orders: &[Vec<(Order, isize)>],
    customers: &[Vec<(Customer, isize)>],
) -> Multiset<Revenue> {
    // Upsert: per id, the live row with the latest position.
    let mut latest: BTreeMap<u8, Order> = BTreeMap::new();
    for (_, order) in live_rows(orders) {
        latest.insert(order.id, order);
    }
    let customers = final_rows(customers);
    let mut per_region: BTreeMap<u8, (Vec<(f64, isize)>, isize)> = BTreeMap::new();
    for order in latest.values().filter(|o| o.amount > 0.0) {
        for (&(customer, region), &copies) in &customers {
            if customer == order.customer {
                let entry = per_region.entry(region).or_default();
                entry.0.push((order.amount, copies));
                entry.1 += copies;
            }
        }
    }
    per_region
        .into_iter()
        .map(|(region, (amounts, lines))| ((region, Total(exact_sum(amounts)), lines as u64), 1))
        .collect()
}

/// The [`revenue`] pipeline as a [`Pipe`].
#[derive(Clone, Copy)]
pub struct RevenuePipe;

impl Pipe for RevenuePipe {
    type A = Order;
    type B = Customer;
    type Out = Revenue;
    fn build<'s, M: Mode>(
        &self,
        a: Table<'s, Order, M>,
        b: Table<'s, Customer, M>,
    ) -> Table<'s, Revenue, M> {
        revenue(a, b)
    }
}

/// A deterministic, sizeable input for [`revenue`]: upserts of 200 ids over 12 epochs with
/// retractions, and 40 customers in 7 regions (some duplicated, some retracted).
pub fn revenue_input() -> (Epochs<Order>, Epochs<Customer>) {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let decimals = [0.1, 0.2, 0.3, 0.7, 1.1, 123.456, 1e-3, 2.5];
    let mut orders: Epochs<Order> = Vec::new();
    let mut live: Vec<Order> = Vec::new();
    for _ in 0..12 {
        let mut epoch = Vec::new();
        for _ in 0..250 {
            if !live.is_empty() && next(5) == 0 {
                let row = live.remove(next(live.len() as u64) as usize);
                epoch.push((row, -1));
            } else {
                let magnitude =
                    decimals[next(decimals.len() as u64) as usize] * (1 + next(1000)) as f64;
                let sign = if next(6) == 0 { -1.0 } else { 1.0 };
                let row = Order {
                    id: next(200) as u8,
                    customer: next(45) as u8,
                    amount: sign * magnitude,
                };
                live.push(row.clone());
                epoch.push((row, 1));
            }
        }
        orders.push(epoch);
    }
    let mut customers: Epochs<Customer> = vec![Vec::new(), Vec::new(), Vec::new()];
    for customer in 0..40u8 {
        customers[(customer % 3) as usize].push(((customer, customer % 7), 1));
    }
    customers[1].push(((5, 5), 1)); // a duplicate: its orders count twice
    customers[2].push(((6, 6), -1)); // a customer that leaves
    customers[2].push(((7, 3), 1)); // a customer in two regions
    (orders, customers)
}

/// One line per row and multiplicity, floats by their exact `Debug` form.
pub fn render<T: Debug>(rows: &Multiset<T>) -> String {
    rows.iter()
        .map(|(row, count)| format!("{row:?} x{count}\n"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Child processes: the test binary re-executed in a "child" role
// ---------------------------------------------------------------------------------------------

/// The environment variable that selects a child role.
pub const ROLE: &str = "PFTEST_ROLE";

/// The child role this process was started in, if any.
pub fn child_role() -> Option<String> {
    std::env::var(ROLE).ok()
}

/// A required variable of a child's environment.
pub fn child_var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("child process started without {name}"))
}

/// Ends a child process the way a pathflow program does: `error: …` and the error's exit code.
pub fn exit_with(outcome: pathflow::Result<pathflow::RunReport>) -> ! {
    match outcome {
        Ok(_) => std::process::exit(0),
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(error.exit_code());
        }
    }
}

/// `n` loopback addresses whose ports were free a moment ago.
///
/// The ports are drawn at random from the 12,000 below the kernel's ephemeral range, not
/// handed out by the kernel: between this check and the cluster binding them, the kernel
/// gives ephemeral ports to every outgoing connection of the tests running beside this one
/// (seen: "Address already in use"), while nothing takes a port below that range unasked.
pub fn free_addresses(n: usize) -> Vec<String> {
    use std::hash::BuildHasher;
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32768);
    let low = ephemeral_low.saturating_sub(12_000).max(1024);
    let random = std::collections::hash_map::RandomState::new();
    let mut listeners: Vec<std::net::TcpListener> = Vec::with_capacity(n);
    for attempt in 0u64.. {
        if listeners.len() == n {
            break;
        }
        assert!(
            attempt < 10_000,
            "no free loopback port below {ephemeral_low}"
        );
        let span = u64::from(ephemeral_low.saturating_sub(low).max(1));
        let port = low + (random.hash_one(attempt) % span) as u32;
        if let Ok(listener) = std::net::TcpListener::bind(("127.0.0.1", port as u16)) {
            listeners.push(listener);
        }
    }
    listeners
        .iter()
        .map(|l| l.local_addr().expect("local address").to_string())
        .collect()
}

/// A child process running one test of this binary in a role; killed when dropped.
pub struct Child {
    pub name: String,
    child: std::process::Child,
    stderr: PathBuf,
    started: Instant,
    status: Option<ExitStatus>,
}

impl Child {
    /// Starts this test binary running only `test`, with `role` and `envs` set.
    pub fn spawn(test: &str, role: &str, name: &str, dir: &Path, envs: &[(&str, String)]) -> Self {
        let stdout = dir.join(format!("{name}.stdout"));
        let stderr = dir.join(format!("{name}.stderr"));
        let child = Command::new(std::env::current_exe().expect("the test binary"))
            .args(["--exact", test, "--nocapture", "--test-threads", "1"])
            .env(ROLE, role)
            .env_remove("RUST_BACKTRACE")
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("child stdout file"))
            .stderr(File::create(&stderr).expect("child stderr file"))
            .spawn()
            .expect("start a child process");
        Child {
            name: name.to_owned(),
            child,
            stderr,
            started: Instant::now(),
            status: None,
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits at most `timeout` for the child to exit; kills it and fails the test otherwise.
    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        if let Some(status) = self.status {
            return status;
        }
        match self.child.wait_timeout(timeout).expect("wait for a child") {
            Some(status) => {
                self.status = Some(status);
                status
            }
            None => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{} did not exit within {timeout:?}; stderr:\n{}",
                    self.name,
                    self.stderr()
                );
            }
        }
    }

    /// Whether the child has exited, without waiting.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("poll a child");
        }
        self.status
    }

    /// Sends SIGKILL.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill a child");
    }

    /// Sends `signal` (e.g. `libc::SIGTERM`).
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on the pid of our own, not yet reaped, child process.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(rc, 0, "kill({}, {signal}) failed", self.child.id());
    }

    /// Time since the child was started.
    pub fn age(&self) -> Duration {
        self.started.elapsed()
    }

    /// What the child wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.try_status().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until `path` exists (a child's "ready" marker), failing the test after `timeout` or
/// as soon as one of `children` exits.
pub fn wait_for_file(path: &Path, timeout: Duration, children: &mut [&mut Child]) {
    let deadline = Instant::now() + timeout;
    while !path.exists() {
        for child in children.iter_mut() {
            if let Some(status) = child.try_status() {
                panic!(
                    "{} exited ({status}) before {} appeared; stderr:\n{}",
                    child.name,
                    path.display(),
                    child.stderr()
                );
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} did not appear within {timeout:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// Live input, and a sink that every worker writes
// ---------------------------------------------------------------------------------------------

/// A streaming run fed by two `memory::live` inputs: the epochs of `a` and `b` are committed
/// from this thread in the order `turns` gives (true: next epoch of `a`), with `pauses[i]`
/// milliseconds before commit `i`; then both inputs are closed and the run ends.
pub fn run_live<P: Pipe>(
    pipe: P,
    workers: u32,
    a: &Epochs<P::A>,
    b: &Epochs<P::B>,
    turns: &[bool],
    pauses: &[u64],
) -> Streamed<P::Out> {
    let (input_a, source_a) = memory::live::<P::A>();
    let (input_b, source_b) = memory::live::<P::B>();
    let (view, sink) = memory::view::<P::Out>();
    let changes: ChangeLog<P::Out> = Arc::default();
    let log = Arc::clone(&changes);
    let pipe = Arc::new(pipe);
    let (done_tx, done_rx) = mpsc::channel();
    let runner = std::thread::spawn(move || {
        let outcome = Runner::streaming().args(args(workers)).run(move |p| {
            let ta = p.read(source_a.clone());
            let tb = p.read(source_b.clone());
            let out = pipe.build(ta, tb);
            p.write(out.clone(), sink.clone());
            let log = Arc::clone(&log);
            p.write(
                out,
                memory::subscribe(move |row: &P::Out, epoch, diff| {
                    log.lock().unwrap().push((row.clone(), epoch, diff))
                }),
            );
        });
        let _ = done_tx.send(outcome.map(|_| ()));
    });
    let (mut next_a, mut next_b) = (a.iter(), b.iter());
    let mut pauses = pauses.iter().cycle();
    let mut pause = || {
        if let Some(ms) = pauses.next() {
            std::thread::sleep(Duration::from_millis(*ms));
        }
    };
    // Follow `turns`, then commit whatever is left of `a`, then of `b`.
    for &turn in turns.iter().chain(std::iter::repeat_n(&true, a.len())) {
        if turn {
            let Some(epoch) = next_a.next() else { continue };
            pause();
            for (row, diff) in epoch.clone() {
                input_a.update(row, diff);
            }
            input_a.commit();
        } else {
            let Some(epoch) = next_b.next() else { continue };
            pause();
            for (row, diff) in epoch.clone() {
                input_b.update(row, diff);
            }
            input_b.commit();
        }
    }
    for epoch in next_b {
        pause();
        for (row, diff) in epoch.clone() {
            input_b.update(row, diff);
        }
        input_b.commit();
    }
    input_a.close();
    input_b.close();
    match done_rx.recv_timeout(RUN_TIMEOUT) {
        Ok(outcome) => outcome.expect("the live streaming run succeeds"),
        Err(_) => panic!("the live streaming run did not end within {RUN_TIMEOUT:?}"),
    }
    runner.join().expect("the runner thread");
    let changes = std::mem::take(&mut *changes.lock().unwrap());
    let states = states_of(&changes);
    let view = multiset(view.counts());
    assert_eq!(
        states.last().cloned().unwrap_or_default(),
        view,
        "the subscribed changes add up to the view"
    );
    Streamed { view, states }
}

/// A sink that every worker writes (placement `EveryWorker`): each process ends with its
/// workers' share of the table.
pub struct ShareSink<T> {
    shared: Arc<Mutex<Multiset<T>>>,
}

impl<T> Clone for ShareSink<T> {
    fn clone(&self) -> Self {
        ShareSink {
            shared: Arc::clone(&self.shared),
        }
    }
}

/// A sink every worker writes, and the handle to this process's share.
pub fn share<T: Row>() -> (Arc<Mutex<Multiset<T>>>, ShareSink<T>) {
    let shared: Arc<Mutex<Multiset<T>>> = Arc::default();
    (Arc::clone(&shared), ShareSink { shared })
}

struct ShareWriter<T> {
    shared: Arc<Mutex<Multiset<T>>>,
}

impl<T: Row> pathflow::SinkWriter<T> for ShareWriter<T> {
    fn write_epoch(&mut self, _epoch: Epoch, updates: &[(T, isize)]) -> pathflow::Result<()> {
        let mut table = self.shared.lock().unwrap();
        for (row, diff) in updates {
            *table.entry(row.clone()).or_insert(0) += diff;
            if table[row] == 0 {
                table.remove(row);
            }
        }
        Ok(())
    }
}

impl<T: Row, M: Mode> pathflow::Sink<M, T> for ShareSink<T> {
    fn name(&self) -> String {
        "test:share".to_owned()
    }
    fn placement(&self) -> pathflow::sink::Placement {
        pathflow::sink::Placement::EveryWorker
    }
    fn open(
        self,
        _context: &pathflow::sink::SinkContext,
    ) -> pathflow::Result<Box<dyn pathflow::SinkWriter<T>>> {
        Ok(Box::new(ShareWriter {
            shared: self.shared,
        }))
    }
}
