use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
struct Reading<T> {
    sensor: String,
    value: T,
}

fn main() {}
