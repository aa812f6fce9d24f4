//! The `orders` example, in-process: the bundled sample, streaming over changing files
//! ending where batch does, and every kind of bad row under both policies.

mod support;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use pathflow::prelude::*;
use pathflow::ErrorPolicy;
use pathflow_examples::orders;
use support::{error_log, naive_totals, replay, snapshot_lines, wait_until, Written, PATIENCE};

fn args(list: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    std::iter::once(OsString::from("orders"))
        .chain(list.iter().map(|a| a.as_ref().to_owned()))
        .collect()
}

#[test]
fn the_bundled_sample_gives_each_customers_revenue() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("totals.csv");
    let code = orders::main(args(&[
        &"--input",
        &orders::sample_data(),
        &"--output",
        &output,
        &"--workers",
        &"2",
    ]));
    assert_eq!(code, 0);
    let sample = std::fs::read_to_string(orders::sample_data()).unwrap();
    assert_eq!(snapshot_lines(&output), naive_totals([&sample]));
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "customer,total,orders\nann,135.75,2\nbob,109.99,2\ncyd,0.30000000000000004,2\n"
    );
}

const HEADER: &str = "id,customer,amount,at\n";

#[test]
fn streaming_over_files_changing_one_at_a_time_ends_where_batch_does() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders");
    std::fs::create_dir(&input).unwrap();
    let changes = dir.path().join("changes.csv");
    let files: Vec<PathBuf> = (1..=4).map(|i| input.join(format!("{i}.csv"))).collect();
    let mut written = Written::default();
    written.create(
        &files[0],
        &format!("{HEADER}1,ann,10.5,2024-01-01T00:00:00Z\n2,bob,3.25,2024-01-01T00:01:00Z\n"),
    );

    let runner = Runner::streaming().args(RunnerArgs {
        workers: 2,
        commit_interval_ms: 20,
        ..RunnerArgs::default()
    });
    let shutdown = runner.shutdown_handle();
    let (run_input, run_changes) = (input.clone(), changes.clone());
    let run = std::thread::spawn(move || orders::streaming(&run_input, &run_changes, runner));
    let caught_up = |what: &str, written: &Written| {
        wait_until(what, PATIENCE, || {
            replay(&changes) == naive_totals(written.files())
        });
    };
    caught_up("the first file", &written);
    written.create(
        &files[1],
        &format!("{HEADER}3,ann,-4,2024-01-02T00:00:00Z\n4,cyd,0.5,2024-01-02T00:00:00Z\n"),
    );
    caught_up("a second file, with a refund", &written);
    written.create(
        &files[2],
        &format!("{HEADER}2,bob,8,2024-01-03T00:00:00Z\n5,dee,1.75,2024-01-03T00:00:00Z\n"),
    );
    caught_up("a third file updating order 2", &written);
    written.append(
        &files[1],
        "6,cyd,2.25,2024-01-04T00:00:00Z\n7,ann,1,2024-01",
    );
    caught_up("appended orders, one partial", &written);
    written.append(&files[1], "-04T00:00:00Z\n");
    caught_up("the partial order completed", &written);
    written.rewrite(
        &files[0],
        &format!("{HEADER}1,ann,0.25,2024-01-05T00:00:00Z\n"),
    );
    caught_up("the first file rewritten", &written);
    written.create(
        &files[3],
        &format!("{HEADER}8,eve,5,2024-01-06T00:00:00Z\n"),
    );
    caught_up("a fourth file", &written);
    written.delete(&files[2]);
    caught_up("the third file deleted: order 2 is gone", &written);
    shutdown.shutdown();
    run.join().unwrap().unwrap();

    let snapshot = dir.path().join("totals.csv");
    orders::batch(&input, &snapshot, Runner::batch()).unwrap();
    assert_eq!(snapshot_lines(&snapshot), naive_totals(written.files()));
    assert_eq!(replay(&changes), naive_totals(written.files()));
}

