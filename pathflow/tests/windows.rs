//! Event-time windows against a naive reference (sort the accepted events, cut the windows,
//! add them up) on random out-of-order streams with retractions, for every window kind and
//! behavior: batch runs, the final table of streaming runs, and every state a streaming run
//! showed on the way (each must be the reference on some prefix of the epochs).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::*;
use pathflow::memory;
use pathflow::prelude::*;
use pathflow::window::{Behavior, Window, WindowKey};
use pathflow::{Epoch, RunReport, Total};
use proptest::prelude::*;

/// An event: (key, value, event time).
type Event = (u8, Total<f64>, Timestamp);
/// A window's row: (key, window_start, window_end, count, sum).
type Out = (u8, i64, i64, u64, Total<f64>);

/// The windows of a test, as plain numbers (milliseconds).
#[derive(Clone, Copy, Debug)]
enum Shape {
    Tumbling { size: i64, origin: i64 },
    Sliding { hop: i64, size: i64, origin: i64 },
    Session { gap: i64 },
}

/// The behavior of a test, as plain numbers (milliseconds).
#[derive(Clone, Copy, Debug)]
enum Rules {
    Updates {
        delay: Option<i64>,
        cutoff: Option<i64>,
        keep: bool,
    },
    ExactlyOnce {
        cutoff: i64,
    },
}

impl Rules {
    fn cutoff(&self) -> Option<i64> {
        match *self {
            Rules::Updates { cutoff, .. } => cutoff,
            Rules::ExactlyOnce { cutoff } => Some(cutoff),
        }
    }
}

/// Count and exact sum per key and window.
#[derive(Clone, Copy, Debug)]
struct Windowed {
    shape: Shape,
    rules: Rules,
}

impl Windowed {
    fn window(&self) -> Window {
        let ms = Duration::from_millis;
        match self.shape {
            Shape::Tumbling { size, origin } => Window::tumbling(ms(size))
                .origin(Timestamp::from_millis(origin))
                .into(),
            Shape::Sliding { hop, size, origin } => Window::sliding(ms(hop), ms(size))
                .origin(Timestamp::from_millis(origin))
                .into(),
            Shape::Session { gap } => Window::session(ms(gap)).into(),
        }
    }

    fn apply<'s, M: Mode>(&self, events: Table<'s, Event, M>) -> Table<'s, Out, M> {
        let time = |e: &Event| e.2;
        let by = match self.rules {
            Rules::Updates {
                delay,
                cutoff,
                keep,
            } => {
                let mut behavior = Behavior::default().keep_results(keep);
                if let Some(delay) = delay {
                    behavior = behavior.delay(Duration::from_millis(delay));
                }
                if let Some(cutoff) = cutoff {
                    behavior = behavior.cutoff(Duration::from_millis(cutoff));
                }
                events.windowby(time, self.window(), behavior)
            }
            Rules::ExactlyOnce { cutoff } => events.windowby(
                time,
                self.window(),
                Behavior::exactly_once(Duration::from_millis(cutoff)),
            ),
        };
        by.instance(|e| e.0).reduce(
            |r| (r.count(), r.sum(|e| e.1 .0)),
            |w: &WindowKey<u8>, (count, sum)| {
                (
                    w.instance,
                    w.window_start.millis(),
                    w.window_end.millis(),
                    count,
                    Total(sum),
                )
            },
        )
    }
}

impl Pipe for Windowed {
    type A = Event;
    type B = ();
    type Out = Out;
    fn build<'s, M: Mode>(
        &self,
        a: Table<'s, Event, M>,
        _b: Table<'s, (), M>,
    ) -> Table<'s, Out, M> {
        self.apply(a)
    }
}

// ---------------------------------------------------------------------------------------------
// The reference
// ---------------------------------------------------------------------------------------------

/// What a run does with its input epochs, replayed naively.
struct Replay {
    /// The events not ignored as late, with their multiplicities.
    accepted: Multiset<Event>,
    /// The watermark of the last epoch that changed anything.
    during: i64,
    /// The largest event time any epoch added: the watermark after the last epoch.
    after: i64,
    /// How many events were late.
    late: u64,
}

