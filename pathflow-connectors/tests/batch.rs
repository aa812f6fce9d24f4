//! Batch runs over files: inputs (file, directory, glob), splitting across workers, upsert,
//! bad input under both policies, clear errors, and the two file sinks.

mod files;

use std::path::{Path, PathBuf};

use files::{by_id, count_words, error_log, naive_counts, order, Order, Word, WordCount};
use pathflow::memory;
use pathflow::prelude::*;
use pathflow::{Error, ErrorPolicy, RunReport};
use pathflow_connectors::{fs, CsvOptions, Format};

fn args(workers: u32) -> RunnerArgs {
    RunnerArgs {
        workers,
        ..RunnerArgs::default()
    }
}

/// Counts the words of `source` in a batch run.
fn batch_counts(
    source: fs::FileSource<Word>,
    args: RunnerArgs,
) -> pathflow::Result<(Vec<WordCount>, RunReport)> {
    let (result, sink) = memory::snapshot::<WordCount>();
    let report = Runner::batch().args(args).run(move |p| {
        let words = p.read(source.clone());
        p.write(count_words(words), sink.clone());
    })?;
    Ok((result.rows(), report))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn reads_a_file_a_directory_and_a_glob_skipping_hidden_backup_and_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.csv", "word\napple\nbanana\napple\n");
    write(dir.path(), "b.csv", "word\ncherry\napple\n");
    write(dir.path(), "sub/c.csv", "word\nbanana\n");
    write(dir.path(), ".hidden.csv", "word\nhidden\n");
    write(dir.path(), ".git/d.csv", "word\nhidden\n");
    write(dir.path(), "e.csv~", "word\nbackup\n");
    write(dir.path(), "f.tmp", "word\ntemporary\n");

    let (one, report) = batch_counts(fs::source(&a, Format::csv()), args(1)).unwrap();
    assert_eq!(one, naive_counts(["apple", "banana", "apple"]));
    assert_eq!(report.rows_in[&a.display().to_string()], 3);

    let (all, _) = batch_counts(fs::source(dir.path(), Format::csv()), args(2)).unwrap();
    assert_eq!(
        all,
        naive_counts(["apple", "banana", "apple", "cherry", "apple", "banana"])
    );

    let pattern = format!("{}/*.csv", dir.path().display());
    let (globbed, _) = batch_counts(fs::source(pattern, Format::csv()), args(2)).unwrap();
    assert_eq!(
        globbed,
        naive_counts(["apple", "banana", "apple", "cherry", "apple"])
    );
}

/// Lines for the splitting test: words, some of them bad, in three formats.
fn generated(format: &Format, rows: usize) -> (String, Vec<String>, Vec<usize>) {
    let mut text = String::new();
    let mut good = Vec::new();
    let mut bad_lines = Vec::new();
    let mut line = 1;
    if let Format::Csv(_) = format {
        text.push_str("word,n\n");
        line += 1;
    }
    for i in 0..rows {
        let word = format!("w{}", (i * 7919) % 613);
        let bad = i % 97 == 5;
        let record = match (format, bad) {
            (Format::Csv(_), false) => format!("{word},{i}\n"),
            (Format::Csv(_), true) => format!("{word},{i},extra\n"),
            (Format::JsonLines, false) => format!("{{\"word\":\"{word}\",\"n\":{i}}}\n"),
            (Format::JsonLines, true) => format!("{{\"word\":{i}.5]\n"),
            (Format::Text, _) => format!("{word}\n"),
        };
        if bad && !matches!(format, Format::Text) {
            bad_lines.push(line);
        } else {
            good.push(word);
        }
        text.push_str(&record);
        line += 1;
    }
    (text, good, bad_lines)
}

#[test]
fn workers_and_byte_ranges_change_nothing_not_even_error_positions() {
    let formats = [
        (
            "csv",
            Format::Csv(CsvOptions::default().quoted_newlines(false)),
        ),
        ("jsonl", Format::JsonLines),
        ("txt", Format::Text),
    ];
    for (extension, format) in formats {
        let dir = tempfile::tempdir().unwrap();
        let mut expected_words = Vec::new();
        let mut expected_errors = Vec::new();
        for (file, rows) in [("a", 3000), ("b", 10), ("c", 2500)] {
            let (text, good, bad) = generated(&format, rows);
            let path = write(dir.path(), &format!("{file}.{extension}"), &text);
            expected_words.extend(good);
            expected_errors.extend(bad.into_iter().map(|l| format!("{}:{l}", path.display())));
        }
        expected_errors.sort();
        let expected = naive_counts(expected_words.iter().map(String::as_str));
        for workers in [1, 3] {
            let log = dir.path().join(format!(".errors-{workers}.jsonl"));
            let source = fs::source(dir.path(), format.clone()).split_bytes(997);
            let run_args = RunnerArgs {
                error_log: Some(log.clone()),
                ..args(workers)
            };
            let (counts, report) = batch_counts(source, run_args).unwrap();
            assert_eq!(counts, expected, "{extension} on {workers} workers");
            let mut positions: Vec<String> = error_log(&log)
                .iter()
                .map(|e| e["position"].as_str().unwrap().to_owned())
                .collect();
            positions.sort();
            assert_eq!(
                positions, expected_errors,
                "{extension} on {workers} workers"
            );
            assert_eq!(report.input_errors, expected_errors.len() as u64);
        }
    }
}

