use pathflow::memory;
use pathflow::prelude::*;

fn main() {
    let (_input, source) = memory::live::<i64>();
    let (_result, sink) = memory::snapshot::<i64>();
    let _ = Runner::batch().run(move |p| {
        let numbers = p.read(source.clone());
        p.write(numbers, sink.clone());
    });
}
