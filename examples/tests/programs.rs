//! The example programs as a user runs them: exit codes, what they print, and a streaming
//! run stopped by SIGTERM that flushes and exits 0.

mod support;

use std::process::{Command, Output, Stdio};

use pathflow::prelude::*;
use pathflow_examples::{orders, wordcount};
use support::{drop_file, naive_totals, program, replay, wait_until, Running, PATIENCE};

fn run(name: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(program(name))
        .args(args)
        .env_remove("PATHFLOW_ON_ERROR")
        .env_remove("PATHFLOW_WORKERS")
        .output()
        .expect("start the example")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn wordcount_without_arguments_prints_the_sample_top_ten() {
    let output = run("wordcount", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let (top, _) = wordcount::top(wordcount::sample_data(), 10, Runner::batch()).unwrap();
    let mut expected = Vec::new();
    wordcount::print(&top, &mut expected).unwrap();
    assert_eq!(text(&output.stdout), text(&expected));
    assert!(
        text(&output.stderr).contains("read 489 rows"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn usage_errors_exit_with_two_and_say_what_is_wrong() {
    let output = run("wordcount", &[&"--streaming"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("--output"),
        "{}",
        text(&output.stderr)
    );
    let output = run("orders", &[&"--output", &"out.csv"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("--input"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_bad_row_under_fail_exits_one_naming_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders.csv");
    std::fs::write(
        &input,
        "id,customer,amount,at\n1,ann,1,2024-01-01T00:00:00Z\n2,bob,lots,2024-01-01T00:00:00Z\n",
    )
    .unwrap();
    let out = dir.path().join("totals.csv");
    let output = run(
        "orders",
        &[
            &"--input",
            &input,
            &"--output",
            &out,
            &"--on-error",
            &"fail",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr).trim_end(),
        format!(
            "error: bad input at {}:3: column `amount`: `lots` is not a number",
            input.display()
        )
    );
    let output = run("orders", &[&"--input", &input, &"--output", &out]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("skipped 1 bad input rows"), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:3", input.display())),
        "{stderr}"
    );
    let missing = run(
        "orders",
        &[&"--input", &dir.path().join("nope.csv"), &"--output", &out],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("does not exist"));
}

#[test]
fn streaming_runs_until_sigterm_then_flushes_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders");
    std::fs::create_dir(&input).unwrap();
    let changes = dir.path().join("changes.csv");
    let mut texts = vec!["id,customer,amount,at\n1,ann,2.5,2024-01-01T00:00:00Z\n".to_owned()];
    drop_file(&input.join("1.csv"), &texts[0]);
    let mut child = Running(
        Command::new(program("orders"))
            .args([
                "--streaming",
                "--commit-interval-ms",
                "20",
                "--workers",
                "2",
            ])
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(&changes)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the example"),
    );
    wait_until("the first file", PATIENCE, || {
        replay(&changes) == naive_totals(&texts)
    });
    texts.push(
        "id,customer,amount,at\n2,bob,4,2024-01-02T00:00:00Z\n1,ann,3,2024-01-02T00:00:00Z\n"
            .to_owned(),
    );
    drop_file(&input.join("2.csv"), &texts[1]);
    wait_until("the second file", PATIENCE, || {
        replay(&changes) == naive_totals(&texts)
    });

    let status = child.terminate();
    assert_eq!(status.code(), Some(0));
    assert_eq!(replay(&changes), naive_totals(&texts));
    assert_eq!(replay(&changes), vec!["ann,3.0,1", "bob,4.0,1"]);

    let snapshot = dir.path().join("totals.csv");
    orders::batch(&input, &snapshot, Runner::batch()).unwrap();
    assert_eq!(support::snapshot_lines(&snapshot), naive_totals(&texts));
}
