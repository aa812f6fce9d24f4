//! The central promise, as a property: for random inputs committed in random epochs, the
//! streaming run's final state equals the batch run's result exactly (bit for bit), for a
//! pipeline with filter, a join, group_by/reduce with an `f64` sum and a count, and upsert.
//! Both equal an independent naive reference, and every intermediate streamed state is the
//! reference applied to some prefix of the input.

mod common;

use common::*;
use proptest::prelude::*;

fn order() -> impl Strategy<Value = Order> {
    (0u8..6, 0u8..5, float_value()).prop_map(|(id, customer, amount)| Order {
        id,
        customer,
        amount,
    })
}

fn customer() -> impl Strategy<Value = Customer> {
    (0u8..5, 0u8..3)
}

/// Checks one input in batch (1 and `workers` threads), in streaming fed by
/// `memory::epochs`, and in streaming fed by `memory::live` with the given commit order.
fn check_equivalent(
    orders: &Epochs<Order>,
    customers: &Epochs<Customer>,
    workers: u32,
    turns: &[bool],
    pauses: &[u64],
) {
    let expected = revenue_reference(orders, customers);
    let batch = run_batch(RevenuePipe, 1, orders, customers);
    assert_eq!(render(&batch), render(&expected), "batch vs reference");
    let batch_n = run_batch(RevenuePipe, workers, orders, customers);
    assert_eq!(
        render(&batch_n),
        render(&batch),
        "batch on {workers} workers"
    );

    let streamed = run_streaming(RevenuePipe, workers, orders, customers);
    assert_eq!(
        render(&streamed.view),
        render(&batch),
        "streaming (memory::epochs, {workers} workers) vs batch"
    );
    assert_prefix_consistent(&streamed.states, orders, customers, &revenue_reference);

    let live = run_live(RevenuePipe, workers, orders, customers, turns, pauses);
    assert_eq!(
        render(&live.view),
        render(&batch),
        "streaming (memory::live, {workers} workers) vs batch"
    );
    assert_prefix_consistent(&live.states, orders, customers, &revenue_reference);
}

proptest! {
    #![proptest_config(config(100))]

    #[test]
    fn streaming_equals_batch(
        orders in epochs_of(order(), 40),
        customers in epochs_of(customer(), 12),
        workers in 1u32..=3,
        turns in prop::collection::vec(any::<bool>(), 0..30),
        pauses in prop::collection::vec(prop_oneof![4 => Just(0u64), 1 => 1u64..4], 1..8),
    ) {
        check_equivalent(&orders, &customers, workers, &turns, &pauses);
    }
}

/// A sizeable deterministic input (3000 order updates over 12 epochs) on 2 workers.
#[test]
fn streaming_equals_batch_on_a_larger_input() {
    let (orders, customers) = revenue_input();
    let expected = revenue_reference(&orders, &customers);
    assert!(expected.len() >= 5, "the input exercises several regions");
    let batch = run_batch(RevenuePipe, 2, &orders, &customers);
    assert_eq!(render(&batch), render(&expected));
    let streamed = run_streaming(RevenuePipe, 2, &orders, &customers);
    assert_eq!(render(&streamed.view), render(&batch));
    assert!(
        streamed.states.len() >= 10,
        "the streamed run reports most epochs separately ({} states)",
        streamed.states.len()
    );
    let turns: Vec<bool> = (0..15).map(|i| i % 4 != 1).collect();
    let live = run_live(RevenuePipe, 2, &orders, &customers, &turns, &[0, 2]);
    assert_eq!(render(&live.view), render(&batch));
}

/// The upsert in the pipeline matters: a later non-positive amount for an id removes the
/// order from the sums (upsert first, filter second), and retracting it brings it back.
#[test]
fn upsert_then_filter_in_the_pipeline() {
    let o = |id: u8, customer: u8, amount: f64| Order {
        id,
        customer,
        amount,
    };
    let customers: Epochs<Customer> = vec![vec![((1, 0), 1), ((2, 0), 1)]];
    let orders: Epochs<Order> = vec![
        vec![(o(1, 1, 0.1), 1), (o(2, 2, 0.2), 1)],
        vec![(o(1, 1, -5.0), 1)],
        vec![(o(1, 1, -5.0), -1), (o(3, 1, 0.3), 1)],
    ];
    let streamed = run_streaming(RevenuePipe, 2, &orders, &customers);
    let one = |sum: f64, n: u64| -> Multiset<Revenue> {
        [((0, pathflow::Total(sum), n), 1)].into_iter().collect()
    };
    assert_eq!(
        streamed.states.last(),
        Some(&one(0.6, 3)),
        "0.1 + 0.2 + 0.3 over three orders"
    );
    assert!(
        streamed.states.contains(&one(0.2, 1)),
        "while order 1 is -5.0 only order 2 counts: {:?}",
        streamed.states
    );
    assert_eq!(run_batch(RevenuePipe, 1, &orders, &customers), one(0.6, 3));
}

pipe!(ConcatUpsertPipe: (Order, Order) -> Order = |a, b| a.concat(b).upsert());

/// Two sources feeding one upsert: a row of source 0 committed in a later epoch than a row of
/// source 1 with the same key.
///
/// BUG: positions are (epoch, source, offset) and a batch run is one epoch, so here batch
/// keeps source 1's row (higher source index) while streaming keeps source 0's (later epoch):
/// the result depends on how the input was cut into epochs, against "identical results for
/// any split into epochs". Order-dependent operators over rows of several sources have no
/// cut-independent order under the current definition of `Position`; this needs a design
/// decision (e.g. order across sources by (source, offset) only, or forbid it), not a local fix.
#[test]
#[ignore = "BUG: order-dependent operators over several sources depend on the epoch cut"]
fn upsert_over_two_sources_is_independent_of_epochs() {
    let o = |id: u8, customer: u8, amount: f64| Order {
        id,
        customer,
        amount,
    };
    // A live source's rows take the timestamp of the epoch open when they are committed,
    // which opened when the previous commit was processed: empty commits move both sources
    // past their start, then source 1's row is committed ~40 ms before source 0's.
    let a: Epochs<Order> = vec![vec![], vec![], vec![(o(1, 1, 1.0), 1)]];
    let b: Epochs<Order> = vec![vec![], vec![(o(1, 2, 2.0), 1)]];
    let batch = run_batch(ConcatUpsertPipe, 1, &a, &b);
    assert_eq!(
        batch,
        [(o(1, 2, 2.0), 1)].into_iter().collect::<Multiset<_>>()
    );
    let turns = [true, false, false, true, true];
    let live = run_live(ConcatUpsertPipe, 1, &a, &b, &turns, &[0, 0, 20, 20, 0]);
    assert_eq!(live.view, batch, "streaming vs batch");
}
