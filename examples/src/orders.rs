//! Orders: revenue per customer over the orders with a positive amount.
//!
//! Orders are upserted by `id` (a later row for an id replaces the earlier one). Batch
//! writes `customer,total,orders`; streaming follows the input and writes the change
//! stream `customer,total,orders,time,diff` until SIGINT or SIGTERM.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::Parser;
use pathflow::prelude::*;
use pathflow::{Result, RunReport};
use pathflow_connectors::{fs, Format};

use crate::cli;

/// An order, as read from `id,customer,amount,at`.
#[derive(Schema, Clone, Debug)]
pub struct Order {
    /// The order's id: a later row with the same id replaces the order.
    #[pathflow(primary_key)]
    pub id: u64,
    /// Who placed it.
    pub customer: String,
    /// Its amount; refunds are negative.
    pub amount: f64,
    /// When it was placed (RFC 3339, or integer milliseconds).
    #[pathflow(event_time)]
    pub at: Timestamp,
}

/// A customer's revenue.
#[derive(Schema, Clone, Debug)]
pub struct CustomerTotal {
    /// The customer.
    #[pathflow(primary_key)]
    pub customer: String,
    /// The sum of the customer's positive amounts (exact, rounded once).
    pub total: f64,
    /// How many orders with a positive amount.
    pub orders: u64,
}

pipeline! {
    /// Revenue per customer, over all orders with a positive amount.
    pub fn totals(orders: Table<Order>) -> Table<CustomerTotal> {
        orders
            .filter(amount > 0.0)
            .group_by(customer)
            .reduce(CustomerTotal { customer, total: sum(amount), orders: count() })
    }
}

/// The flags of the `orders` example.
#[derive(Parser, Debug)]
#[command(
    name = "orders",
    about = "Revenue per customer: batch writes customer,total,orders; --streaming follows \
             the input and writes the changes until SIGINT or SIGTERM"
)]
pub struct Args {
    /// A CSV file, or a directory of CSV files, with the columns id,customer,amount,at.
    #[arg(long, value_name = "PATH")]
    pub input: PathBuf,
    /// Where to write `customer,total,orders` (streaming: plus `time,diff`).
    #[arg(long, value_name = "PATH")]
    pub output: PathBuf,
    /// Follows the input until SIGINT or SIGTERM, writing every change.
    #[arg(long)]
    pub streaming: bool,
    /// How the run goes: workers, epochs, bad input.
    #[command(flatten)]
    pub runner: RunnerArgs,
}

/// The bundled sample orders.
pub fn sample_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/orders.csv")
}

/// Reads the orders of `input` and writes the totals to `output`, sorted by customer.
pub fn batch(input: &Path, output: &Path, runner: Runner<Batch>) -> Result<RunReport> {
    let (input, output) = (input.to_owned(), output.to_owned());
    runner.run(move |p| {
        let orders = p.read(fs::source::<Order>(&input, Format::csv()));
        p.write(totals(orders), fs::snapshot(&output, Format::csv()));
    })
}

/// Follows `input` and writes the totals' changes to `output` until the run is stopped.
pub fn streaming(input: &Path, output: &Path, runner: Runner<Streaming>) -> Result<RunReport> {
    let (input, output) = (input.to_owned(), output.to_owned());
    runner.run(move |p| {
        let orders = p.read(fs::source::<Order>(&input, Format::csv()));
        p.write(totals(orders), fs::changes(&output, Format::csv()));
    })
}

/// The `orders` program: parses `args` (the program name first) and returns the exit code:
/// 0 done, 1 a data or runtime error, 2 a usage error.
pub fn main(args: impl IntoIterator<Item = OsString>) -> i32 {
    let args: Args = match cli::parse(args) {
        Ok(args) => args,
        Err(code) => return code,
    };
    let outcome = if args.streaming {
        streaming(
            &args.input,
            &args.output,
            Runner::streaming().args(args.runner),
        )
    } else {
        batch(&args.input, &args.output, Runner::batch().args(args.runner))
    };
    cli::finish(outcome)
}
