use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
pub struct Order {
    #[pathflow(primary_key)]
    id: u64,
    customer: String,
    amount: f64,
    #[pathflow(event_time)]
    at: Timestamp,
}

#[derive(Schema, Clone, Debug)]
pub struct CustomerTotal {
    #[pathflow(primary_key)]
    customer: String,
    total: f64,
    orders: u64,
}

pipeline! {
    pub fn discounted(orders: Table<Order>) -> Table<Order> {
        orders.filter(discount > 0.0 && amount > 10.0)
    }
}

fn main() {}
