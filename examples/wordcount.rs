//! Counts the words of a CSV column or a Kafka topic, in batch or streaming.
//!
//! ```text
//! cargo run --release -p pathflow-examples --example wordcount
//! cargo run --release -p pathflow-examples --example wordcount -- --input words/ --output counts.csv
//! cargo run --release -p pathflow-examples --example wordcount -- --input words/ --output changes.csv --streaming
//! cargo run --release -p pathflow-examples --features kafka --example wordcount -- \
//!     --kafka-brokers localhost:9092 --topic words --output-topic counts --streaming
//! cargo run --release -p pathflow-examples --features kafka --example wordcount -- \
//!     --kafka-brokers localhost:9092 --topic words --output counts.csv
//! ```

fn main() {
    std::process::exit(pathflow_examples::wordcount::main(std::env::args_os()));
}
