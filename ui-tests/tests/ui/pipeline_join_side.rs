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
    pub fn named(orders: Table<Order>, customers: Table<Customer>) -> Table<Named> {
        orders
            .join(customers, left.customer == right.id)
            .select(Named { name, amount: left.amount })
    }
}

fn main() {}
