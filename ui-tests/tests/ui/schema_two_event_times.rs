use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
struct Shipment {
    id: u64,
    #[pathflow(event_time)]
    sent: Timestamp,
    #[pathflow(event_time)]
    received: Timestamp,
}

fn main() {}
