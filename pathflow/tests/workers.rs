//! The same pipeline on 1 and 4 worker threads, and on 2 processes of 2 workers on loopback
//! (two OS processes: this test binary re-executed in a child role), gives identical results.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use pathflow::memory;
use pathflow::prelude::*;
use pathflow::{Pipeline, Sink};

/// How long a cluster child may run before the test kills it and fails.
const CHILD_TIMEOUT: Duration = Duration::from_secs(120);

#[test]
fn one_and_four_workers_agree() {
    let (orders, customers) = revenue_input();
    let expected = render(&revenue_reference(&orders, &customers));
    let one = render(&run_batch(RevenuePipe, 1, &orders, &customers));
    assert_eq!(one, expected, "batch, 1 worker, vs the reference");
    let four = render(&run_batch(RevenuePipe, 4, &orders, &customers));
    assert_eq!(four, one, "batch, 4 workers");
    let streamed_one = render(&run_streaming(RevenuePipe, 1, &orders, &customers).view);
    assert_eq!(streamed_one, one, "streaming, 1 worker");
    let streamed_four = render(&run_streaming(RevenuePipe, 4, &orders, &customers).view);
    assert_eq!(streamed_four, one, "streaming, 4 workers");
}

#[test]
fn two_processes_of_two_workers_batch() {
    if let Some(role) = child_role() {
        cluster_child(&role);
    }
    two_processes_agree("two_processes_of_two_workers_batch", "batch");
}

#[test]
fn two_processes_of_two_workers_streaming() {
    if let Some(role) = child_role() {
        cluster_child(&role);
    }
    two_processes_agree("two_processes_of_two_workers_streaming", "streaming");
}

/// Starts processes 0 and 1 of a 2 × 2 cluster running [`revenue`] and compares what they
/// wrote with the in-process single-worker result.
fn two_processes_agree(test: &str, role: &str) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let addresses = free_addresses(2).join(",");
    let mut children: Vec<Child> = (0..2)
        .map(|process| {
            Child::spawn(
                test,
                role,
                &format!("process-{process}"),
                dir.path(),
                &[
                    ("PFTEST_PROCESS", process.to_string()),
                    ("PFTEST_ADDRESSES", addresses.clone()),
                    ("PFTEST_DIR", dir.path().display().to_string()),
                ],
            )
        })
        .collect();
    for child in &mut children {
        let status = child.wait(CHILD_TIMEOUT);
        assert!(
            status.success(),
            "{} exited with {status}; stderr:\n{}",
            child.name,
            child.stderr()
        );
    }

    let (orders, customers) = revenue_input();
    let expected = render(&run_batch(RevenuePipe, 1, &orders, &customers));
    assert_eq!(expected, render(&revenue_reference(&orders, &customers)));

    // Process 0's worker 0 holds the one-worker sink: the whole table.
    let out = read(&dir.path().join("out-0"));
    assert_eq!(
        out, expected,
        "2 processes × 2 workers vs 1 worker in-process"
    );
    // Every worker's share, from both processes, adds up to the same table.
    let share0 = read(&dir.path().join("share-0"));
    let share1 = read(&dir.path().join("share-1"));
    assert!(
        !share1.is_empty(),
        "process 1's workers hold part of the result"
    );
    let mut union: Vec<&str> = share0.lines().chain(share1.lines()).collect();
    union.sort();
    let mut whole: Vec<&str> = expected.lines().collect();
    whole.sort();
    assert_eq!(
        union, whole,
        "the shares of both processes make up the table"
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()))
}

/// The child's pipeline: [`revenue`] over the deterministic input, written to a one-worker
/// view and to a sink every worker writes.
fn build<M: Mode, S1, S2>(p: &mut Pipeline<'_, M>, view: &S1, share: &S2)
where
    S1: Sink<M, Revenue> + Clone,
    S2: Sink<M, Revenue> + Clone,
{
    let (orders, customers) = revenue_input();
    let orders = p.read(memory::epochs(orders));
    let customers = p.read(memory::epochs(customers));
    let out = revenue(orders, customers);
    p.write(out.clone(), view.clone());
    p.write(out, share.clone());
}

/// A process of the 2 × 2 cluster: runs, writes its results to files, exits with the run's
/// exit code.
fn cluster_child(role: &str) -> ! {
    let process: u32 = child_var("PFTEST_PROCESS")
        .parse()
        .expect("a process index");
    let dir = PathBuf::from(child_var("PFTEST_DIR"));
    let args = RunnerArgs {
        workers: 2,
        processes: 2,
        process,
        addresses: child_var("PFTEST_ADDRESSES")
            .split(',')
            .map(str::to_owned)
            .collect(),
        commit_interval_ms: 20,
        connect_timeout_s: 30,
        ..RunnerArgs::default()
    };
    let (view, view_sink) = memory::view::<Revenue>();
    let (share_table, share_sink) = share::<Revenue>();
    let outcome = match role {
        "batch" => Runner::batch()
            .args(args)
            .run(move |p| build(p, &view_sink, &share_sink)),
        "streaming" => Runner::streaming()
            .args(args)
            .run(move |p| build(p, &view_sink, &share_sink)),
        other => panic!("unknown child role {other}"),
    };
    if outcome.is_ok() {
        if process == 0 {
            let rows = multiset(view.counts());
            std::fs::write(dir.join("out-0"), render(&rows)).expect("write out-0");
        }
        let share = share_table.lock().unwrap().clone();
        std::fs::write(dir.join(format!("share-{process}")), render(&share))
            .expect("write the share");
    }
    exit_with(outcome)
}