fn replay(epochs: &[Vec<(Event, isize)>], cutoff: Option<i64>) -> Replay {
    let mut watermark = i64::MIN;
    let mut during = i64::MIN;
    let mut accepted: Multiset<Event> = BTreeMap::new();
    let mut late = 0;
    for epoch in epochs {
        let updates = multiset(epoch.iter().cloned());
        if updates.is_empty() {
            continue;
        }
        during = watermark;
        let mut largest = watermark;
        for (event, diff) in updates {
            let at = event.2.millis();
            if diff > 0 {
                largest = largest.max(at);
            }
            if cutoff.is_some_and(|cutoff| at < watermark.saturating_sub(cutoff)) {
                late += diff.unsigned_abs() as u64;
                continue;
            }
            *accepted.entry(event).or_insert(0) += diff;
        }
        watermark = largest;
    }
    accepted.retain(|_, count| *count != 0);
    Replay {
        accepted,
        during,
        after: watermark,
        late,
    }
}

/// A window of the reference: its row's key and bounds, its boundary, and its events.
struct RefWindow {
    key: u8,
    start: i64,
    end: i64,
    boundary: i64,
    events: Vec<(f64, isize)>,
}

/// The windows of the accepted events, cut naively.
fn cut(shape: Shape, accepted: &Multiset<Event>) -> Vec<RefWindow> {
    let mut fixed: BTreeMap<(u8, i64), Vec<(f64, isize)>> = BTreeMap::new();
    let mut per_key: BTreeMap<u8, BTreeMap<i64, Vec<(f64, isize)>>> = BTreeMap::new();
    for ((key, value, at), count) in accepted {
        assert!(
            *count > 0,
            "the reference accepted a retraction of an absent event"
        );
        let at = at.millis();
        match shape {
            Shape::Tumbling { size, origin } => {
                let start = origin + (at - origin).div_euclid(size) * size;
                fixed
                    .entry((*key, start))
                    .or_default()
                    .push((value.0, *count));
            }
            Shape::Sliding { hop, size, origin } => {
                for k in -1000..1000 {
                    let start = origin + k * hop;
                    if start <= at && at < start + size {
                        fixed
                            .entry((*key, start))
                            .or_default()
                            .push((value.0, *count));
                    }
                }
            }
            Shape::Session { .. } => per_key
                .entry(*key)
                .or_default()
                .entry(at)
                .or_default()
                .push((value.0, *count)),
        }
    }
    let size = match shape {
        Shape::Tumbling { size, .. } | Shape::Sliding { size, .. } => size,
        Shape::Session { .. } => 0,
    };
    let mut windows: Vec<RefWindow> = fixed
        .into_iter()
        .map(|((key, start), events)| RefWindow {
            key,
            start,
            end: start + size,
            boundary: start + size,
            events,
        })
        .collect();
    if let Shape::Session { gap } = shape {
        for (key, times) in per_key {
            let mut current: Option<RefWindow> = None;
            for (at, events) in times {
                match current.as_mut() {
                    Some(session) if at - session.end < gap => {
                        session.end = at;
                        session.boundary = at + gap;
                        session.events.extend(events);
                    }
                    _ => {
                        windows.extend(current.take());
                        current = Some(RefWindow {
                            key,
                            start: at,
                            end: at,
                            boundary: at + gap,
                            events,
                        });
                    }
                }
            }
            windows.extend(current);
        }
    }
    windows
}

/// Whether a window shows its row, by the documented rules.
fn shows(rules: Rules, boundary: i64, now: i64, ended: bool) -> bool {
    let closed = rules
        .cutoff()
        .is_some_and(|cutoff| now >= boundary + cutoff);
    match rules {
        Rules::ExactlyOnce { .. } => closed || ended,
        Rules::Updates { delay, keep, .. } => {
            let is_final = ended || delay.is_none_or(|delay| now >= boundary + delay);
            is_final && (keep || !closed)
        }
    }
}

