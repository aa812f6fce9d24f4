//! q0–q4 with pathflow on 100,000 events, checked against DuckDB running the queries' SQL
//! over the dumped events (`benches/scripts/duckdb_check.py`). Needs `python3` with the
//! `duckdb` package (`scripts/test.sh` installs it); fails without it. Set
//! `PATHFLOW_PYTHON` to use another interpreter.

use std::path::Path;
use std::process::Command;

use pathflow::{Batch, RunnerArgs, Streaming};
use pathflow_benches::baseline::dd;
use pathflow_benches::nexmark::generator::generate;
use pathflow_benches::nexmark::model::Events;
use pathflow_benches::nexmark::queries;
use pathflow_benches::run::{self, Config, System};

fn config(dump: &Path) -> Config {
    Config {
        system: System::Pathflow,
        streaming: false,
        events: 0,
        rate: None,
        distinct_words: 0,
        data_dir: dump.to_owned(),
        dump: Some(dump.to_owned()),
        runner: RunnerArgs {
            workers: 2,
            ..RunnerArgs::default()
        },
    }
}

fn check(dir: &Path, query: &str) {
    let python = std::env::var("PATHFLOW_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/duckdb_check.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(dir)
        .arg(query)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{python}` (set PATHFLOW_PYTHON): {e}"));
    assert!(
        output.status.success(),
        "{query} does not match DuckDB:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

macro_rules! check_query {
    ($events:expr, $root:expr, $q:ident) => {{
        let dir = $root.join(stringify!($q));
        let events: Events = $events.clone();
        let pathflow = (
            queries::$q::query::<Batch> as _,
            queries::$q::query::<Streaming> as _,
        );
        run::nexmark_on(&config(&dir), events, pathflow, dd::$q::query)
            .unwrap_or_else(|e| panic!("{} failed: {e}", stringify!($q)));
        check(&dir, stringify!($q));
    }};
}

#[test]
fn q0_to_q4_match_duckdb() {
    let root = tempfile::tempdir().unwrap();
    let events = generate(100_000, 2);
    check_query!(events, root.path(), q0);
    check_query!(events, root.path(), q1);
    check_query!(events, root.path(), q2);
    check_query!(events, root.path(), q3);
    check_query!(events, root.path(), q4);
}
