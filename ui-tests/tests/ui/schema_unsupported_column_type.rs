use std::collections::HashMap;

use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
struct Order {
    id: u64,
    attributes: HashMap<String, String>,
}

fn main() {}
