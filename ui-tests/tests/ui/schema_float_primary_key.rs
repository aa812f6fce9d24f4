use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
struct Reading {
    #[pathflow(primary_key)]
    sensor: String,
    #[pathflow(primary_key)]
    position: f64,
    value: f64,
}

fn main() {}
