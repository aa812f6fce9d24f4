//! Counts the words of a CSV column, in batch or streaming.
//!
//! ```text
//! cargo run --release -p pathflow-examples --example wordcount
//! cargo run --release -p pathflow-examples --example wordcount -- --input words/ --output counts.csv
//! cargo run --release -p pathflow-examples --example wordcount -- --input words/ --output changes.csv --streaming
//! ```

fn main() {
    std::process::exit(pathflow_examples::wordcount::main(std::env::args_os()));
}
