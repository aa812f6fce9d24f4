//! Failures: a peer that never comes up, a peer killed mid-run, a panic in a user function,
//! and SIGTERM to one process of a streaming cluster. Cluster processes are this test binary
//! re-executed in a child role; every child runs under a watchdog and is killed if the test
//! fails.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::*;
use pathflow::memory;
use pathflow::prelude::*;
use pathflow::Error;

/// The bound within which a cluster must stop when a peer dies.
const STOP_BOUND: Duration = Duration::from_secs(10);
/// How long a cluster child may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------

fn cluster_args(connect_timeout_s: u64) -> RunnerArgs {
    RunnerArgs {
        workers: 2,
        processes: 2,
        process: child_var("PFTEST_PROCESS")
            .parse()
            .expect("a process index"),
        addresses: child_var("PFTEST_ADDRESSES")
            .split(',')
            .map(str::to_owned)
            .collect(),
        commit_interval_ms: 20,
        connect_timeout_s,
        ..RunnerArgs::default()
    }
}

/// Writes `text` to `path` atomically (the parent polls for the file).
fn publish(path: PathBuf, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("write a marker");
    std::fs::rename(&tmp, &path).expect("publish a marker");
}

/// What a child process does, by role:
/// - `alone`: a streaming run whose peer never comes up (connect timeout 3 s);
/// - `forever`: a streaming run fed forever by process 0; `ready` once output flows;
/// - `fixed`: a streaming run fed a fixed input by process 0, which stays open; `ready` once
///   the output is complete; results written after a clean stop;
/// - `panic`: a batch run whose `map` panics on process 1's workers.
fn child_main(role: &str) -> ! {
    let dir = PathBuf::from(child_var("PFTEST_DIR"));
    match role {
        "alone" => {
            let outcome = Runner::streaming().args(cluster_args(3)).run(|p| {
                let rows = p.read(memory::epochs(vec![vec![(1u64, 1)]]));
                p.write(rows, memory::subscribe(|_: &u64, _, _| {}));
            });
            exit_with(outcome)
        }
        "forever" | "fixed" => live_child(role, dir),
        "panic" => {
            let outcome = Runner::batch().args(cluster_args(30)).run(|p| {
                let me = p.worker_index();
                let rows = p.read(memory::rows((0..2000u64).collect()));
                // `distinct` spreads the rows over all workers; only processes 1's (2 and
                // 3) panic.
                let mapped = rows.distinct().map(move |n| {
                    if me >= 2 {
                        panic!("worker {me} refuses {n}");
                    }
                    *n
                });
                p.write(mapped, memory::subscribe(|_: &u64, _, _| {}));
            });
            exit_with(outcome)
        }
        other => panic!("unknown child role {other}"),
    }
}

fn live_child(role: &str, dir: PathBuf) -> ! {
    let args = cluster_args(30);
    let process = args.process;
    let (orders, customers) = revenue_input();
    let expected = revenue_reference(&orders, &customers);
    let (input, source) = memory::live::<Order>();
    let (view, view_sink) = memory::view::<Revenue>();
    let (share_table, share_sink) = share::<Revenue>();
    if process == 0 {
        let view = view.clone();
        let forever = role == "forever";
        let ready = dir.join("ready");
        std::thread::spawn(move || {
            for epoch in orders {
                for (row, diff) in epoch {
                    input.update(row, diff);
                }
                input.commit();
                std::thread::sleep(Duration::from_millis(5));
            }
            let mut published = false;
            let churn = Order {
                id: 250,
                customer: 1,
                amount: 1.0,
            };
            loop {
                let rows = multiset(view.counts());
                if !published && (rows == expected || (forever && !rows.is_empty())) {
                    publish(ready.clone(), &render(&rows));
                    published = true;
                }
                if forever {
                    input.insert(churn.clone());
                    input.commit();
                    std::thread::sleep(Duration::from_millis(10));
                    input.remove(churn.clone());
                    input.commit();
                }
                // The input stays open: only a signal or a failure ends the run.
                std::thread::sleep(Duration::from_millis(10));
            }
        });
    } else {
        drop(input);
    }
    let outcome = Runner::streaming().args(args).run(move |p| {
        let orders = p.read(source.clone());
        let customers = p.read(memory::epochs(customers.clone()));
        let out = revenue(orders, customers);
        p.write(out.clone(), view_sink.clone());
        p.write(out, share_sink.clone());
    });
    if outcome.is_ok() {
        if process == 0 {
            publish(dir.join("out-0"), &render(&multiset(view.counts())));
        }
        let share = share_table.lock().unwrap().clone();
        publish(dir.join(format!("share-{process}")), &render(&share));
    }
    exit_with(outcome)
}

