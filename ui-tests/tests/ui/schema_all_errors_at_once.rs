use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
struct Order {
    #[pathflow(primary_key, primay_key)]
    id: u64,
    #[pathflow(rename = "")]
    customer: String,
    #[pathflow(event_time, default)]
    at: Timestamp,
    #[pathflow(event_time)]
    shipped: Option<Timestamp>,
}

fn main() {}
