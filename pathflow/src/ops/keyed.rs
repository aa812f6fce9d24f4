//! Operators by key: `distinct`, `deduplicate`, `upsert`, `update_rows`, `difference`,
//! `intersect`.

use crate::mode::Mode;
use crate::ops::arrange::{antijoin, reduce, semijoin};
use crate::ops::totals::distinct_total;
use crate::order::{Total, Value};
use crate::panic::guarded;
use crate::position::Position;
use crate::schema::{Row, Schema};
use crate::table::{Collection, Table};

impl<'s, T: Row, M: Mode> Table<'s, T, M> {
    /// Each distinct row once.
    pub fn distinct(self) -> Self {
        Table::<T, M>::derived(distinct_total(self.rows))
    }

    /// Per key, the row accepted last: rows are offered in input-position order, and a row
    /// replaces the current one when `accept(new, current)` is true (the first is always
    /// accepted).
    ///
    /// Retracting an input row recomputes the key's result as if it had never arrived.
    pub fn deduplicate<K: Value>(
        self,
        key: impl Fn(&T) -> K + 'static,
        accept: impl Fn(&T, &T) -> bool + 'static,
    ) -> Self {
        let keyed = self.positioned("deduplicate").map(move |(row, position)| {
            (
                guarded("deduplicate key", &row, || Total(key(&row))),
                (position, row),
            )
        });
        let rows = reduce(
            keyed,
            "Deduplicate",
            move |_key, versions: &[(&(Position, T), isize)], output| {
                let mut current: Option<&T> = None;
                for ((_, row), copies) in versions {
                    for _ in 0..(*copies).max(0) {
                        let take = match current {
                            None => true,
                            Some(current) => guarded("deduplicate", row, || accept(row, current)),
                        };
                        if take {
                            current = Some(row);
                        }
                    }
                }
                if let Some(row) = current {
                    output.push((row.clone(), 1));
                }
            },
        )
        .map(|(_, row)| row);
        Table::<T, M>::derived(rows)
    }
}

impl<'s, T: Schema, M: Mode> Table<'s, T, M> {
    /// Per primary key, the row with the latest input position.
    ///
    /// Retracting the row that won restores the one it replaced. Sources apply this to every
    /// schema with a primary key, so you rarely call it yourself.
    pub fn upsert(self) -> Self {
        let keyed = self
            .positioned("upsert")
            .map(|(row, position)| (row.primary_key(), (position, row)));
        let rows = reduce(
            keyed,
            "Upsert",
            |_key, versions: &[(&(Position, T), isize)], output| {
                if let Some(((_, row), _)) = versions.iter().rev().find(|(_, copies)| *copies > 0) {
                    output.push((row.clone(), 1));
                }
            },
        )
        .map(|(_, row)| row);
        Table::<T, M>::derived(rows)
    }

    /// This table's rows, with rows of `other` replacing those of the same primary key.
    pub fn update_rows(self, other: Self) -> Self {
        let other_keys = distinct_total(keys(&other.rows));
        let kept =
            antijoin(self.rows.map(|row| (row.primary_key(), row)), other_keys).map(|(_, row)| row);
        Table::<T, M>::derived(kept.concat(other.rows))
    }

    /// The rows whose primary key does not occur in `other`.
    pub fn difference<U: Schema<Key = T::Key>>(self, other: Table<'s, U, M>) -> Self {
        let other_keys = distinct_total(keys(&other.rows));
        let rows =
            antijoin(self.rows.map(|row| (row.primary_key(), row)), other_keys).map(|(_, row)| row);
        Table::<T, M>::derived(rows)
    }

    /// The rows whose primary key occurs in `other`.
    pub fn intersect<U: Schema<Key = T::Key>>(self, other: Table<'s, U, M>) -> Self {
        let other_keys = distinct_total(keys(&other.rows));
        let rows =
            semijoin(self.rows.map(|row| (row.primary_key(), row)), other_keys).map(|(_, row)| row);
        Table::<T, M>::derived(rows)
    }
}

fn keys<'s, U: Schema>(rows: &Collection<'s, U>) -> Collection<'s, U::Key> {
    rows.clone().map(|row| row.primary_key())
}
