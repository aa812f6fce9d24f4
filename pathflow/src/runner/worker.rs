//! The worker threads and their step loop.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use timely::communication::allocator::{Allocator, AllocatorBuilder};
use timely::communication::initialize_from;
use timely::worker::Worker;
use timely::WorkerConfig;

use crate::mode::Mode;
use crate::panic::UserPanic;
use crate::runner::{control, Pipeline, Shared, WorkerContext};
use crate::table::Epoch;
use crate::{Error, Result};

/// How long a worker sleeps when it has nothing to do, before checking for failures.
const PARK: Duration = Duration::from_millis(20);

/// Starts one thread per worker, runs the pipeline on each, and waits for all of them.
///
/// On a failure the network threads are not joined (a dead peer would make that hang or
/// panic): the error is returned and the process is expected to exit.
pub(crate) fn run_workers<M, F>(
    builders: Vec<AllocatorBuilder>,
    others: Box<dyn std::any::Any + Send>,
    shared: Arc<Shared>,
    build: F,
) -> Result<()>
where
    M: Mode,
    F: for<'s> Fn(&mut Pipeline<'s, M>) + Send + Sync + 'static,
{
    let threads = builders.len();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let done_tx = std::sync::Mutex::new(done_tx);
    let worker_shared = Arc::clone(&shared);
    let guards = initialize_from(builders, others, move |allocator| {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            worker_main::<M, F>(allocator, &worker_shared, &build)
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(error)) => worker_shared.fail(error),
            Err(payload) => worker_shared.fail(panic_error(payload)),
        }
        let _ = done_tx.lock().unwrap_or_else(|e| e.into_inner()).send(());
    })
    .map_err(|e| Error::Runtime(format!("cannot start worker threads: {e}")))?;

    let mut finished = 0;
    while finished < threads {
        match done_rx.recv_timeout(PARK) {
            Ok(()) => finished += 1,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if shared.has_failed() {
            // Give the other workers a moment to notice and stop; then leave them.
            let deadline = Instant::now() + Duration::from_secs(2);
            while finished < threads && Instant::now() < deadline {
                if done_rx.recv_timeout(PARK).is_ok() {
                    finished += 1;
                }
            }
            std::mem::forget(guards);
            return Err(shared.take_failure().expect("a failure was recorded"));
        }
    }
    guards.join();
    match shared.take_failure() {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

fn worker_main<M, F>(allocator: Allocator, shared: &Arc<Shared>, build: &F) -> Result<()>
where
    M: Mode,
    F: for<'s> Fn(&mut Pipeline<'s, M>) + Send + Sync + 'static,
{
    let mut worker = Worker::new(WorkerConfig::default(), allocator, Some(Instant::now()));
    let context = Rc::new(WorkerContext {
        shared: Arc::clone(shared),
        worker: worker.index(),
        workers: worker.peers(),
        next_source: std::cell::Cell::new(0),
        written: timely::dataflow::operators::probe::Handle::new(),
        stop_all: Rc::new(std::cell::Cell::new(false)),
        main_done: Rc::new(std::cell::Cell::new(false)),
    });
    let main = worker.next_dataflow_index();
    worker.dataflow_named::<Epoch, _, _>("pathflow", |scope| {
        let mut pipeline = Pipeline {
            scope,
            context: Rc::clone(&context),
            mode: Default::default(),
        };
        let _late_events = crate::window::report_late_events_to(shared.error_log.clone());
        build(&mut pipeline);
    });
    if M::STREAMING {
        control::install(&mut worker, &context);
    }
    while worker.has_dataflows() {
        if shared.has_failed() {
            return Ok(());
        }
        if !context.main_done.get() && !worker.installed_dataflows().contains(&main) {
            context.main_done.set(true);
        }
        worker.step_or_park(Some(PARK));
    }
    Ok(())
}

fn panic_error(payload: Box<dyn std::any::Any + Send>) -> Error {
    match payload.downcast::<UserPanic>() {
        Ok(user) => Error::UserFunction {
            operator: user.operator.to_owned(),
            message: user.message,
            row: user.row,
        },
        Err(payload) => Error::Runtime(format!(
            "a worker panicked: {}",
            crate::panic::panic_message(payload.as_ref())
        )),
    }
}