/// When, after its last epoch, a run's table is looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Moment {
    /// As the last epoch is applied, under the watermark of the epochs before it.
    During,
    /// At the next epoch, under the watermark the last epoch raised.
    After,
    /// After the input ended.
    Ended,
}

/// The table after `epochs`, at `moment`.
fn reference(w: Windowed, epochs: &[Vec<(Event, isize)>], moment: Moment) -> Multiset<Out> {
    let replay = replay(epochs, w.rules.cutoff());
    let now = match moment {
        Moment::During => replay.during,
        Moment::After | Moment::Ended => replay.after,
    };
    let ended = moment == Moment::Ended;
    let rows = cut(w.shape, &replay.accepted)
        .into_iter()
        .filter(|window| shows(w.rules, window.boundary, now, ended))
        .map(|window| {
            let count: isize = window.events.iter().map(|(_, count)| count).sum();
            let sum = exact_sum(window.events.iter().copied());
            (
                (
                    window.key,
                    window.start,
                    window.end,
                    count as u64,
                    Total(sum),
                ),
                1,
            )
        });
    multiset(rows)
}

/// The result of a batch run: everything is one epoch.
fn batch_reference(w: Windowed, epochs: &[Vec<(Event, isize)>]) -> Multiset<Out> {
    reference(w, &[epochs.concat()], Moment::Ended)
}

