use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
struct Click {
    user: String,
    #[pathflow(event_time)]
    at: i64,
}

fn main() {}
