use pathflow::memory;
use pathflow::prelude::*;

fn main() {
    let (_result, sink) = memory::snapshot::<i64>();
    let _ = Runner::streaming().run(move |p| {
        let numbers = p.read(memory::rows(vec![1_i64, 2, 3]));
        p.write(numbers, sink.clone());
    });
}
