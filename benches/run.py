#!/usr/bin/env python3
"""Runs the benchmark matrix and writes the results table into benches/README.md.

Builds the `bench` binary (release), then for every Nexmark query and word count runs
pathflow, hand-written differential dataflow (dd) and, for word count, the single-threaded
floor, each `--runs` times, interleaved, on the same input, and takes medians. Pathway runs
q0-q8 and word count over the same data dumped to CSV, and its result is checked against
the dumped one (skipped with a note when its
virtualenv, target/pathway-venv, is missing: `python3 -m venv target/pathway-venv &&
target/pathway-venv/bin/pip install pathway`). Finally streaming word count is run at
increasing rates for the latency curve.

With valgrind installed it also counts the instructions pathflow and dd execute on each
workload (`--instructions N` events; callgrind, inside the workers' step loop only, so input
generation and start-up are left out). Instruction counts are the same from run to run
whatever else the machine does, where wall-clock rates on a shared VM drift by up to 2x.

Usage (from the repository root): python3 benches/run.py [--events N] [--words N] [--runs R]
"""

import argparse
import collections
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.environ.get("PATHFLOW_BENCH", os.path.join(ROOT, "target", "release", "bench"))
README = os.path.join(ROOT, "benches", "README.md")
PATHWAY_PYTHON = os.path.join(ROOT, "target", "pathway-venv", "bin", "python")
PATHWAY_SCRIPT = os.path.join(ROOT, "benches", "pathway", "queries.py")
START, END = "<!-- results:start -->", "<!-- results:end -->"
QUERIES = [f"q{i}" for i in range(9)]
PATHWAY_QUERIES = QUERIES + ["wordcount"]


