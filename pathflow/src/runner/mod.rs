//! The runner: workers, processes, epochs, and the step loop that drives them.

mod args;
pub(crate) mod buffer;
mod cluster;
mod control;
mod report;
mod sink_op;
mod source_op;
mod worker;

use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::{AllocatorBuilder, ProcessBuilder};
use timely::communication::Hooks;
use timely::dataflow::Scope;

pub use args::RunnerArgs;
pub use report::RunReport;

use crate::errors::ErrorLog;
use crate::mode::{Batch, Mode, Streaming};
use crate::schema::Row;
use crate::sink::Sink;
use crate::source::Source;
use crate::table::{Epoch, Table};
use crate::{Error, Result};

/// Runs pipelines in mode `M`: [`Runner::batch`] or [`Runner::streaming`].
///
/// ```
/// use pathflow::prelude::*;
/// use pathflow::memory;
///
/// let (result, sink) = memory::snapshot::<i64>();
/// Runner::batch().run(move |p| {
///     let numbers = p.read(memory::rows(vec![3_i64, -1, 4]));
///     p.write(numbers.filter(|n| *n > 0), sink.clone());
/// })?;
/// assert_eq!(result.rows(), vec![3, 4]);
/// # Ok::<(), pathflow::Error>(())
/// ```
pub struct Runner<M> {
    args: Option<RunnerArgs>,
    shutdown: ShutdownHandle,
    mode: PhantomData<M>,
}

impl Runner<Batch> {
    /// A batch runner: reads bounded input to its end and writes the final result.
    pub fn batch() -> Self {
        Runner {
            args: None,
            shutdown: ShutdownHandle::default(),
            mode: PhantomData,
        }
    }
}

impl Runner<Streaming> {
    /// A streaming runner: follows its input and writes changes every epoch, until SIGINT,
    /// SIGTERM or its [`ShutdownHandle`] stops it.
    pub fn streaming() -> Self {
        Runner {
            args: None,
            shutdown: ShutdownHandle::default(),
            mode: PhantomData,
        }
    }
}

/// Stops a streaming run: the current epoch is finished and every sink flushed.
#[derive(Clone, Debug, Default)]
pub struct ShutdownHandle(Arc<AtomicBool>);

impl ShutdownHandle {
    /// Asks the run to stop.
    pub fn shutdown(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn is_shutdown(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl<M: Mode> Runner<M> {
    /// Runs with these settings instead of the defaults and `PATHFLOW_*` variables.
    pub fn args(mut self, args: RunnerArgs) -> Self {
        self.args = Some(args);
        self
    }

    /// A handle that stops the run from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Builds the pipeline with `build` on every worker and runs it.
    ///
    /// Batch runs return when the input is exhausted and every sink has written the final
    /// result. Streaming runs return after a shutdown, once the last epoch is flushed.
    pub fn run<F>(self, build: F) -> Result<RunReport>
    where
        F: for<'s> Fn(&mut Pipeline<'s, M>) + Send + Sync + 'static,
    {
        let args = match self.args {
            Some(args) => args,
            None => RunnerArgs::from_env()?,
        };
        args.validate()?;
        let started = Instant::now();
        let shared = Arc::new(Shared {
            args: args.clone(),
            streaming: M::STREAMING,
            error_log: ErrorLog::open(args.error_log.as_deref())?,
            failure: Mutex::new(None),
            stop: self.shutdown.clone(),
            report: Mutex::new(RunReport::default()),
            monitor: None,
        });
        if M::STREAMING {
            for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
                signal_hook::flag::register(signal, Arc::clone(&self.shutdown.0))
                    .map_err(|e| Error::Runtime(format!("cannot install a signal handler: {e}")))?;
            }
        }
        let threads = args.workers as usize;
        let (builders, others, shared): (Vec<AllocatorBuilder>, Box<dyn std::any::Any + Send>, _) =
            if args.processes > 1 {
                let (sockets, monitor) = cluster::connect(
                    &args.addresses,
                    args.process as usize,
                    std::time::Duration::from_secs(args.connect_timeout_s),
                )?;
                let hooks = Hooks::default();
                let local = ProcessBuilder::new_typed_vector(threads, hooks.refill.clone(), None);
                let (builders, guard) = initialize_networking_from_sockets(
                    local,
                    sockets,
                    args.process as usize,
                    threads,
                    hooks,
                )
                .map_err(|e| Error::Cluster(format!("starting the network threads: {e}")))?;
                let mut shared = Arc::into_inner(shared).expect("not yet shared");
                shared.monitor = Some(monitor);
                (
                    builders.into_iter().map(AllocatorBuilder::Tcp).collect(),
                    Box::new(guard),
                    Arc::new(shared),
                )
            } else {
                let hooks = Hooks::default();
                let builders = ProcessBuilder::new_typed_vector(threads, hooks.refill, None)
                    .into_iter()
                    .map(AllocatorBuilder::Process)
                    .collect();
                (builders, Box::new(()), shared)
            };
        let outcome = worker::run_workers::<M, F>(builders, others, Arc::clone(&shared), build);
        if let Err(error) = outcome {
            shared.error_log.close()?;
            return Err(error);
        }
        let (errors, first_errors) = shared.error_log.close()?;
        let mut report = shared
            .report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        report.input_errors = errors;
        report.first_input_errors = first_errors;
        report.elapsed = started.elapsed();
        Ok(report)
    }
}

/// What the workers of this process share.
pub(crate) struct Shared {
    pub args: RunnerArgs,
    pub streaming: bool,
    pub error_log: ErrorLog,
    pub failure: Mutex<Option<Error>>,
    pub stop: ShutdownHandle,
    pub report: Mutex<RunReport>,
    pub monitor: Option<Arc<cluster::PeerMonitor>>,
}

impl Shared {
    /// Records the first failure; every worker of the process stops at its next step.
    pub(crate) fn fail(&self, error: Error) {
        let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        // A panic in a user's function poisons timely's queues, so the process's other
        // workers may panic with "MergeQueue poisoned" first: the user's panic is the cause.
        let consequence = matches!(*failure, Some(Error::Runtime(_)))
            && matches!(error, Error::UserFunction { .. });
        if failure.is_none() || consequence {
            *failure = Some(error);
        }
    }

