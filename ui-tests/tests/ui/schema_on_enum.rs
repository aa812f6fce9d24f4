use pathflow::prelude::*;

#[derive(Schema, Clone, Debug)]
enum Event {
    Click { x: i32, y: i32 },
    Scroll { delta: f64 },
}

fn main() {}