def bench(args):
    out = subprocess.run([BENCH, *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"bench {' '.join(args)} failed:\n{out.stderr}")
    line = next(l for l in out.stdout.splitlines() if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def pathway(query, directory, events, workers):
    env = dict(os.environ, PATHWAY_THREADS=str(workers))
    out = subprocess.run(
        [PATHWAY_PYTHON, PATHWAY_SCRIPT, query, directory, "--events", str(events)],
        capture_output=True, text=True, env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(f"pathway {query} failed:\n{out.stderr[-2000:]}")
    line = next(l for l in out.stdout.splitlines() if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def instructions(args):
    """Instructions executed inside timely's step loop by `bench args` (one worker), counted
    by valgrind's callgrind: deterministic for a given binary and input."""
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--collect-atstart=no",
         "--toggle-collect=*Worker*step_or_park*", "--callgrind-out-file=/dev/null",
         BENCH, *args],
        capture_output=True, text=True, cwd=ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"callgrind bench {' '.join(args)} failed:\n{out.stderr[-2000:]}")
    refs = next(l for l in out.stderr.splitlines() if "I   refs:" in l)
    return int(refs.split(":", 1)[1].strip().replace(",", ""))


def pathway_agrees(directory):
    """Whether Pathway's result (`pathway-result.csv`: its columns plus `time` and `diff`)
    holds the same rows as the dumped result (`result.csv`), floats compared to 6 places.
    Pathway cannot name a column `id`; its queries name that column after what it holds
    (`auction` in q3, `person` in q8), the one column the dumped result does not have."""
    def read(name):
        with open(os.path.join(directory, name), newline="") as f:
            reader = csv.DictReader(f)
            return reader.fieldnames, list(reader)

    def normalized(value):
        try:
            return round(float(value), 6)
        except ValueError:
            return value

    columns, expected_rows = read("result.csv")
    names, rows = read("pathway-result.csv")
    renamed = {name: name for name in names}
    unknown = set(names) - set(columns) - {"time", "diff"}
    if "id" in columns and len(unknown) == 1:
        renamed[unknown.pop()] = "id"
    expected = collections.Counter(
        tuple(normalized(row[c]) for c in columns) for row in expected_rows
    )
    got = collections.Counter()
    for row in rows:
        row = {renamed[k]: v for k, v in row.items()}
        got[tuple(normalized(row.get(c, "")) for c in columns)] += int(row.get("diff", 1))
    return +got == expected


def median_of(runs, key):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def summary(results):
    prints = {r["fingerprint"] for r in results}
    return {
        "events_per_s": median_of(results, "events_per_s"),
        "peak_mib": median_of(results, "peak_bytes") / 2**20,
        "fingerprint": prints.pop() if len(prints) == 1 else "differs between runs",
        "runs": [r["events_per_s"] for r in results],
    }


def measure(common, systems, runs):
    """Runs every system `runs` times, interleaved (pathflow, dd, …, pathflow, dd, …), so
    that a drift in the machine's speed lands on all systems alike."""
    results = {system: [] for system in systems}
    for _ in range(runs):
        for system in systems:
            results[system].append(bench(common + ["--system", system]))
    return {system: summary(rs) for system, rs in results.items()}


def paired_ratio(row):
    """The median over runs of pathflow's rate over dd's in the same round."""
    pairs = zip(row["pathflow"]["runs"], row["dd"]["runs"])
    return statistics.median(pf / dd for pf, dd in pairs)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    with open("/proc/meminfo") as f:
        mem = int(next(l for l in f if l.startswith("MemTotal")).split()[1]) / 2**20
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, {platform.system()} {platform.release()}"


def fmt_rate(value):
    return "—" if value is None else f"{value / 1e6:.2f} M"


def fmt_ratio(a, b):
    return "—" if a is None or b is None else f"{a / b:.2f}×"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="Nexmark events")
    parser.add_argument("--words", type=int, default=10_000_000, help="word count rows")
    parser.add_argument("--runs", type=int, default=5, help="runs per cell (median)")
    parser.add_argument("--pathway-runs", type=int, default=1, help="Pathway runs per cell")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rates", default="50000,100000,250000,500000",
                        help="streaming word count rates (events/s) for the latency curve")
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="seconds of input per latency run")
    parser.add_argument("--instructions", type=int, default=1_000_000,
                        help="events (or words) per callgrind instruction count; 0 skips them")
    parser.add_argument("--no-build", action="store_true",
                        help="use target/release/bench as it is")
    args = parser.parse_args()

    if not args.no_build:
        subprocess.run(
            ["cargo", "build", "--release", "-p", "pathflow-benches", "--bin", "bench"],
            cwd=ROOT, check=True,
        )
    started = time.time()
    workers = ["--workers", str(args.workers)]
    data = os.path.join(ROOT, "target", "bench-data")
    rows = []
    for query in QUERIES + ["wordcount"]:
        size = args.words if query == "wordcount" else args.events
        common = ["--query", query, "--events", str(size), *workers]
        row = {"query": query, "events": size}
        systems = ["pathflow", "dd"] + (["floor"] if query == "wordcount" else [])
        row.update(measure(common, systems, args.runs))
        for system in systems:
            print(query, system, row[system], file=sys.stderr)
        if args.instructions and shutil.which("valgrind"):
            counted = ["--query", query, "--events", str(args.instructions), "--workers", "1"]
            row["instructions"] = {
                system: instructions(counted + ["--system", system])
                for system in ["pathflow", "dd"]
            }
            print(query, "instructions", row["instructions"], file=sys.stderr)
        if query in PATHWAY_QUERIES and os.path.exists(PATHWAY_PYTHON):
            directory = os.path.join(data, f"dump-{query}-{size}")
            bench(common + ["--system", "dd", "--dump", directory])
            try:
                runs = [pathway(query, directory, size, args.workers)
                        for _ in range(args.pathway_runs)]
                row["pathway"] = {"events_per_s": median_of(runs, "events_per_s"),
                                  "agrees": pathway_agrees(directory)}
                print(query, "pathway", row["pathway"], file=sys.stderr)
            except RuntimeError as error:
                print(error, file=sys.stderr)
        rows.append(row)

    curve = []
    for rate in [int(r) for r in args.rates.split(",")]:
        events = int(rate * args.seconds)
        point = {"rate": rate}
        for system in ["pathflow", "dd"]:
            r = bench(["--query", "wordcount", "--mode", "streaming", "--events", str(events),
                       "--rate", str(rate), "--system", system, *workers])
            point[system] = r
            print("latency", rate, system, r["p50_ms"], r["p95_ms"], r["p99_ms"], file=sys.stderr)
        curve.append(point)

    with open(os.path.join(data, "matrix.json"), "w") as f:
        json.dump({"rows": rows, "curve": curve}, f, indent=1)
    write_readme(args, rows, curve, time.time() - started)


