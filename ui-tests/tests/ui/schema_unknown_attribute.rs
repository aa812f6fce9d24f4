use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
struct Order {
    #[pathflow(primary)]
    id: u64,
    #[pathflow(skip)]
    amount: f64,
}

fn main() {}
