use pathflow::memory;
use pathflow::prelude::*;
use pathflow::Total;

type Out = (String, u64, Total<f64>);

fn totals<'s, M: Mode>(rows: Table<'s, (String, Total<f64>), M>) -> Table<'s, Out, M> {
    rows.group_by(|r| r.0.clone()).reduce(
        |r| (r.count(), r.sum(|row| row.1 .0)),
        |k, (n, s)| (k.clone(), n, Total(s)),
    )
}

fn input() -> Vec<(String, Total<f64>)> {
    vec![
        ("a".into(), Total(1.5)),
        ("b".into(), Total(2.0)),
        ("a".into(), Total(0.25)),
    ]
}

#[test]
fn batch_group_count_sum() {
    let (result, sink) = memory::snapshot::<Out>();
    let report = Runner::batch()
        .args(RunnerArgs {
            workers: 2,
            ..RunnerArgs::default()
        })
        .run(move |p| {
            let rows = p.read(memory::rows(input()));
            p.write(totals(rows), sink.clone());
        })
        .unwrap();
    assert_eq!(
        result.rows(),
        vec![("a".into(), 2, Total(1.75)), ("b".into(), 1, Total(2.0))]
    );
    assert_eq!(report.rows_in["memory"], 3);
}

#[test]
fn streaming_live_matches_batch() {
    let (view, sink) = memory::view::<Out>();
    let (input_handle, source) = memory::live();
    let runner = Runner::streaming().args(RunnerArgs {
        workers: 2,
        ..RunnerArgs::default()
    });
    let handle = std::thread::spawn(move || {
        runner.run(move |p| {
            let rows = p.read(source.clone());
            p.write(totals(rows), sink.clone());
        })
    });
    for row in input() {
        input_handle.insert(row);
        input_handle.commit();
    }
    input_handle.remove(("b".into(), Total(2.0)));
    input_handle.close();
    handle.join().unwrap().unwrap();
    assert_eq!(view.rows(), vec![("a".into(), 2, Total(1.75))]);
}
