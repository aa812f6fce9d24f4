//! Stopping every worker of every process when one of them is asked to stop.

use std::rc::Rc;
use std::time::Duration;

use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::source;
use timely::dataflow::operators::generic::Operator;
use timely::worker::Worker;

use crate::runner::WorkerContext;

/// Installs a small dataflow that tells every worker to stop when this worker's process
/// receives SIGINT, SIGTERM or a shutdown. It ends when the pipeline has.
pub(crate) fn install(worker: &mut Worker, context: &Rc<WorkerContext>) {
    let sender = Rc::clone(context);
    let stop_all = Rc::clone(&context.stop_all);
    worker.dataflow_named::<u64, _, _>("pathflow-control", move |scope| {
        let peers = scope.peers();
        let activator_scope = scope;
        let stops = source::<_, CapacityContainerBuilder<Vec<usize>>, _, _>(
            scope,
            "StopSignal",
            move |capability, info| {
                let activator = activator_scope.activator_for(info.address);
                let mut capability = Some(capability);
                let mut sent = false;
                move |output| {
                    if let Some(cap) = &capability {
                        if !sent && sender.shared.stop.is_shutdown() {
                            sent = true;
                            let mut session = output.session(cap);
                            for target in 0..peers {
                                session.give(target);
                            }
                        }
                    }
                    if sender.main_done.get() {
                        capability = None;
                    } else {
                        activator.activate_after(Duration::from_millis(20));
                    }
                }
            },
        );
        stops.sink(
            Exchange::new(|target: &usize| *target as u64),
            "StopAll",
            move |(input, _)| {
                input.for_each(|_, data| {
                    if !data.is_empty() {
                        stop_all.set(true);
                    }
                });
            },
        );
    });
}
