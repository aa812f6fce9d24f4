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

#[derive(Schema, Clone, Debug)]
pub struct Named {
    name: String,
    amount: f64,
}

pipeline! {
    // With `join_left`, an order may have no customer: `right.name` is an `Option<String>`.
    pub fn named(orders: Table<Order>, customers: Table<Customer>) -> Table<Named> {
        orders
            .join_left(customers, left.customer == right.id)
            .select(Named { name: right.name, amount: left.amount })
    }
}

fn main() {}
