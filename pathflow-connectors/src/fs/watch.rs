//! Noticing changes to followed files: `notify` events where the platform has them, and a
//! rescan every poll interval whatever happens (the fallback for network filesystems and
//! for platforms or limits that refuse a watch).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use pathflow::source::Waker;

/// A filesystem watch on a directory: says whether anything happened since last asked,
/// and wakes the source's worker when something does.
pub(crate) struct Watch {
    shared: Arc<Shared>,
    /// Kept alive for its events; `None` when watching failed and polling alone remains.
    _watcher: Option<RecommendedWatcher>,
}

#[derive(Default)]
struct Shared {
    changed: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Watch {
    /// Watches `root` (and below it if `recursive`). If the platform refuses, says so on
    /// stderr once and relies on polling.
    pub(crate) fn start(root: &Path, recursive: bool, source: &str) -> Self {
        let shared = Arc::new(Shared::default());
        let events = Arc::clone(&shared);
        let watcher = notify::recommended_watcher(move |_event: notify::Result<notify::Event>| {
            events.changed.store(true, Ordering::SeqCst);
            let waker = events.waker.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(waker) = waker.as_ref() {
                waker.wake();
            }
        })
        .and_then(|mut watcher| {
            let mode = if recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            watcher.watch(root, mode).map(|()| watcher)
        });
        let watcher = match watcher {
            Ok(watcher) => Some(watcher),
            Err(error) => {
                eprintln!(
                    "pathflow: {source}: cannot watch `{}` for changes ({error}); polling it instead",
                    root.display()
                );
                None
            }
        };
        Watch {
            shared,
            _watcher: watcher,
        }
    }

    /// No watch: changes are found by polling alone.
    pub(crate) fn none() -> Self {
        Watch {
            shared: Arc::default(),
            _watcher: None,
        }
    }

    /// Wakes `waker`'s worker on every event from now on.
    pub(crate) fn set_waker(&self, waker: Waker) {
        *self.shared.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(waker);
    }

    /// Whether an event arrived since the last call.
    pub(crate) fn take_changed(&self) -> bool {
        self.shared.changed.swap(false, Ordering::SeqCst)
    }
}
