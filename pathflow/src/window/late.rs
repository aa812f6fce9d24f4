//! Late events: ignored by the windows, counted and written to the run's error log.

use std::cell::RefCell;
use std::fmt::Debug;

use crate::errors::{ErrorLog, ErrorPolicy, InputError};
use crate::table::Epoch;
use crate::time::{Duration, Timestamp};

thread_local! {
    /// The error log of the run whose pipeline this thread is building.
    static RUN_ERROR_LOG: RefCell<Option<ErrorLog>> = const { RefCell::new(None) };
}

/// Makes the windowed tables built on this thread report late events to `log`, until the
/// returned guard is dropped. The runner holds one while a worker builds its pipeline.
pub(crate) fn report_late_events_to(log: ErrorLog) -> LateEventsGuard {
    let previous = RUN_ERROR_LOG.with(|current| current.replace(Some(log)));
    LateEventsGuard { previous }
}

/// Restores the previous error log for late events when dropped.
pub(crate) struct LateEventsGuard {
    previous: Option<ErrorLog>,
}

impl Drop for LateEventsGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        RUN_ERROR_LOG.with(|current| current.replace(previous));
    }
}

/// Where one window operator reports the events it found late.
pub(crate) struct LateEvents {
    log: Option<ErrorLog>,
}

impl LateEvents {
    /// The reporter for an operator built now, on this thread.
    pub fn for_this_pipeline() -> Self {
        LateEvents {
            log: RUN_ERROR_LOG.with(|current| current.borrow().clone()),
        }
    }

    /// Records `copies` late events of `instance` at `at`, seen in `epoch` under `watermark`.
    pub fn record(
        &self,
        epoch: Epoch,
        instance: &impl Debug,
        at: Timestamp,
        watermark: Timestamp,
        cutoff: Duration,
        copies: isize,
    ) {
        let Some(log) = &self.log else {
            return;
        };
        let error = InputError::new(
            "windowby",
            format!("epoch {epoch}"),
            format!("instance {instance:?}, event time {at}"),
            format!(
                "late event: its time {} is more than the cutoff ({} ms) before the watermark {}, \
                 so it was ignored; raise the cutoff to accept events this late",
                at.to_rfc3339(),
                cutoff.millis(),
                watermark.to_rfc3339()
            ),
        );
        for _ in 0..copies.unsigned_abs() {
            // Late events never stop a run: they are logged and counted under `skip`.
            let _ = log.record(error.clone(), ErrorPolicy::Skip);
        }
    }
}