/// Checks that `states` are, in order, the reference on growing prefixes of `epochs` (as
/// each prefix's last epoch is applied, or at the epoch after it), the last one after the
/// input ended.
fn assert_states_follow_prefixes(
    w: Windowed,
    epochs: &[Vec<(Event, isize)>],
    states: &[Multiset<Out>],
) {
    let mut expected: Vec<Multiset<Out>> = (0..=epochs.len())
        .flat_map(|n| {
            [Moment::During, Moment::After].map(|moment| reference(w, &epochs[..n], moment))
        })
        .collect();
    expected.push(reference(w, epochs, Moment::Ended));
    let mut position = 0;
    for (n, state) in states.iter().enumerate() {
        match expected[position..].iter().position(|e| e == state) {
            Some(offset) => position += offset,
            None => panic!(
                "streamed state #{n} is not the reference on any prefix of the input at or \
                 after the previous state's:\n{}\nexpected one of:\n{}",
                render(state),
                expected[position..]
                    .iter()
                    .map(render)
                    .collect::<Vec<_>>()
                    .join("\n--\n")
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

/// What a streaming run produced: the final table, every change, and the report.
struct Streamed {
    view: Multiset<Out>,
    changes: Vec<(Out, Epoch, isize)>,
    report: RunReport,
}

/// Streams `epochs` (one epoch per inner vector) through `w` on `workers` threads.
fn stream(
    w: Windowed,
    workers: u32,
    epochs: &[Vec<(Event, isize)>],
    error_log: Option<&Path>,
) -> Streamed {
    let epochs = epochs.to_vec();
    let error_log = error_log.map(Path::to_path_buf);
    with_timeout("a streaming run", RUN_TIMEOUT, move || {
        let (view, sink) = memory::view::<Out>();
        let changes: Arc<Mutex<Vec<(Out, Epoch, isize)>>> = Arc::default();
        let log = Arc::clone(&changes);
        let report = Runner::streaming()
            .args(RunnerArgs {
                error_log,
                ..args(workers)
            })
            .run(move |p| {
                let events = p.read(memory::epochs(epochs.clone()));
                let out = w.apply(events);
                p.write(out.clone(), sink.clone());
                let log = Arc::clone(&log);
                p.write(
                    out,
                    memory::subscribe(move |row: &Out, epoch, diff| {
                        log.lock().unwrap().push((*row, epoch, diff))
                    }),
                );
            })
            .expect("the streaming run succeeds");
        let changes = std::mem::take(&mut *changes.lock().unwrap());
        Streamed {
            view: multiset(view.counts()),
            changes,
            report,
        }
    })
}

/// Runs `w` in batch and in streaming and checks both, and every streamed state, against the
/// reference.
fn check(w: Windowed, workers: u32, epochs: &[Vec<(Event, isize)>]) {
    let batch = run_batch(w, workers, &epochs.to_vec(), &none());
    assert_eq!(
        batch,
        batch_reference(w, epochs),
        "batch run of {w:?} on {workers} workers"
    );
    let streamed = stream(w, workers, epochs, None);
    let states = states_of(&streamed.changes);
    assert_eq!(
        streamed.view,
        reference(w, epochs, Moment::Ended),
        "final table of a streaming run of {w:?} on {workers} workers"
    );
    assert_eq!(states.last().cloned().unwrap_or_default(), streamed.view);
    assert_states_follow_prefixes(w, epochs, &states);
}

// ---------------------------------------------------------------------------------------------
// Generated input
// ---------------------------------------------------------------------------------------------

fn event() -> impl Strategy<Value = Event> {
    (0u8..3, float_value(), 0i64..120)
        .prop_map(|(key, value, at)| (key, Total(value), Timestamp::from_millis(at)))
}

fn tumbling() -> impl Strategy<Value = Shape> {
    (1i64..25, -5i64..5).prop_map(|(size, origin)| Shape::Tumbling { size, origin })
}

fn sliding() -> impl Strategy<Value = Shape> {
    (1i64..9, 1i64..25, -5i64..5).prop_map(|(hop, size, origin)| Shape::Sliding {
        hop,
        size,
        origin,
    })
}

fn session() -> impl Strategy<Value = Shape> {
    (1i64..15).prop_map(|gap| Shape::Session { gap })
}

fn rules() -> impl Strategy<Value = Rules> {
    let updates = (
        prop::option::of(0i64..30),
        prop::option::of(0i64..40),
        any::<bool>(),
    )
        .prop_map(|(delay, cutoff, keep)| Rules::Updates {
            delay,
            cutoff,
            keep,
        });
    prop_oneof![
        1 => Just(Rules::Updates { delay: None, cutoff: None, keep: true }),
        4 => updates,
        2 => (0i64..40).prop_map(|cutoff| Rules::ExactlyOnce { cutoff }),
    ]
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn tumbling_windows_match_the_reference(
        shape in tumbling(),
        rules in rules(),
        epochs in epochs_of(event(), 40),
        workers in 1u32..=2,
    ) {
        check(Windowed { shape, rules }, workers, &epochs);
    }

    #[test]
    fn sliding_windows_match_the_reference(
        shape in sliding(),
        rules in rules(),
        epochs in epochs_of(event(), 40),
        workers in 1u32..=2,
    ) {
        check(Windowed { shape, rules }, workers, &epochs);
    }

    #[test]
    fn session_windows_match_the_reference(
        shape in session(),
        rules in rules(),
        epochs in epochs_of(event(), 40),
        workers in 1u32..=2,
    ) {
        check(Windowed { shape, rules }, workers, &epochs);
    }

    /// With no event past the cutoff, a streaming run ends with exactly the table a batch
    /// run computes, however the input was cut into epochs.
    #[test]
    fn batch_equals_streaming_when_no_event_is_late(
        shape in prop_oneof![tumbling(), sliding(), session()],
        delay in prop::option::of(0i64..30),
        keep in any::<bool>(),
        epochs in epochs_of(event(), 40),
        workers in 1u32..=2,
    ) {
        // A cutoff longer than the time range makes no event late; without retractions the
        // last watermark is the batch's, so even retracted results agree.
        let cutoff = Some(200);
        let epochs: Vec<Vec<(Event, isize)>> = if keep {
            epochs
        } else {
            epochs.into_iter().map(|e| e.into_iter().filter(|(_, d)| *d > 0).collect()).collect()
        };
        let w = Windowed { shape, rules: Rules::Updates { delay, cutoff, keep } };
        prop_assert_eq!(replay(&epochs, cutoff).late, 0);
        let batch = run_batch(w, workers, &epochs, &none());
        let streamed = stream(w, workers, &epochs, None);
        prop_assert_eq!(&batch, &streamed.view);
        prop_assert_eq!(&batch, &batch_reference(w, &epochs));
    }

    /// Exactly-once emission: no row is ever retracted, and each window's row is emitted
    /// once, with its final value.
    #[test]
    fn exactly_once_emits_each_window_once(
        shape in prop_oneof![tumbling(), sliding(), session()],
        cutoff in 0i64..40,
        epochs in epochs_of(event(), 40),
        workers in 1u32..=2,
    ) {
        let w = Windowed { shape, rules: Rules::ExactlyOnce { cutoff } };
        let streamed = stream(w, workers, &epochs, None);
        let mut windows = BTreeSet::new();
        for (row, epoch, diff) in &streamed.changes {
            prop_assert_eq!(*diff, 1, "{:?} changed by {} at {}", row, diff, epoch);
            prop_assert!(windows.insert((row.0, row.1, row.2)), "{:?} emitted twice", row);
        }
        prop_assert_eq!(streamed.view, reference(w, &epochs, Moment::Ended));
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-written cases
// ---------------------------------------------------------------------------------------------

fn at(key: u8, value: f64, ms: i64) -> (Event, isize) {
    ((key, Total(value), Timestamp::from_millis(ms)), 1)
}

fn row(key: u8, start: i64, end: i64, count: u64, sum: f64) -> Out {
    (key, start, end, count, Total(sum))
}

#[test]
fn out_of_order_tumbling_windows_per_key() {
    let w = Windowed {
        shape: Shape::Tumbling {
            size: 10,
            origin: 0,
        },
        rules: Rules::Updates {
            delay: None,
            cutoff: None,
            keep: true,
        },
    };
    let epochs = vec![
        vec![at(1, 1.5, 12), at(2, 1.0, 3)],
        vec![at(1, 0.25, 5), at(1, 2.0, 19)],
        vec![at(1, 4.0, 10)],
    ];
    let expected = multiset([
        (row(1, 0, 10, 1, 0.25), 1),
        (row(1, 10, 20, 3, 7.5), 1),
        (row(2, 0, 10, 1, 1.0), 1),
    ]);
    assert_eq!(run_batch(w, 2, &epochs, &none()), expected);
    assert_eq!(stream(w, 2, &epochs, None).view, expected);
}

#[test]
fn delay_holds_a_window_until_the_watermark_passes_its_end() {
    let w = Windowed {
        shape: Shape::Tumbling {
            size: 10,
            origin: 0,
        },
        rules: Rules::Updates {
            delay: Some(5),
            cutoff: None,
            keep: true,
        },
    };
    // The watermark reaches 15 with the third epoch: [0, 10) shows then, alone, and takes
    // the event at 4 (not late without a cutoff); [10, 20) shows only at the end.
    let epochs = vec![
        vec![at(0, 1.0, 3)],
        vec![at(0, 1.0, 14)],
        vec![at(0, 1.0, 15)],
        vec![at(0, 1.0, 4)],
        vec![at(9, 1.0, 0)],
    ];
    let states = states_of(&stream(w, 1, &epochs, None).changes);
    assert_states_follow_prefixes(w, &epochs, &states);
    assert!(
        states
            .iter()
            .any(|state| !state.is_empty() && state.keys().all(|row| (row.0, row.1) == (0, 0))),
        "[0, 10) shows before the end, alone: {states:?}"
    );
    assert_eq!(
        states.last(),
        Some(&multiset([
            (row(0, 0, 10, 2, 2.0), 1),
            (row(0, 10, 20, 2, 2.0), 1),
            (row(9, 0, 10, 1, 1.0), 1)
        ]))
    );
}

#[test]
fn sessions_merge_and_split() {
    let w = Windowed {
        shape: Shape::Session { gap: 5 },
        rules: Rules::Updates {
            delay: None,
            cutoff: None,
            keep: true,
        },
    };
    let bridge = at(0, 1.0, 14);
    let epochs = vec![
        vec![at(0, 1.0, 10), at(0, 1.0, 20)],
        vec![bridge, at(0, 1.0, 17)],
        vec![(bridge.0, -1)],
    ];
    let states = states_of(&stream(w, 2, &epochs, None).changes);
    assert_eq!(
        states,
        vec![
            multiset([(row(0, 10, 10, 1, 1.0), 1), (row(0, 20, 20, 1, 1.0), 1)]),
            multiset([(row(0, 10, 20, 4, 4.0), 1)]),
            multiset([(row(0, 10, 10, 1, 1.0), 1), (row(0, 17, 20, 2, 2.0), 1)]),
        ]
    );
}

#[test]
fn keep_results_false_retracts_closed_windows() {
    let w = Windowed {
        shape: Shape::Tumbling {
            size: 10,
            origin: 0,
        },
        rules: Rules::Updates {
            delay: None,
            cutoff: Some(5),
            keep: false,
        },
    };
    let epochs = vec![
        vec![at(0, 1.0, 1)],
        vec![at(0, 1.0, 12)],
        vec![at(0, 1.0, 25)],
        vec![at(0, 1.0, 26)],
    ];
    let states = states_of(&stream(w, 1, &epochs, None).changes);
    assert_states_follow_prefixes(w, &epochs, &states);
    // Under the watermark 12 nothing has closed; 25 closes [0, 10) and [10, 20).
    let all_three = multiset([
        (row(0, 0, 10, 1, 1.0), 1),
        (row(0, 10, 20, 1, 1.0), 1),
        (row(0, 20, 30, 1, 1.0), 1),
    ]);
    assert!(states.contains(&all_three), "{states:?}");
    let last = multiset([(row(0, 20, 30, 2, 2.0), 1)]);
    assert_eq!(states.last(), Some(&last));
    // A batch run sees the last watermark (26) only: the same final table.
    assert_eq!(run_batch(w, 1, &epochs, &none()), last);
}

#[test]
fn late_events_are_ignored_counted_and_logged() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = dir.path().join("errors.jsonl");
    let w = Windowed {
        shape: Shape::Tumbling {
            size: 10,
            origin: 0,
        },
        rules: Rules::Updates {
            delay: None,
            cutoff: Some(20),
            keep: true,
        },
    };
    // W = 100 in the second epoch: 79 is late (79 < 100 - 20), 80 is not.
    let epochs = vec![vec![at(7, 1.0, 100)], vec![at(7, 1.0, 79), at(7, 1.0, 80)]];
    let streamed = stream(w, 2, &epochs, Some(&log));
    assert_eq!(
        streamed.view,
        multiset([(row(7, 80, 90, 1, 1.0), 1), (row(7, 100, 110, 1, 1.0), 1)])
    );
    assert_eq!(
        streamed.report.input_errors, 1,
        "the late event is counted in the run report (the runner must install \
         `window::report_late_events_to` while building the pipeline)"
    );
    let text = std::fs::read_to_string(&log).expect("the error log is written");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let entry: serde_json::Value = serde_json::from_str(lines[0]).expect("a JSON line");
    assert_eq!(entry["source"], "windowby");
    assert_eq!(entry["raw"], "instance 7, event time 79");
    let reason = entry["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("late event: its time 1970-01-01T00:00:00.079Z is more than the cutoff (20 ms) before the watermark 1970-01-01T00:00:00.100Z"), "{reason}");
    assert!(reason.contains("raise the cutoff"), "{reason}");
}

#[test]
fn a_window_with_a_late_retraction_keeps_its_event() {
    let w = Windowed {
        shape: Shape::Tumbling {
            size: 10,
            origin: 0,
        },
        rules: Rules::Updates {
            delay: None,
            cutoff: Some(0),
            keep: true,
        },
    };
    let early = at(0, 2.0, 5);
    let epochs = vec![vec![early], vec![at(0, 1.0, 30)], vec![(early.0, -1)]];
    assert_eq!(
        stream(w, 1, &epochs, None).view,
        multiset([(row(0, 0, 10, 1, 2.0), 1), (row(0, 30, 40, 1, 1.0), 1)]),
        "the retraction at time 5 comes when W = 30 and is late"
    );
}
