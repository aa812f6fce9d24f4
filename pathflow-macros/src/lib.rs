//! Procedural macros for pathflow: `#[derive(Schema)]` and `pipeline!`.
//!
//! Use them through `pathflow` (`use pathflow::prelude::*;`), not from this crate: the code
//! they generate names the runtime as `::pathflow::__private`.
//!
//! Each macro is parsed, checked, then expanded. Every error is collected with the span of the
//! token that causes it and reported together; where an error is reported, the expansion
//! puts something that causes no further errors, so one mistake is one message.

mod ast;
mod check;
mod errors;
mod expand;
mod pipeline;

use proc_macro::TokenStream;

/// Makes a struct a row type: its columns, its key, its event time, and what differential
/// dataflow needs.
///
/// Derive it on a struct with named fields, next to your own `Clone` and `Debug`:
///
/// ```
/// use pathflow::prelude::*;
///
/// #[derive(Schema, Clone, Debug)]
/// struct Address {
///     city: String,
///     zip: Option<String>,
/// }
///
/// #[derive(Schema, Clone, Debug)]
/// struct Order {
///     #[pathflow(primary_key)]
///     id: u64,
///     customer: String,
///     amount: f64,
///     #[pathflow(event_time)]
///     at: Timestamp,
///     #[pathflow(default)]
///     tags: Vec<String>,
///     #[pathflow(rename = "ship_to")]
///     address: Address,
/// }
///
/// let names: Vec<String> = Order::columns().into_iter().map(|c| c.name).collect();
/// assert_eq!(
///     names,
///     ["id", "customer", "amount", "at", "tags", "ship_to.city", "ship_to.zip"]
/// );
/// ```
///
/// # What it implements
///
/// - `pathflow::Schema`: the primary key (`type Key`), the event-time column, and
///   `columns()`.
/// - `pathflow::schema::Field`: the CSV and JSON codec, so the struct
///   can also be a column of another schema (its columns are then `outer.inner` in CSV and a
///   nested object in JSON).
/// - `TotalOrd`, and `PartialEq`, `Eq`, `PartialOrd`, `Ord` and `Hash` through it: field by
///   field in declaration order, with floats ordered by IEEE 754 `totalOrder` (so `NaN`
///   equals itself and every row can be sorted and grouped).
/// - `serde::Serialize` and `serde::Deserialize`, which carry rows between workers.
///
/// Do not derive those traits yourself as well; the compiler would report conflicting
/// implementations.
///
/// # Field attributes
///
/// | attribute | meaning |
/// |---|---|
/// | `#[pathflow(primary_key)]` | the field is the row's key (on several fields, the key is the tuple of them in declaration order). Rows read from a source are upserted by key. The key's types must be `Ord`, so not floats. |
/// | `#[pathflow(event_time)]` | the field is the row's event time, used by windows and late-data handling. At most one field, of type `pathflow::Timestamp` (written as `Timestamp`; a type alias is not recognised). |
/// | `#[pathflow(rename = "col")]` | the column's name in files (default: the field's name). No `.`, which separates nested columns. |
/// | `#[pathflow(default)]` | a missing value (absent or blank cell, absent key or `null` in JSON) is `Default::default()`. Not with `primary_key` or `event_time`. |
///
/// Several keys can share one attribute: `#[pathflow(primary_key, rename = "order_id")]`.
/// A field that is neither `Option<T>` nor `default` is required: a row without it is
/// reported as an input error, with its column.
///
/// # Column types
///
/// Integers, `f32`, `f64`, `bool`, `String`, `pathflow::Timestamp`, `pathflow::Duration`,
/// `Option<T>` (may be missing), `Vec<T>` (a JSON array; in a CSV cell, its JSON text), and
/// structs that derive `Schema`.
///
/// # Not supported
///
/// Enums, tuple structs, unit structs, unions and generic structs are rejected with a message
/// saying what to write instead.
#[proc_macro_derive(Schema, attributes(pathflow))]
pub fn derive_schema(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}

