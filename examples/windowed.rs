//! Count and sum per key and event-time window, in batch or streaming, with late-data
//! behavior: a cutoff for late events, a delay, kept or retracted results, and exactly-once
//! emission.
//!
//! ```text
//! cargo run --release -p pathflow-examples --example windowed -- \
//!     --input events.csv --output windows.csv --window tumbling:60000
//! cargo run --release -p pathflow-examples --example windowed -- \
//!     --input events/ --output changes.csv --window session:30000 --cutoff 60000 --emit final --streaming
//! ```

fn main() {
    std::process::exit(pathflow_examples::windowed::main(std::env::args_os()));
}