def write_readme(args, rows, curve, seconds):
    command = (f"python3 benches/run.py --events {args.events} --words {args.words} "
               f"--runs {args.runs} --pathway-runs {args.pathway_runs} "
               f"--instructions {args.instructions} "
               f"--workers {args.workers} --rates {args.rates} --seconds {args.seconds}")
    pathway_note = ("Pathway: " + subprocess.run(
        [PATHWAY_PYTHON, "-c", "import pathway; print(pathway.__version__)"],
        capture_output=True, text=True).stdout.strip()) if os.path.exists(PATHWAY_PYTHON) \
        else "Pathway: not installed (target/pathway-venv missing), its columns are empty"
    lines = [
        START,
        f"Measured in one run on {time.strftime('%Y-%m-%d', time.gmtime())}, "
        f"{seconds / 60:.0f} minutes, on: {machine()}. {pathway_note}.",
        "",
        f"Command: `{command}`",
        "",
        f"Batch, {args.workers} worker(s), median of {args.runs} runs (Pathway: of "
        f"{args.pathway_runs}). Throughput in millions of input events per second; "
        "peak memory is the process's peak resident set during the run, input included.",
        "",
        "| query | events | pathflow | dd | floor | Pathway | pathflow/dd | paired "
        "| pathflow/floor | pathflow/Pathway | instructions pathflow/dd "
        "| peak MiB pathflow / dd | same result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        pf, dd = row["pathflow"], row["dd"]
        floor, pw_, counts = row.get("floor"), row.get("pathway"), row.get("instructions")
        same = "yes" if pf["fingerprint"] == dd["fingerprint"] and (
            floor is None or floor["fingerprint"] == pf["fingerprint"]) and (
            pw_ is None or pw_.get("agrees", False)) else "**no**"
        # Times, not rates, for the floor: pathflow/floor is how many times the floor's time.
        vs_floor = fmt_ratio(floor["events_per_s"], pf["events_per_s"]) if floor else "—"
        lines.append(
            f"| {row['query']} | {row['events']:,} | {fmt_rate(pf['events_per_s'])} "
            f"| {fmt_rate(dd['events_per_s'])} | {fmt_rate(floor and floor['events_per_s'])} "
            f"| {fmt_rate(pw_ and pw_['events_per_s'])} "
            f"| {fmt_ratio(pf['events_per_s'], dd['events_per_s'])} "
            f"| {paired_ratio(row):.2f}× | {vs_floor} "
            f"| {fmt_ratio(pf['events_per_s'], pw_ and pw_['events_per_s'])} "
            f"| {fmt_ratio(counts and counts['pathflow'], counts and counts['dd'])} "
            f"| {pf['peak_mib']:.0f} / {dd['peak_mib']:.0f} | {same} |"
        )
    lines += [
        "",
        "pathflow/dd and pathflow/Pathway are throughput ratios (above 1: pathflow faster); "
        "paired is the median of pathflow/dd over the rounds of the interleaved runs "
        "(pathflow, dd, pathflow, dd, …), steadier when the machine's speed drifts; "
        "pathflow/floor is pathflow's time over the floor's (the target is at most 1.2×); "
        f"instructions pathflow/dd is the ratio of instructions executed on "
        f"{args.instructions:,} events (below 1: pathflow executes fewer), counted by "
        "callgrind inside the workers' step loop, the same from run to run.",
        "",
        f"Streaming word count, {args.workers} worker(s), input paced at the rate for "
        f"{args.seconds:g} s, latency from an event's entry to the output epoch reflecting it "
        "(first 10% of the input excluded as warm-up):",
        "",
        "| rate (events/s) | pathflow achieved | pathflow p50 / p95 / p99 ms "
        "| dd achieved | dd p50 / p95 / p99 ms |",
        "|---:|---:|---:|---:|---:|",
    ]
    for point in curve:
        cells = []
        for system in ["pathflow", "dd"]:
            r = point[system]
            lat = " / ".join("—" if r[k] is None else f"{r[k]:.1f}"
                             for k in ["p50_ms", "p95_ms", "p99_ms"])
            cells += [f"{r['events_per_s']:,.0f}", lat]
        lines.append(f"| {point['rate']:,} | " + " | ".join(cells) + " |")
    lines.append(END)
    with open(README) as f:
        text = f.read()
    if START not in text or END not in text:
        sys.exit(f"{README} has no {START} … {END} section to fill")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    with open(README, "w") as f:
        f.write(before + "\n".join(lines) + after)
    print(f"wrote the table into {README}", file=sys.stderr)


if __name__ == "__main__":
    main()
