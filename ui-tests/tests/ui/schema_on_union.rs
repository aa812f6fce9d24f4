use pathflow::prelude::*;

#[derive(Schema, Clone, Copy)]
union Bits {
    int: u64,
    float: f64,
}

fn main() {}
