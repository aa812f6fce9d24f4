//! `pipeline!` with every operator it lowers, run in batch and checked, and instantiated
//! for streaming.

use pathflow::memory;
use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
pub struct Order {
    #[pathflow(primary_key)]
    id: u64,
    customer: String,
    amount: f64,
    #[pathflow(event_time)]
    at: Timestamp,
}

#[derive(Schema, Clone, Debug)]
pub struct CustomerTotal {
    #[pathflow(primary_key)]
    customer: String,
    total: f64,
    orders: u64,
}

#[derive(Schema, Clone, Debug)]
pub struct Customer {
    #[pathflow(primary_key)]
    id: String,
    name: String,
    city: Option<String>,
}

#[derive(Schema, Clone, Debug)]
pub struct Enriched {
    name: String,
    amount: f64,
    city: Option<String>,
}

#[derive(Schema, Clone, Debug)]
pub struct Stats {
    customer: String,
    day: i64,
    n: u64,
    total: f64,
    mean: f64,
    low: f64,
    high: f64,
    biggest: u64,
    first: u64,
    last: u64,
    some: String,
    kinds: u64,
    ids: Vec<u64>,
    share: f64,
}

const DAY: i64 = 86_400_000;

pipeline! {
    /// Revenue per customer, over all orders with a positive amount.
    pub fn totals(orders: Table<Order>) -> Table<CustomerTotal> {
        orders
            .filter(amount > 0.0)
            .group_by(customer)
            .reduce(CustomerTotal { customer, total: sum(amount), orders: count() })
    }

    /// Orders with their customer's name and city.
    pub fn enrich(orders: Table<Order>, customers: Table<Customer>) -> Table<Enriched> {
        orders
            .join(customers, left.customer == right.id)
            .select(Enriched { name: right.name, amount: left.amount, city: right.city })
    }

    /// Every order, with its customer's name if there is one.
    pub fn names(orders: Table<Order>, customers: Table<Customer>) -> Table<(u64, Option<String>)> {
        orders.join_left(customers, right.id == left.customer).select((left.id, right.name))
    }

    /// Statistics per customer and day, over the orders of at least `threshold`: more
    /// reducers than one tuple holds.
    pub fn stats(orders: Table<Order>, threshold: f64) -> Table<Stats> {
        let kept = orders.filter(amount >= threshold);
        kept.group_by(customer, day = at.millis() / DAY).reduce(Stats {
            customer,
            day,
            n: count(),
            total: sum(amount),
            mean: avg(amount),
            low: min(amount),
            high: max(amount),
            biggest: argmax(amount, id),
            first: earliest(id),
            last: latest(id),
            some: any(customer),
            kinds: count_distinct(customer),
            ids: collect(id),
            share: sum(amount) / count() as f64,
        })
    }

    /// Every amount with a 10% discount.
    pub fn discounted(orders: Table<Order>) -> Table<Order> {
        orders.with_columns(Order { amount: amount * 0.9, .. })
    }

    /// The words of the customers' names, once per order.
    pub fn words(orders: Table<Order>) -> Table<String> {
        orders.flat_map(customer.split(' ').map(str::to_owned).collect::<Vec<_>>())
    }

    /// Each customer's latest order.
    pub fn latest_orders(orders: Table<Order>) -> Table<Order> {
        orders.deduplicate(customer, new.at > current.at)
    }

    /// How many orders there are, in one group holding the whole table.
    pub fn order_count(orders: Table<Order>) -> Table<u64> {
        orders.group_by(all = ()).reduce(count())
    }

    /// Labels, with columns inside a format string; the method API mixes in.
    pub fn labels(orders: Table<Order>) -> Table<String> {
        orders.filter(|o| o.amount > 0.0).map(format!("{customer}: {:.1}", amount))
    }
}

/// The same pipeline, in a streaming dataflow: it is generic over the mode.
#[allow(dead_code)]
fn streaming<'s>(orders: Table<'s, Order, Streaming>) -> Table<'s, CustomerTotal, Streaming> {
    totals(orders)
}

fn order(id: u64, customer: &str, amount: f64, at: i64) -> Order {
    Order { id, customer: customer.to_owned(), amount, at: Timestamp::from_millis(at) }
}

fn orders() -> Vec<Order> {
    vec![
        order(1, "ada", 10.0, 1_000),
        order(2, "ada", -5.0, 2_000),
        order(3, "bob", 7.5, 3_000),
        order(4, "ada", 2.5, DAY + 5),
    ]
}

fn customers() -> Vec<Customer> {
    vec![
        Customer { id: "ada".into(), name: "Ada Lovelace".into(), city: Some("London".into()) },
        Customer { id: "cy".into(), name: "Cy".into(), city: None },
    ]
}

/// Runs `build` in batch and returns the rows its output holds at the end.
fn run<T: Row>(
    build: impl for<'s> Fn(Table<'s, Order, Batch>, Table<'s, Customer, Batch>) -> Table<'s, T, Batch>
        + Send
        + Sync
        + 'static,
) -> Vec<T> {
    let (result, sink) = memory::snapshot::<T>();
    Runner::batch()
        .run(move |p| {
            let orders = p.read(memory::rows(orders()));
            let customers = p.read(memory::rows(customers()));
            p.write(build(orders, customers), sink.clone());
        })
        .unwrap();
    result.rows()
}

fn main() {
    let totals = run(|orders, _| totals(orders));
    assert_eq!(
        totals,
        [
            CustomerTotal { customer: "ada".into(), total: 12.5, orders: 2 },
            CustomerTotal { customer: "bob".into(), total: 7.5, orders: 1 },
        ]
    );

    let enriched = run(enrich);
    let amounts: Vec<f64> = enriched.iter().map(|e| e.amount).collect();
    assert_eq!(amounts, [-5.0, 2.5, 10.0]);
    assert!(enriched.iter().all(|e| e.name == "Ada Lovelace" && e.city.as_deref() == Some("London")));

    let named = run(names);
    assert_eq!(
        named,
        [
            (1, Some("Ada Lovelace".to_owned())),
            (2, Some("Ada Lovelace".to_owned())),
            (3, None),
            (4, Some("Ada Lovelace".to_owned())),
        ]
    );

    let stats = run(|orders, _| stats(orders, 0.0));
    assert_eq!(stats.len(), 3);
    let ada = &stats[0];
    assert_eq!((ada.customer.as_str(), ada.day, ada.n), ("ada", 0, 1));
    assert_eq!((ada.total, ada.mean, ada.low, ada.high, ada.share), (10.0, 10.0, 10.0, 10.0, 10.0));
    assert_eq!((ada.biggest, ada.first, ada.last, ada.kinds), (1, 1, 1, 1));
    assert_eq!((ada.some.as_str(), ada.ids.as_slice()), ("ada", &[1][..]));
    assert_eq!((stats[1].customer.as_str(), stats[1].day), ("ada", 1));
    assert_eq!(stats[2].customer, "bob");

    let discounted = run(|orders, _| discounted(orders));
    assert_eq!(discounted[0].amount, 9.0);
    assert_eq!(discounted[0].customer, "ada");

    let words = run(|orders, _| words(orders));
    assert_eq!(words, ["ada", "ada", "ada", "bob"]);

    let latest = run(|orders, _| latest_orders(orders));
    let ids: Vec<u64> = latest.iter().map(|o| o.id).collect();
    assert_eq!(ids, [3, 4]);

    assert_eq!(run(|orders, _| order_count(orders)), [4]);

    let labels = run(|orders, _| labels(orders));
    assert_eq!(labels, ["ada: 10.0", "ada: 2.5", "bob: 7.5"]);
}
