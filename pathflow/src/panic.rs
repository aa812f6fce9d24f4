//! Turning a panic in a user's function into an error that names the operator and the row.

use std::any::Any;
use std::fmt::Debug;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

/// The payload a panic in a user function is re-raised with, caught by the runner.
#[derive(Debug)]
pub(crate) struct UserPanic {
    pub operator: &'static str,
    pub message: String,
    pub row: Option<String>,
}

/// Calls `f(row)`; if it panics, re-panics with a [`UserPanic`] naming `operator` and `row`.
#[inline]
pub(crate) fn guarded<T: Debug + ?Sized, R>(
    operator: &'static str,
    row: &T,
    f: impl FnOnce() -> R,
) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(payload) => reraise(operator, row, payload),
    }
}

/// Calls `f`, which works through a container of rows and keeps `at` on the index of the
/// row it is at; if it panics, returns that index and the panic, for [`reraise`] with the
/// row. One guard for a whole container costs less than one per row, and lets the row's
/// function be inlined.
#[inline]
pub(crate) fn guarded_rows<R>(
    f: impl FnOnce(&mut usize) -> R,
) -> Result<R, (usize, Box<dyn Any + Send>)> {
    let mut at = 0;
    catch_unwind(AssertUnwindSafe(|| f(&mut at))).map_err(|payload| (at, payload))
}

/// Re-panics with a [`UserPanic`] for a panic of `operator`'s function on `row`.
#[cold]
pub(crate) fn reraise<T: Debug + ?Sized>(
    operator: &'static str,
    row: &T,
    payload: Box<dyn Any + Send>,
) -> ! {
    resume_unwind(Box::new(UserPanic {
        operator,
        message: panic_message(payload.as_ref()),
        row: Some(truncate(format!("{row:?}"), 500)),
    }))
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(user) = payload.downcast_ref::<UserPanic>() {
        user.message.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_owned()
    }
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}
