//! Execution modes as types: a pipeline, its tables and its connectors carry the mode.
//!
//! A connector implements [`Source<M>`](crate::Source) and [`Sink<M, T>`](crate::Sink) for
//! each mode it supports, so using a streaming-only source in a batch run, or a batch-only
//! sink on a stream, is a compile error rather than a surprise in production.

use std::fmt;

/// An execution mode: [`Batch`] or [`Streaming`].
pub trait Mode: sealed::Sealed + Copy + fmt::Debug + Default + Send + Sync + 'static {
    /// The mode's name, for messages.
    const NAME: &'static str;
    /// Whether sources follow their input after reading what is there.
    const STREAMING: bool;
}

/// Bounded input run to completion; sinks see only the final result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Batch;

/// Unbounded input; every commit interval closes an epoch and sinks see its changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Streaming;

impl Mode for Batch {
    const NAME: &'static str = "batch";
    const STREAMING: bool = false;
}

impl Mode for Streaming {
    const NAME: &'static str = "streaming";
    const STREAMING: bool = true;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Batch {}
    impl Sealed for super::Streaming {}
}