#[test]
fn rows_with_a_primary_key_are_upserted_files_counting_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "1.csv",
        "id,customer,amount,at\n1,ann,10,2024-01-01T00:00:00Z\n2,bob,5,2024-01-01T00:00:01Z\n1,ann,11,2024-01-01T00:00:02Z\n",
    );
    write(
        dir.path(),
        "2.csv",
        "id,customer,amount,at\n2,bob,6.5,2024-01-02T00:00:00Z\n3,cy,1,2024-01-02T00:00:00Z\n",
    );
    let expected = by_id(vec![
        order(1, "ann", 11.0, "2024-01-01T00:00:02Z"),
        order(2, "bob", 6.5, "2024-01-02T00:00:00Z"),
        order(3, "cy", 1.0, "2024-01-02T00:00:00Z"),
    ]);
    for workers in [1, 2] {
        let (result, sink) = memory::snapshot::<Order>();
        let pattern = format!("{}/*.csv", dir.path().display());
        Runner::batch()
            .args(args(workers))
            .run(move |p| {
                let orders = p.read(fs::source::<Order>(&pattern, Format::csv()));
                p.write(orders, sink.clone());
            })
            .unwrap();
        assert_eq!(by_id(result.rows()), expected, "{workers} workers");
    }
}

/// A CSV file with every kind of bad row between good ones, and what a run must report.
fn malformed_orders(dir: &Path) -> (PathBuf, Vec<(u64, &'static str)>) {
    let mut text = b"id,customer,amount,at\n".to_vec();
    text.extend_from_slice(b"1,ann,10.5,2024-01-01T00:00:00Z\n");
    text.extend_from_slice(b"2,bob,7\n");
    text.extend_from_slice(b"3,cy,lots,2024-01-01T00:00:00Z\n");
    text.extend_from_slice(b"4,dee,1,last tuesday\n");
    text.extend_from_slice(b"5,\xffed,1,2024-01-01T00:00:00Z\n");
    text.extend_from_slice(b"six,eve,1,2024-01-01T00:00:00Z\n");
    text.extend_from_slice(b"7,fay,-2,2024-01-02T00:00:00Z\n");
    let path = dir.join("orders.csv");
    std::fs::write(&path, text).unwrap();
    let bad = vec![
        (3, "expected 4 fields (as in the header), found 3"),
        (4, "column `amount`: `lots` is not a number"),
        (5, "column `at`:"),
        (6, "field 2 (column `customer`) is not valid UTF-8"),
        (7, "column `id`: `six` is not a valid u64"),
    ];
    (path, bad)
}

#[test]
fn bad_rows_are_logged_and_counted_under_skip_and_every_good_row_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bad) = malformed_orders(dir.path());
    let log = dir.path().join("errors.jsonl");
    let (result, sink) = memory::snapshot::<Order>();
    let source_path = path.clone();
    let report = Runner::batch()
        .args(RunnerArgs {
            error_log: Some(log.clone()),
            ..args(2)
        })
        .run(move |p| {
            let orders = p.read(fs::source::<Order>(&source_path, Format::csv()));
            p.write(orders, sink.clone());
        })
        .unwrap();
    assert_eq!(
        by_id(result.rows()),
        by_id(vec![
            order(1, "ann", 10.5, "2024-01-01T00:00:00Z"),
            order(7, "fay", -2.0, "2024-01-02T00:00:00Z"),
        ])
    );
    assert_eq!(report.input_errors, bad.len() as u64);
    let summary = report.to_string();
    assert!(summary.contains("skipped 5 bad input rows"), "{summary}");
    let logged = error_log(&log);
    assert_eq!(logged.len(), bad.len());
    for (entry, (line, reason)) in logged.iter().zip(&bad) {
        assert_eq!(entry["source"], path.display().to_string());
        assert_eq!(entry["position"], format!("{}:{line}", path.display()));
        let logged_reason = entry["reason"].as_str().unwrap();
        assert!(
            logged_reason.starts_with(reason),
            "{logged_reason} vs {reason}"
        );
    }
    assert_eq!(logged[0]["raw"], "2,bob,7");
    assert_eq!(logged[3]["raw"], "5,\u{fffd}ed,1,2024-01-01T00:00:00Z");
}

