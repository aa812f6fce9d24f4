use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
struct Order {
    id: u64,
    #[pathflow(rename = "id")]
    order_id: u64,
}

fn main() {}
