//! [`Table`]: a typed, incrementally maintained collection of rows, and its row-wise operators.

use std::marker::PhantomData;
use std::rc::Rc;

use differential_dataflow::VecCollection;
use timely::dataflow::Scope;

use crate::mode::Mode;
use crate::ops::row_wise::{filter_rows, row_wise};
use crate::panic::guarded;
use crate::position::Position;
use crate::schema::Row;

/// The dataflow's logical time: an epoch, in UTC milliseconds (0 for a batch run).
pub type Epoch = u64;

/// How many copies of a row an update adds (+1 insert) or removes (−1 retract).
pub type Diff = isize;

/// A differential collection of `D` at pathflow's epochs.
pub(crate) type Collection<'s, D, R = Diff> = VecCollection<'s, Epoch, D, R>;

/// Builds, on demand, the table's rows paired with their input positions.
pub(crate) type Positions<'s, T> = Rc<dyn Fn() -> Collection<'s, (T, Position)> + 's>;

/// A table of rows of type `T` in a pipeline of mode `M` (`Batch` or `Streaming`).
///
/// A table is a multiset of rows that changes over epochs. Operators build new tables; only
/// what changes is recomputed. Write pipelines as functions generic over the mode, so the
/// same code runs in batch and in streaming:
///
/// ```
/// use pathflow::prelude::*;
///
/// fn positive<'s, M: Mode>(amounts: Table<'s, i64, M>) -> Table<'s, i64, M> {
///     amounts.filter(|a| *a > 0)
/// }
/// ```
pub struct Table<'s, T: 'static, M> {
    pub(crate) rows: Collection<'s, T>,
    pub(crate) positions: Option<Positions<'s, T>>,
    pub(crate) mode: PhantomData<M>,
}

impl<'s, T: Row, M: Mode> Clone for Table<'s, T, M> {
    fn clone(&self) -> Self {
        Table {
            rows: self.rows.clone(),
            positions: self.positions.clone(),
            mode: PhantomData,
        }
    }
}

impl<'s, T: Row, M: Mode> Table<'s, T, M> {
    pub(crate) fn new(rows: Collection<'s, T>, positions: Option<Positions<'s, T>>) -> Self {
        Table {
            rows,
            positions,
            mode: PhantomData,
        }
    }

    /// A table derived by a stateful operator: its rows no longer have input positions.
    pub(crate) fn derived<U: Row>(rows: Collection<'s, U>) -> Table<'s, U, M> {
        Table {
            rows,
            positions: None,
            mode: PhantomData,
        }
    }

    /// The underlying differential collection, for operators pathflow does not have.
    pub fn collection(&self) -> VecCollection<'s, Epoch, T, Diff> {
        self.rows.clone()
    }

    /// Wraps a differential collection as a table (its rows have no input positions).
    pub fn from_collection(rows: VecCollection<'s, Epoch, T, Diff>) -> Self {
        Table::new(rows, None)
    }

    /// The dataflow scope the table lives in.
    pub fn scope(&self) -> Scope<'s, Epoch> {
        self.rows.scope()
    }

    /// The rows paired with their input positions, for order-dependent operators.
    ///
    /// # Panics
    /// When the rows were produced by a stateful operator (a join, a reduce, …) and so have
    /// no single input position; the runner reports the panic as an error.
    pub(crate) fn positioned(&self, operator: &str) -> Collection<'s, (T, Position)> {
        match &self.positions {
            Some(build) => build(),
            None => panic!(
                "`{operator}` orders rows by their input position, but this table's rows come \
                 from a join, a reduce or another stateful operator; apply `{operator}` to a \
                 table read from a source (after map, filter, flat_map or concat only)"
            ),
        }
    }

    /// Applies `f` to every row: the table of the results.
    pub fn map<U: Row>(self, f: impl Fn(&T) -> U + 'static) -> Table<'s, U, M> {
        let f = Rc::new(f);
        let g = Rc::clone(&f);
        let positions = self.positions.map(|build| -> Positions<'s, U> {
            Rc::new(move || {
                let g = Rc::clone(&g);
                build().map(move |(row, position)| (guarded("map", &row, || g(&row)), position))
            })
        });
        let rows = row_wise(self.rows, "map", move |row, epoch, diff, out| {
            out.push((f(row), epoch, diff));
        });
        Table::new(rows, positions)
    }

    /// The same as [`Table::map`]: build each output row from an input row.
    pub fn select<U: Row>(self, f: impl Fn(&T) -> U + 'static) -> Table<'s, U, M> {
        self.map(f)
    }

    /// The rows for which `f` is true.
    pub fn filter(self, f: impl Fn(&T) -> bool + 'static) -> Self {
        let f = Rc::new(f);
        let g = Rc::clone(&f);
        let positions = self.positions.map(|build| -> Positions<'s, T> {
            Rc::new(move || {
                let g = Rc::clone(&g);
                build().filter(move |(row, _)| guarded("filter", row, || g(row)))
            })
        });
        let rows = filter_rows(self.rows, "filter", move |row| f(row));
        Table::new(rows, positions)
    }

    /// Zero or more output rows for every input row.
    ///
    /// Rows made from one input row share its input position.
    pub fn flat_map<U: Row, I>(self, f: impl Fn(&T) -> I + 'static) -> Table<'s, U, M>
    where
        I: IntoIterator<Item = U>,
    {
        let f = Rc::new(f);
        let g = Rc::clone(&f);
        let positions = self.positions.map(|build| -> Positions<'s, U> {
            Rc::new(move || {
                let g = Rc::clone(&g);
                build().flat_map(move |(row, position)| {
                    let out: Vec<U> = guarded("flat_map", &row, || g(&row).into_iter().collect());
                    out.into_iter().map(move |u| (u, position))
                })
            })
        });
        let rows = row_wise(self.rows, "flat_map", move |row, epoch, diff, out| {
            out.extend(f(row).into_iter().map(|u| (u, epoch, diff)));
        });
        Table::new(rows, positions)
    }

    /// The rows of both tables (a multiset union).
    pub fn concat(self, other: Self) -> Self {
        let positions = match (self.positions, other.positions) {
            (Some(a), Some(b)) => Some(Rc::new(move || a().concat(b())) as Positions<'s, T>),
            _ => None,
        };
        Table::new(self.rows.concat(other.rows), positions)
    }
}
