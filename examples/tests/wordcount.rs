//! The `wordcount` example, in-process: the bundled sample, batch output, streaming over
//! changing files ending where batch does, and bad input under both policies.

mod support;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use pathflow::prelude::*;
use pathflow_examples::wordcount;
use support::{
    error_log, naive_word_counts, replay, snapshot_lines, wait_until, Written, PATIENCE,
};

fn args(list: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    std::iter::once(OsString::from("wordcount"))
        .chain(list.iter().map(|a| a.as_ref().to_owned()))
        .collect()
}

#[test]
fn the_bundled_sample_top_ten_matches_a_naive_count() {
    let text = std::fs::read_to_string(wordcount::sample_data()).unwrap();
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for word in text.lines().skip(1) {
        *counts.entry(word).or_default() += 1;
    }
    let mut expected: Vec<(&str, u64)> = counts.into_iter().collect();
    expected.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    expected.truncate(10);

    let (top, report) = wordcount::top(wordcount::sample_data(), 10, Runner::batch()).unwrap();
    let got: Vec<(&str, u64)> = top.iter().map(|w| (w.word.as_str(), w.count)).collect();
    assert_eq!(got, expected);
    assert_eq!(report.input_errors, 0);

    let mut printed = Vec::new();
    wordcount::print(&top, &mut printed).unwrap();
    let printed = String::from_utf8(printed).unwrap();
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 11);
    assert_eq!(lines[0], "word,count");
    assert_eq!(lines[1], format!("{},{}", expected[0].0, expected[0].1));
}

#[test]
fn batch_over_a_directory_writes_every_word_with_its_count() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let texts = [
        "word,other\nsea,1\nship,2\nsea,3\n".to_owned(),
        "other,word\nx,whale\ny,sea\n".to_owned(),
    ];
    std::fs::write(input.join("1.csv"), &texts[0]).unwrap();
    std::fs::write(input.join("2.csv"), &texts[1]).unwrap();
    let output = dir.path().join("counts.csv");
    let code = wordcount::main(args(&[
        &"--input",
        &input,
        &"--output",
        &output,
        &"--workers",
        &"2",
    ]));
    assert_eq!(code, 0);
    let expected = naive_word_counts(&texts);
    assert_eq!(expected, vec!["sea,3", "ship,1", "whale,1"]);
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        format!("word,count\n{}\n", expected.join("\n"))
    );
}

#[test]
fn streaming_over_files_changing_one_at_a_time_ends_where_batch_does() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let changes = dir.path().join("changes.csv");
    let mut written = Written::default();
    let (a, b, c) = (
        input.join("a.csv"),
        input.join("b.csv"),
        input.join("c.csv"),
    );
    written.create(&a, "word\ncall\nme\n");

    let runner = Runner::streaming().args(RunnerArgs {
        workers: 2,
        commit_interval_ms: 20,
        ..RunnerArgs::default()
    });
    let shutdown = runner.shutdown_handle();
    let (run_input, run_changes) = (input.clone(), changes.clone());
    let run = std::thread::spawn(move || wordcount::streaming(&run_input, &run_changes, runner));
    let caught_up = |what: &str, written: &Written| {
        wait_until(what, PATIENCE, || {
            replay(&changes) == naive_word_counts(written.files())
        });
    };
    caught_up("the first file", &written);
    written.create(&b, "word\nishmael\ncall\n");
    caught_up("a second file", &written);
    written.create(&c, "word\nsea\n");
    caught_up("a third file", &written);
    written.append(&a, "me\nsome\nyea");
    caught_up("appended lines, one partial", &written);
    written.append(&a, "rs\n");
    caught_up("the partial line completed", &written);
    written.rewrite(&b, "word\nwhale\nwhale\n");
    caught_up("a file rewritten", &written);
    written.delete(&c);
    caught_up("a file deleted", &written);
    shutdown.shutdown();
    let report = run.join().unwrap().unwrap();
    assert_eq!(report.input_errors, 0);

    let snapshot = dir.path().join("counts.csv");
    wordcount::batch(&input, &snapshot, Runner::batch()).unwrap();
    assert_eq!(
        snapshot_lines(&snapshot),
        naive_word_counts(written.files())
    );
    assert_eq!(replay(&changes), naive_word_counts(written.files()));
}

fn malformed(dir: &Path) -> (PathBuf, Vec<(String, &'static str)>) {
    let input = dir.join("in");
    std::fs::create_dir(&input).unwrap();
    let good = input.join("good.csv");
    let mut bytes = b"word,n\nsea,1\nship,2\nbad,3,4\nsea,4\n".to_vec();
    bytes.extend_from_slice(b"\xffsea,5\nwhale,6\n");
    std::fs::write(&good, bytes).unwrap();
    let headless = input.join("no-word-column.csv");
    std::fs::write(&headless, "term\nsea\n").unwrap();
    let bad =
        vec![
        (format!("{}:4", good.display()), "expected 2 fields (as in the header), found 3"),
        (format!("{}:6", good.display()), "field 1 (column `word`) is not valid UTF-8"),
        (
            format!("{}:2", headless.display()),
            "column `word`: missing value for a required column (the header has no column `word`)",
        ),
    ];
    (input, bad)
}

#[test]
fn bad_rows_are_skipped_and_logged_or_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let (input, bad) = malformed(dir.path());
    let output = dir.path().join("counts.csv");
    let log = dir.path().join("errors.jsonl");
    let code = wordcount::main(args(&[
        &"--input",
        &input,
        &"--output",
        &output,
        &"--error-log",
        &log,
    ]));
    assert_eq!(code, 0);
    assert_eq!(snapshot_lines(&output), vec!["sea,2", "ship,1", "whale,1"]);
    let mut logged: Vec<(String, String)> = error_log(&log)
        .iter()
        .map(|e| {
            (
                e["position"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    logged.sort();
    let mut expected: Vec<(String, String)> = bad
        .iter()
        .map(|(p, r)| (p.clone(), (*r).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(logged, expected);

    let untouched = dir.path().join("untouched.csv");
    std::fs::write(&untouched, "previous\n").unwrap();
    let code = wordcount::main(args(&[
        &"--input",
        &input,
        &"--output",
        &untouched,
        &"--on-error",
        &"fail",
    ]));
    assert_eq!(code, 1);
    assert_eq!(std::fs::read_to_string(&untouched).unwrap(), "previous\n");
    let error = wordcount::batch(
        &input,
        &untouched,
        Runner::batch().args(RunnerArgs {
            on_error: pathflow::ErrorPolicy::Fail,
            ..RunnerArgs::default()
        }),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("bad input at {}: {}", bad[0].0, bad[0].1)
    );
}

#[test]
fn usage_errors_exit_with_two() {
    assert_eq!(wordcount::main(args(&[&"--streaming"])), 2);
    assert_eq!(wordcount::main(args(&[&"--no-such-flag"])), 2);
    assert_eq!(wordcount::main(args(&[&"--workers", &"0"])), 2);
    let missing = wordcount::main(args(&[
        &"--input",
        &"/no/such/input.csv",
        &"--output",
        &"/tmp/x.csv",
    ]));
    assert_eq!(missing, 1);
}
