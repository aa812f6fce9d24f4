//! Revenue per customer over orders, in batch or streaming.
//!
//! ```text
//! cargo run --release -p pathflow-examples --example orders -- --input examples/data/orders.csv --output totals.csv
//! cargo run --release -p pathflow-examples --example orders -- --input orders/ --output changes.csv --streaming
//! ```

fn main() {
    std::process::exit(pathflow_examples::orders::main(std::env::args_os()));
}
