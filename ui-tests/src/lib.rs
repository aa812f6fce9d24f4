//! Compile tests for pathflow's macros: `tests/ui/*.rs` are programs that must fail to
//! compile with the message in the `.stderr` beside them; `tests/ui/pass/*.rs` must compile
//! and run. Run them with `cargo test -p pathflow-ui-tests`; after a deliberate change to a
//! message, regenerate the `.stderr` files with `TRYBUILD=overwrite` and read every diff.