/// Starts the processes `which` of a 2-process cluster in `role`.
fn start(test: &str, role: &str, dir: &std::path::Path, which: &[usize]) -> Vec<Child> {
    let addresses = free_addresses(2);
    which
        .iter()
        .map(|&process| {
            Child::spawn(
                test,
                role,
                &format!("process-{process}"),
                dir,
                &[
                    ("PFTEST_PROCESS", process.to_string()),
                    ("PFTEST_ADDRESSES", addresses.join(",")),
                    ("PFTEST_DIR", dir.display().to_string()),
                ],
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// (a) A peer that never comes up
// ---------------------------------------------------------------------------------------------

/// Process 0 of 2 started alone waits for process 1 to connect; process 1 started alone
/// cannot reach process 0. Each gives up after its 3 s connect timeout with an error naming
/// the missing process and its address, and exits 1.
#[test]
fn peer_never_comes_up() {
    if let Some(role) = child_role() {
        child_main(&role);
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    std::fs::create_dir_all(&first).unwrap();
    std::fs::create_dir_all(&second).unwrap();
    // Two separate would-be clusters, each with only one process started.
    let mut zero = start("peer_never_comes_up", "alone", &first, &[0]).remove(0);
    let mut one = start("peer_never_comes_up", "alone", &second, &[1]).remove(0);
    for (child, missing) in [(&mut zero, "process 1"), (&mut one, "process 0")] {
        let status = child.wait(Duration::from_secs(30));
        let elapsed = child.age();
        let stderr = child.stderr();
        assert_eq!(status.code(), Some(1), "{}: {status}; {stderr}", child.name);
        assert!(
            stderr.contains("error: cluster:") && stderr.contains(missing),
            "{}'s error names {missing}: {stderr}",
            child.name
        );
        assert!(
            stderr.contains("127.0.0.1:"),
            "{}'s error names the address: {stderr}",
            child.name
        );
        assert!(
            elapsed >= Duration::from_millis(2900),
            "{} waited the connect timeout (3 s), not {elapsed:?}",
            child.name
        );
        assert!(
            elapsed < Duration::from_secs(3) + STOP_BOUND,
            "{} gave up within the bound, not after {elapsed:?}",
            child.name
        );
    }
}

// ---------------------------------------------------------------------------------------------
// (b) A peer killed mid-run
// ---------------------------------------------------------------------------------------------

/// SIGKILL one process of a live streaming cluster: the other stops within 10 s with an
/// error naming the dead process, exit code 1.
fn peer_killed(test: &str, victim: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut children = start(test, "forever", dir.path(), &[0, 1]);
    {
        let (left, right) = children.split_at_mut(1);
        wait_for_file(
            &dir.path().join("ready"),
            READY_TIMEOUT,
            &mut [&mut left[0], &mut right[0]],
        );
    }
    let survivor = 1 - victim;
    children[victim].kill();
    let killed = Instant::now();
    let status = children[survivor].wait(STOP_BOUND + Duration::from_secs(10));
    let took = killed.elapsed();
    let stderr = children[survivor].stderr();
    assert_eq!(status.code(), Some(1), "survivor: {status}; {stderr}");
    assert!(
        took < STOP_BOUND,
        "the survivor stopped {took:?} after its peer died"
    );
    assert!(
        stderr.contains(&format!("process {victim}")),
        "the survivor's error names process {victim}: {stderr}"
    );
    assert!(
        stderr.contains("error: cluster:"),
        "a cluster error: {stderr}"
    );
    let victim_status = children[victim].wait(Duration::from_secs(5));
    assert!(!victim_status.success());
}

#[test]
fn peer_killed_mid_run() {
    if let Some(role) = child_role() {
        child_main(&role);
    }
    peer_killed("peer_killed_mid_run", 1);
}

#[test]
fn first_process_killed_mid_run() {
    if let Some(role) = child_role() {
        child_main(&role);
    }
    peer_killed("first_process_killed_mid_run", 0);
}

// ---------------------------------------------------------------------------------------------
// (c) A panic in a user function
// ---------------------------------------------------------------------------------------------

/// Checks `error` is a `UserFunction` error naming `operator` and the row.
fn assert_user_error(error: &Error, operator: &str, message: &str, row: &str) {
    match error {
        Error::UserFunction {
            operator: op,
            message: msg,
            row: r,
        } => {
            assert_eq!(op, operator, "{error}");
            assert!(msg.contains(message), "{error}");
            assert_eq!(r.as_deref(), Some(row), "{error}");
        }
        other => panic!("expected a user-function error, got {other:?}"),
    }
    assert_eq!(error.exit_code(), 1);
    let text = error.to_string();
    assert!(
        text.contains(&format!("`{operator}`")) && text.contains(row),
        "the message names the operator and the row: {text}"
    );
}

fn batch_error<F>(build: F) -> Error
where
    F: for<'s> Fn(&mut pathflow::Pipeline<'s, Batch>) + Send + Sync + 'static,
{
    with_timeout("a failing batch run", RUN_TIMEOUT, move || {
        Runner::batch()
            .args(args(2))
            .run(build)
            .expect_err("the run fails")
    })
}

#[test]
fn panic_in_map_names_operator_and_row_batch() {
    let error = batch_error(|p| {
        let rows = p.read(memory::rows(vec![1i64, 2, 42, 3]));
        let mapped = rows.map(|n| {
            if *n == 42 {
                panic!("no answers here");
            }
            n * 2
        });
        p.write(mapped, memory::subscribe(|_: &i64, _, _| {}));
    });
    assert_user_error(&error, "map", "no answers here", "42");
}

/// In streaming, with the input still open, a panic stops the run with the error instead of
/// leaving it hanging.
#[test]
fn panic_in_map_names_operator_and_row_streaming() {
    let (input, source) = memory::live::<(String, i64)>();
    let runner = std::thread::spawn(move || {
        Runner::streaming().args(args(3)).run(move |p| {
            let rows = p.read(source.clone());
            let mapped = rows
                .group_by(|r| r.0.clone())
                .reduce(|r| r.sum(|x| x.1), |k, s| (k.clone(), s))
                .map(|(k, s)| {
                    assert!(*s < 100, "sum too large: {s}");
                    (k.clone(), *s)
                });
            p.write(mapped, memory::subscribe(|_: &(String, i64), _, _| {}));
        })
    });
    input.insert(("a".into(), 10));
    input.commit();
    std::thread::sleep(Duration::from_millis(50));
    input.insert(("a".into(), 95));
    input.commit();
    let outcome = with_timeout("a failing streaming run", RUN_TIMEOUT, move || {
        runner.join().expect("the runner thread")
    });
    drop(input);
    let error = outcome.expect_err("the run fails");
    assert_user_error(&error, "map", "sum too large: 105", "(\"a\", 105)");
}

#[test]
fn panics_in_other_operators_name_them() {
    let error = batch_error(|p| {
        let rows = p.read(memory::rows(vec![1i64, 0, 3]));
        let kept = rows.filter(|n| 10 / *n > 1);
        p.write(kept, memory::subscribe(|_: &i64, _, _| {}));
    });
    assert_user_error(&error, "filter", "divide by zero", "0");

    let error = batch_error(|p| {
        let rows = p.read(memory::rows(vec![(1u8, 5i64), (2, -1)]));
        let out = rows.flat_map(|r| {
            assert!(r.1 >= 0, "negative repeat count");
            vec![r.0; r.1 as usize]
        });
        p.write(out, memory::subscribe(|_: &u8, _, _| {}));
    });
    assert_user_error(&error, "flat_map", "negative repeat count", "(2, -1)");

    let error = batch_error(|p| {
        let rows = p.read(memory::rows(vec![(1u8, 5i64), (7, 1)]));
        let out = rows
            .group_by(|r| {
                assert!(r.0 != 7, "unlucky key");
                r.0
            })
            .reduce(|r| r.count(), |k, n| (*k, n));
        p.write(out, memory::subscribe(|_: &(u8, u64), _, _| {}));
    });
    assert_user_error(&error, "group_by", "unlucky key", "(7, 1)");

    let error = batch_error(|p| {
        let rows = p.read(memory::rows(vec![(1u8, 5i64), (2, 1), (2, 2)]));
        let out = rows.group_by(|r| r.0).reduce(
            |r| r.count(),
            |k, n| {
                assert!(n < 2, "group {k} is too big");
                (*k, n)
            },
        );
        p.write(out, memory::subscribe(|_: &(u8, u64), _, _| {}));
    });
    assert_user_error(&error, "reduce", "group 2 is too big", "2");

    let error = batch_error(|p| {
        let left = p.read(memory::rows(vec![(1u8, 5i64), (2, 1)]));
        let right = p.read(memory::rows(vec![(2u8, "x".to_owned())]));
        let out = left
            .join(right, |l| l.0, |r| r.0)
            .inner(|l, r| -> (u8, String) { panic!("cannot pair {} with {}", l.1, r.1) });
        p.write(out, memory::subscribe(|_: &(u8, String), _, _| {}));
    });
    assert_user_error(
        &error,
        "join",
        "cannot pair 1 with x",
        "((2, 1), (2, \"x\"))",
    );

    let error = batch_error(|p| {
        let rows = p.read(memory::rows(vec![(1u8, 5i64), (1, 6)]));
        let out = rows.deduplicate(
            |r| r.0,
            |new, _| {
                assert!(new.1 != 6, "six is not accepted");
                true
            },
        );
        p.write(out, memory::subscribe(|_: &(u8, i64), _, _| {}));
    });
    assert_user_error(&error, "deduplicate", "six is not accepted", "(1, 6)");
}

/// A panic on process 1 of a cluster: process 1 exits 1 with the user-function error, and
/// process 0 stops within the bound with an error naming process 1 — neither hangs.
#[test]
fn panic_in_one_process_stops_the_cluster() {
    if let Some(role) = child_role() {
        child_main(&role);
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut children = start(
        "panic_in_one_process_stops_the_cluster",
        "panic",
        dir.path(),
        &[0, 1],
    );
    let one = children[1].wait(Duration::from_secs(60));
    let failed_at = Instant::now();
    let stderr = children[1].stderr();
    assert_eq!(one.code(), Some(1), "process 1: {one}; {stderr}");
    assert!(
        stderr.contains("error: a function in operator `map` panicked: worker")
            && stderr.contains("(on row "),
        "process 1 names the operator and the row: {stderr}"
    );
    let zero = children[0].wait(STOP_BOUND + Duration::from_secs(10));
    let stderr = children[0].stderr();
    assert!(
        failed_at.elapsed() < STOP_BOUND,
        "process 0 stopped {:?} after process 1",
        failed_at.elapsed()
    );
    assert_eq!(zero.code(), Some(1), "process 0: {zero}; {stderr}");
    assert!(
        stderr.contains("process 1"),
        "process 0's error names process 1: {stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// (d) SIGTERM to one process of a streaming cluster
// ---------------------------------------------------------------------------------------------

/// SIGTERM to one process stops the whole cluster cleanly: both exit 0, and the final output
/// (process 0's one-worker view, and the shares every worker wrote) is the complete result.
fn sigterm_stops_both(test: &str, target: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut children = start(test, "fixed", dir.path(), &[0, 1]);
    {
        let (left, right) = children.split_at_mut(1);
        wait_for_file(
            &dir.path().join("ready"),
            READY_TIMEOUT,
            &mut [&mut left[0], &mut right[0]],
        );
    }
    children[target].signal(libc::SIGTERM);
    let signalled = Instant::now();
    for child in &mut children {
        let status = child.wait(STOP_BOUND + Duration::from_secs(10));
        assert_eq!(
            status.code(),
            Some(0),
            "{} after SIGTERM to process {target}: {status}; {}",
            child.name,
            child.stderr()
        );
    }
    assert!(
        signalled.elapsed() < STOP_BOUND,
        "the cluster stopped {:?} after SIGTERM",
        signalled.elapsed()
    );

    let (orders, customers) = revenue_input();
    let expected = render(&revenue_reference(&orders, &customers));
    let read = |name: &str| {
        std::fs::read_to_string(dir.path().join(name))
            .unwrap_or_else(|e| panic!("{name} was not written: {e}"))
    };
    assert_eq!(read("ready"), expected, "the output before the signal");
    assert_eq!(read("out-0"), expected, "process 0's final output");
    let (share0, share1) = (read("share-0"), read("share-1"));
    let mut union: Vec<&str> = share0.lines().chain(share1.lines()).collect();
    union.sort();
    let mut whole: Vec<&str> = expected.lines().collect();
    whole.sort();
    assert_eq!(
        union, whole,
        "both processes' final shares make up the result"
    );
}

#[test]
fn sigterm_to_second_process_stops_both_cleanly() {
    if let Some(role) = child_role() {
        child_main(&role);
    }
    sigterm_stops_both("sigterm_to_second_process_stops_both_cleanly", 1);
}

#[test]
fn sigterm_to_first_process_stops_both_cleanly() {
    if let Some(role) = child_role() {
        child_main(&role);
    }
    sigterm_stops_both("sigterm_to_first_process_stops_both_cleanly", 0);
}
