use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
struct Order {
    #[pathflow(primary_key)]
    #[pathflow(primary_key)]
    id: u64,
    #[pathflow(rename = "total", rename = "amount_total")]
    amount: f64,
}

fn main() {}
