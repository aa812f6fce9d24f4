use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
struct Point(f64, f64);

fn main() {}