    pub(crate) fn has_failed(&self) -> bool {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
            || self.monitor.as_ref().is_some_and(|m| m.failure().is_some())
    }

    pub(crate) fn take_failure(&self) -> Option<Error> {
        let own = self
            .failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let peer = self.monitor.as_ref().and_then(|m| m.failure());
        match (own, peer) {
            // A lost peer poisons timely's channels, so workers then panic with messages
            // such as "MergeQueue poisoned": report the cause, the peer, instead.
            (Some(Error::Runtime(_)), Some(peer)) => Some(peer),
            (Some(own), _) => Some(own),
            (None, peer) => peer,
        }
    }
}

/// What one worker's pipeline shares between its operators.
pub(crate) struct WorkerContext {
    pub shared: Arc<Shared>,
    pub worker: usize,
    pub workers: usize,
    pub next_source: std::cell::Cell<u32>,
    /// The frontier of every sink's input: epochs before it are written everywhere.
    pub written: timely::dataflow::operators::probe::Handle<Epoch>,
    /// Set when the cluster agreed to stop.
    pub stop_all: Rc<std::cell::Cell<bool>>,
    /// Set when the pipeline's dataflow has completed on this worker.
    pub main_done: Rc<std::cell::Cell<bool>>,
}

impl WorkerContext {
    pub(crate) fn stopping(&self) -> bool {
        self.stop_all.get() || self.shared.stop.is_shutdown()
    }
}

/// The pipeline under construction on one worker: read sources, write sinks.
pub struct Pipeline<'s, M> {
    scope: Scope<'s, Epoch>,
    context: Rc<WorkerContext>,
    mode: PhantomData<M>,
}

impl<'s, M: Mode> Pipeline<'s, M> {
    /// Reads a source into a table.
    ///
    /// If the source cannot be opened (a missing file, say), the run fails with that error
    /// and the table is empty.
    pub fn read<S: Source<M>>(&mut self, source: S) -> Table<'s, S::Row, M> {
        let table = source_op::read(self.scope, Rc::clone(&self.context), source);
        S::finish(table)
    }

    /// Writes a table to a sink.
    pub fn write<T: Row, S: Sink<M, T>>(&mut self, table: Table<'s, T, M>, sink: S) {
        sink_op::write(Rc::clone(&self.context), table.rows, sink);
    }

    /// This worker's index among all workers of all processes.
    pub fn worker_index(&self) -> usize {
        self.context.worker
    }

    /// The number of workers of all processes.
    pub fn workers(&self) -> usize {
        self.context.workers
    }

    /// The dataflow scope, for building with differential dataflow directly.
    pub fn scope(&self) -> Scope<'s, Epoch> {
        self.scope
    }
}
