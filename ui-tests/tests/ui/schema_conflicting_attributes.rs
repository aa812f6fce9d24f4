use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
struct Order {
    #[pathflow(primary_key, default)]
    id: u64,
    amount: f64,
}

fn main() {}