/// Declares pipeline functions with columns written by name, generic over the mode.
///
/// ```
/// use pathflow::memory;
/// use pathflow::prelude::*;
///
/// #[derive(Schema, Clone, Debug)]
/// pub struct Order {
///     #[pathflow(primary_key)]
///     id: u64,
///     customer: String,
///     amount: f64,
/// }
///
/// #[derive(Schema, Clone, Debug)]
/// pub struct CustomerTotal {
///     #[pathflow(primary_key)]
///     customer: String,
///     total: f64,
///     orders: u64,
/// }
///
/// pipeline! {
///     /// Revenue per customer, over all orders with a positive amount.
///     pub fn totals(orders: Table<Order>) -> Table<CustomerTotal> {
///         orders
///             .filter(amount > 0.0)
///             .group_by(customer)
///             .reduce(CustomerTotal { customer, total: sum(amount), orders: count() })
///     }
/// }
///
/// let (result, sink) = memory::snapshot();
/// Runner::batch().run(move |p| {
///     let orders = p.read(memory::rows(vec![
///         Order { id: 1, customer: "ada".into(), amount: 10.0 },
///         Order { id: 2, customer: "ada".into(), amount: -5.0 },
///         Order { id: 3, customer: "bob".into(), amount: 7.5 },
///     ]));
///     p.write(totals(orders), sink.clone());
/// })?;
/// assert_eq!(
///     result.rows(),
///     [
///         CustomerTotal { customer: "ada".into(), total: 10.0, orders: 1 },
///         CustomerTotal { customer: "bob".into(), total: 7.5, orders: 1 },
///     ]
/// );
/// # Ok::<(), pathflow::Error>(())
/// ```
///
/// # The signature
///
/// `Table<Row>` anywhere in a pipeline function (parameters, result, `let` annotations)
/// becomes `Table<'s, Row, M>`, and the function gets the generic parameters
/// `<'s, M: Mode>`. The `totals` above is exactly
/// `pub fn totals<'s, M: Mode>(orders: Table<'s, Order, M>) -> Table<'s, CustomerTotal, M>`,
/// so the same function runs in `Runner::batch()` and `Runner::streaming()`. Other
/// parameters (a threshold, a name) are passed through as written.
///
/// # Columns by name
///
/// In the arguments of the operators below, a bare lowercase name is a column of the current
/// row: `amount > 0.0` is the closure `|row| row.amount > 0.0`. A name that is bound locally
/// (a parameter of the function, a `let`, a closure parameter, a `match` binding) keeps its
/// meaning, and so do paths (`consts::LIMIT`), `CONSTANTS` and `Variants`. A column that is
/// only read (compared, a method receiver, formatted) is used in place; one that is moved
/// into an output is cloned. A typo is the compiler's own error at your token:
/// ``no field `amout` on type `&Order` ``. Format strings may name columns inline:
/// `format!("{customer}: {amount}")`. The closures are `move` (the core needs them
/// `'static`): a parameter used in them is moved in, so clone a `String` parameter before
/// using it in two operators.
///
/// | operator | lowers to |
/// |---|---|
/// | `filter(cond)` | `filter(\|row\| cond)` |
/// | `map(expr)`, `select(expr)` | `map(\|row\| expr)`, usually a struct literal `Out { customer, total: amount * 1.2 }` (`customer` alone is `customer: customer`) |
/// | `with_columns(Row { col: expr, .. })` | `map(\|row\| Row { col: expr, ..row.clone() })`: changes some columns and keeps the rest; the struct must be the row's own type (to build another type, `select` it) |
/// | `flat_map(expr)` | `flat_map(\|row\| expr)`, `expr` being any `IntoIterator` |
/// | `group_by(a, b, name = expr)` | `group_by(\|row\| (a, b, expr))`; one column is the key itself, several a tuple |
/// | `.reduce(Out { a, x: sum(col), n: count() })` | `reduce(\|r\| (r.sum(\|row\| row.col), r.count()), \|key, (x, n)\| Out { a: key.0, x, n })` |
/// | `join(other, left.a == right.b && ..)` | `join(other, \|l\| l.a, \|r\| r.b)` |
/// | `.select(Out { x: left.a, y: right.b })` after a join | `inner(\|l, r\| Out { x: l.a, y: r.b })` |
/// | `join_left`, `join_right`, `join_outer` + `.select(..)` | `left`, `right`, `outer`: the side that may be missing gives `Option`s, so `right.name` is an `Option<String>` in a `join_left` |
/// | `deduplicate(key, new.at > current.at)` | `deduplicate(\|row\| key, \|new, current\| new.at > current.at)`: per key, a new row replaces the kept one when the condition holds |
///
/// An operator called with closures is left as written, so the method API mixes in freely:
/// `orders.filter(|o| o.amount > 0.0).map(id)`.
///
/// # Reducers
///
/// In `reduce(..)`, a name given to `group_by` reads the group's key, and these calls
/// aggregate the group's rows; they can be combined with ordinary expressions
/// (`sum(amount) / count() as f64`):
///
/// | reducer | result |
/// |---|---|
/// | `count()` | the number of rows, `u64` |
/// | `sum(x)` | the exact sum (integers, floats, `Duration`) |
/// | `avg(x)` | the mean, `f64` |
/// | `min(x)`, `max(x)` | the smallest, largest value |
/// | `argmin(by, value)`, `argmax(by, value)` | `value` of the row with the smallest, largest `by` |
/// | `any(x)` | one of the values, the same on every run |
/// | `earliest(x)`, `latest(x)` | the value of the first, last row by input position |
/// | `count_distinct(x)` | the number of distinct values, `u64` |
/// | `collect(x)` | every value, sorted, in a `Vec` |
///
/// A column that is neither grouped nor inside a reducer is an error that says so, and so is
/// an unknown reducer. To aggregate a whole table, group by a constant:
/// `.group_by(all = ()).reduce(count())`.
#[proc_macro]
pub fn pipeline(input: TokenStream) -> TokenStream {
    pipeline::expand(input.into()).into()
}
