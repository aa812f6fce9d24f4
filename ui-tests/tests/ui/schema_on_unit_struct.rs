use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
struct Marker;

fn main() {}