#[test]
fn the_first_bad_row_stops_the_run_under_fail_naming_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = malformed_orders(dir.path());
    let (_, sink) = memory::snapshot::<Order>();
    let source_path = path.clone();
    let error = Runner::batch()
        .args(RunnerArgs {
            on_error: ErrorPolicy::Fail,
            ..args(1)
        })
        .run(move |p| {
            let orders = p.read(fs::source::<Order>(&source_path, Format::csv()));
            p.write(orders, sink.clone());
        })
        .unwrap_err();
    assert_eq!(error.exit_code(), 1);
    assert_eq!(
        error.to_string(),
        format!(
            "bad input at {}:3: expected 4 fields (as in the header), found 3",
            path.display()
        )
    );
}

fn run_error(source: fs::FileSource<Word>) -> Error {
    batch_counts(source, args(1)).unwrap_err()
}

#[test]
fn a_missing_input_or_a_pattern_matching_nothing_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    let error = run_error(fs::source(&missing, Format::csv()));
    assert_eq!(error.exit_code(), 1);
    let message = error.to_string();
    assert!(message.contains("does not exist"), "{message}");
    assert!(
        message.contains(&missing.display().to_string()),
        "{message}"
    );

    let error = run_error(fs::source(
        format!("{}/*.csv", dir.path().display()),
        Format::csv(),
    ));
    assert!(error.to_string().contains("no file matches"), "{error}");

    let error = run_error(fs::source("/no/such/dir/*.csv", Format::csv()));
    assert!(error.to_string().contains("does not exist"), "{error}");
}

#[test]
fn snapshot_writes_the_final_table_sorted_by_key_replacing_the_file_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in/words.csv",
        "word\npear\napple\n\"a, b\"\npear\n",
    );
    let output = write(dir.path(), "out/counts.csv", "stale content\n");
    let json = dir.path().join("out/counts.jsonl");
    let (csv_out, json_out) = (output.clone(), json.clone());
    Runner::batch()
        .args(args(2))
        .run(move |p| {
            let counts = count_words(p.read(fs::source::<Word>(&input, Format::csv())));
            p.write(counts.clone(), fs::snapshot(&csv_out, Format::csv()));
            p.write(counts, fs::snapshot(&json_out, Format::JsonLines));
        })
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "word,count\n\"a, b\",1\napple,1\npear,2\n"
    );
    assert_eq!(
        std::fs::read_to_string(&json).unwrap(),
        "{\"count\":1,\"word\":\"a, b\"}\n{\"count\":1,\"word\":\"apple\"}\n{\"count\":2,\"word\":\"pear\"}\n"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "no temporary file is left: {left:?}");
}

#[test]
fn changes_in_a_batch_run_are_the_final_table_at_time_zero() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "words.txt", "b\na\nb\n");
    let output = write(dir.path(), "changes.csv", "old\nold\nold\nold\n");
    let out = output.clone();
    Runner::batch()
        .args(args(1))
        .run(move |p| {
            let counts = count_words(p.read(fs::source::<Word>(&input, Format::Text)));
            p.write(counts, fs::changes(&out, Format::csv()));
        })
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "word,count,time,diff\na,1,0,1\nb,2,0,1\n"
    );
}

#[test]
fn a_full_disk_or_a_missing_output_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "words.txt", "a\n");
    let source = input.clone();
    let error = Runner::batch()
        .args(args(1))
        .run(move |p| {
            let counts = count_words(p.read(fs::source::<Word>(&source, Format::Text)));
            p.write(counts, fs::changes("/dev/full", Format::csv()));
        })
        .unwrap_err();
    assert_eq!(error.exit_code(), 1);
    let message = error.to_string();
    assert!(message.contains("cannot write `/dev/full`"), "{message}");
    assert!(message.contains("free some disk space"), "{message}");

    let nowhere = dir.path().join("missing/dir/out.csv");
    let target = nowhere.clone();
    let error = Runner::batch()
        .args(args(1))
        .run(move |p| {
            let counts = count_words(p.read(fs::source::<Word>(&input, Format::Text)));
            p.write(counts, fs::snapshot(&target, Format::csv()));
        })
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(&nowhere.display().to_string()),
        "{message}"
    );
    assert!(message.contains("create its directory first"), "{message}");
}
