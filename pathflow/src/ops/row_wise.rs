//! Row-wise operators (`map`, `filter`, `flat_map`) over whole containers, with one panic
//! guard per container rather than per row.

use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use differential_dataflow::AsCollection;

use crate::panic::{guarded_rows, reraise};
use crate::table::{Collection, Diff, Epoch};

/// Calls `logic(row, epoch, diff, output)` for every update of `input`, in order; `logic`
/// pushes its output updates. A panic in `logic` names `operator` and the row.
pub(crate) fn row_wise<'s, T, U, L>(
    input: Collection<'s, T>,
    operator: &'static str,
    mut logic: L,
) -> Collection<'s, U>
where
    T: std::fmt::Debug + Clone + 'static,
    U: Clone + 'static,
    L: FnMut(&T, Epoch, Diff, &mut Vec<(U, Epoch, Diff)>) + 'static,
{
    input
        .inner
        .unary::<CapacityContainerBuilder<Vec<(U, Epoch, Diff)>>, _, _, _>(
            Pipeline,
            operator,
            move |_capability, _info| {
                let mut produced: Vec<(U, Epoch, Diff)> = Vec::new();
                move |input, output| {
                    input.for_each(|time, data| {
                        // At least one output per input row: no growing one push at a time.
                        produced.reserve(data.len());
                        let ran = guarded_rows(|at| {
                            for (index, (row, epoch, diff)) in data.iter().enumerate() {
                                *at = index;
                                logic(row, *epoch, *diff, &mut produced);
                            }
                        });
                        if let Err((at, panic)) = ran {
                            reraise(operator, &data[at].0, panic);
                        }
                        data.clear();
                        if !produced.is_empty() {
                            output.session(&time).give_container(&mut produced);
                        }
                    });
                }
            },
        )
        .as_collection()
}

/// Keeps the updates of `input` whose row `keep` accepts, in place: the container goes on
/// with no row copied. A panic in `keep` names `operator` and the row.
pub(crate) fn filter_rows<'s, T, F>(
    input: Collection<'s, T>,
    operator: &'static str,
    keep: F,
) -> Collection<'s, T>
where
    T: std::fmt::Debug + Clone + 'static,
    F: Fn(&T) -> bool + 'static,
{
    input
        .inner
        .unary::<CapacityContainerBuilder<Vec<(T, Epoch, Diff)>>, _, _, _>(
            Pipeline,
            operator,
            move |_capability, _info| {
                move |input, output| {
                    input.for_each(|time, data| {
                        // Rows before `kept` are accepted; the row at `index` is still the
                        // container's original row `index` when `keep` sees it.
                        let ran = guarded_rows(|at| {
                            let mut kept = 0;
                            for index in 0..data.len() {
                                *at = index;
                                if keep(&data[index].0) {
                                    data.swap(kept, index);
                                    kept += 1;
                                }
                            }
                            kept
                        });
                        let kept =
                            ran.unwrap_or_else(|(at, panic)| reraise(operator, &data[at].0, panic));
                        data.truncate(kept);
                        if !data.is_empty() {
                            output.session(&time).give_container(data);
                        }
                    });
                }
            },
        )
        .as_collection()
}

/// Pairs every row of `input` with its key, `(key(row), row)`, moving the row (no copy). A
/// panic in `key` names `operator` and the row.
pub(crate) fn key_rows<'s, T, K, F>(
    input: Collection<'s, T>,
    operator: &'static str,
    key: F,
) -> Collection<'s, (K, T)>
where
    T: std::fmt::Debug + Clone + 'static,
    K: Clone + 'static,
    F: Fn(&T) -> K + 'static,
{
    input
        .inner
        .unary::<CapacityContainerBuilder<Vec<((K, T), Epoch, Diff)>>, _, _, _>(
            Pipeline,
            operator,
            move |_capability, _info| {
                let mut keys: Vec<K> = Vec::new();
                let mut produced: Vec<((K, T), Epoch, Diff)> = Vec::new();
                move |input, output| {
                    input.for_each(|time, data| {
                        keys.reserve(data.len());
                        let ran = guarded_rows(|at| {
                            for (index, (row, _, _)) in data.iter().enumerate() {
                                *at = index;
                                keys.push(key(row));
                            }
                        });
                        if let Err((at, panic)) = ran {
                            reraise(operator, &data[at].0, panic);
                        }
                        produced.reserve(data.len());
                        produced.extend(
                            data.drain(..)
                                .zip(keys.drain(..))
                                .map(|((row, epoch, diff), key)| ((key, row), epoch, diff)),
                        );
                        if !produced.is_empty() {
                            output.session(&time).give_container(&mut produced);
                        }
                    });
                }
            },
        )
        .as_collection()
}

