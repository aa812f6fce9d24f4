use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
pub struct Order {
    id: u64,
    customer: String,
    amount: f64,
}

#[derive(Schema, Clone, Debug)]
pub struct Customer {
    #[pathflow(primary_key)]
    id: String,
    name: String,
}

pipeline! {
    pub fn named(orders: Table<Order>, customers: Table<Customer>) -> Table<(String, u64)> {
        orders
            .join(customers, left.customer >= right.id && left.id == left.amount as u64)
            .select((right.name, left.id))
    }
}

fn main() {}