/// Orders with every kind of bad row, and where each must be reported.
fn malformed(dir: &Path) -> (PathBuf, Vec<(String, String)>, Vec<String>) {
    let input = dir.join("orders");
    std::fs::create_dir(&input).unwrap();
    let mixed = input.join("a.csv");
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"1,ann,10,2024-01-01T00:00:00Z\n");
    bytes.extend_from_slice(b"2,bob,5\n");
    bytes.extend_from_slice(b"3,cyd,ten,2024-01-01T00:00:00Z\n");
    bytes.extend_from_slice(b"4,dee,1,2024-13-01T00:00:00Z\n");
    bytes.extend_from_slice(b"5,\xe9ve,1,2024-01-01T00:00:00Z\n");
    bytes.extend_from_slice(b"x6,fay,1,2024-01-01T00:00:00Z\n");
    bytes.extend_from_slice(b"7,ann,2.5,2024-01-01T00:00:00Z\n");
    std::fs::write(&mixed, bytes).unwrap();
    let no_amount = input.join("b.csv");
    std::fs::write(&no_amount, "id,customer,at\n8,gus,2024-01-01T00:00:00Z\n").unwrap();
    let good = input.join("c.csv");
    std::fs::write(&good, format!("{HEADER}9,bob,4,2024-01-02T00:00:00Z\n")).unwrap();
    let at = |path: &Path, line: u32| format!("{}:{line}", path.display());
    let bad = vec![
        (
            at(&mixed, 3),
            "expected 4 fields (as in the header), found 3".to_owned(),
        ),
        (
            at(&mixed, 4),
            "column `amount`: `ten` is not a number".to_owned(),
        ),
        (at(&mixed, 5), "column `at`: ".to_owned()),
        (
            at(&mixed, 6),
            "field 2 (column `customer`) is not valid UTF-8".to_owned(),
        ),
        (
            at(&mixed, 7),
            "column `id`: `x6` is not a valid u64".to_owned(),
        ),
        (
            at(&no_amount, 2),
            "column `amount`: missing value for a required column (the header has no column \
             `amount`)"
                .to_owned(),
        ),
    ];
    let totals = vec!["ann,12.5,2".to_owned(), "bob,4.0,1".to_owned()];
    (input, bad, totals)
}

#[test]
fn under_skip_every_bad_row_is_logged_and_every_good_one_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (input, bad, totals) = malformed(dir.path());
    let output = dir.path().join("totals.csv");
    let log = dir.path().join("errors.jsonl");
    let report = orders::batch(
        &input,
        &output,
        Runner::batch().args(RunnerArgs {
            workers: 2,
            error_log: Some(log.clone()),
            ..RunnerArgs::default()
        }),
    )
    .unwrap();
    assert_eq!(snapshot_lines(&output), totals);
    assert_eq!(report.input_errors, bad.len() as u64);
    assert!(report.to_string().contains("skipped 6 bad input rows"));
    let mut logged: Vec<(String, String)> = error_log(&log)
        .iter()
        .map(|e| {
            let position = e["position"].as_str().unwrap().to_owned();
            (position, e["reason"].as_str().unwrap().to_owned())
        })
        .collect();
    logged.sort();
    assert_eq!(logged.len(), bad.len());
    for ((position, reason), (expected_position, expected_reason)) in logged.iter().zip(&bad) {
        assert_eq!(position, expected_position);
        assert!(reason.starts_with(expected_reason), "{reason}");
    }
    let code = orders::main(args(&[&"--input", &input, &"--output", &output]));
    assert_eq!(code, 0);
}

#[test]
fn under_fail_the_first_bad_row_stops_the_run_with_exit_code_one() {
    let dir = tempfile::tempdir().unwrap();
    let (input, bad, _) = malformed(dir.path());
    let output = dir.path().join("totals.csv");
    let error = orders::batch(
        &input,
        &output,
        Runner::batch().args(RunnerArgs {
            on_error: ErrorPolicy::Fail,
            ..RunnerArgs::default()
        }),
    )
    .unwrap_err();
    assert_eq!(error.exit_code(), 1);
    assert_eq!(
        error.to_string(),
        format!("bad input at {}: {}", bad[0].0, bad[0].1)
    );
    assert!(!output.exists(), "a failed run writes no snapshot");
    let code = orders::main(args(&[
        &"--input",
        &input,
        &"--output",
        &output,
        &"--on-error",
        &"fail",
    ]));
    assert_eq!(code, 1);
}

#[test]
fn usage_errors_exit_with_two() {
    assert_eq!(orders::main(args(&[&"--output", &"x.csv"])), 2);
    assert_eq!(orders::main(args(&[&"--input", &"x.csv"])), 2);
    assert_eq!(
        orders::main(args(&[
            &"--input",
            &"x",
            &"--output",
            &"y",
            &"--on-error",
            &"maybe"
        ])),
        2
    );
}