#[cfg(test)]
mod tests {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use differential_dataflow::input::Input;
    use timely::dataflow::operators::capture::{Capture, Extract};

    use super::*;
    use crate::panic::UserPanic;

    /// Runs `build` over the rows 0..20 in one container and returns its output rows.
    fn run(build: fn(Collection<'_, u32>) -> Collection<'_, u32>) -> Vec<u32> {
        timely::execute_directly(move |worker| {
            let (mut input, output) = worker.dataflow::<Epoch, _, _>(|scope| {
                let (input, rows) = scope.new_collection::<u32, Diff>();
                (input, build(rows).inner.capture())
            });
            for row in 0..20 {
                input.insert(row);
            }
            input.close();
            while worker.step() {}
            let mut rows: Vec<u32> = output
                .extract()
                .into_iter()
                .flat_map(|(_, updates)| updates.into_iter().map(|(row, _, _)| row))
                .collect();
            rows.sort();
            rows
        })
    }

    /// The row a panic names, when `build` panics.
    fn panicking_row(build: fn(Collection<'_, u32>) -> Collection<'_, u32>) -> UserPanic {
        let payload = catch_unwind(AssertUnwindSafe(|| run(build))).expect_err("panics");
        *payload.downcast::<UserPanic>().expect("a UserPanic")
    }

    #[test]
    fn filter_and_map_compute_per_row() {
        let evens = run(|rows| filter_rows(rows, "filter", |n| n % 2 == 0));
        assert_eq!(evens, (0..20).filter(|n| n % 2 == 0).collect::<Vec<_>>());
        let doubled = run(|rows| {
            row_wise(rows, "flat_map", |n, epoch, diff, out| {
                out.extend([(*n, epoch, diff), (n + 100, epoch, diff)])
            })
        });
        let mut expected: Vec<u32> = (0..20).chain(100..120).collect();
        expected.sort();
        assert_eq!(doubled, expected);
        let keyed = run(|rows| {
            let keyed = key_rows(rows, "join key", |n| n % 4);
            row_wise(keyed, "map", |(key, n), epoch, diff, out| {
                out.push((key * 1000 + n, epoch, diff))
            })
        });
        let mut expected: Vec<u32> = (0..20).map(|n| (n % 4) * 1000 + n).collect();
        expected.sort();
        assert_eq!(keyed, expected);
    }

    /// A panic names the row the function was called with, also after the filter moved
    /// accepted rows forward within the container.
    #[test]
    fn a_panic_names_its_row() {
        let panic = panicking_row(|rows| {
            filter_rows(rows, "filter", |n| {
                assert!(*n != 13, "unlucky");
                n % 3 == 0
            })
        });
        assert_eq!(panic.operator, "filter");
        assert_eq!(panic.message, "unlucky");
        assert_eq!(panic.row.as_deref(), Some("13"));

        let panic = panicking_row(|rows| {
            row_wise(rows, "map", |n, epoch, diff, out| {
                out.push((100 / (7 - n.min(&7)), epoch, diff))
            })
        });
        assert_eq!(panic.operator, "map");
        assert_eq!(panic.row.as_deref(), Some("7"));

        let panic = panicking_row(|rows| {
            let keyed = key_rows(rows, "join key", |n| 100 / (11 - n.min(&11)));
            keyed.map(|(_, n)| n)
        });
        assert_eq!(panic.operator, "join key");
        assert_eq!(panic.row.as_deref(), Some("11"));
    }
}
