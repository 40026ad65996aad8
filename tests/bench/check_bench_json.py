#!/usr/bin/env python3
"""Smoke test of jaegis-bench: runs `jaegis-bench --quick --json FILE` and checks that the JSON is
well formed and complete (every workload, every side, every figure, the floors and one ratio per
workload, nothing else), then that bad command lines are refused with status 2. It checks the
shape of the output, never how fast anything was: speed is for the benchmark to show.

usage: check_bench_json.py JAEGIS_BENCH JSON_OUT
"""

import json
import math
import subprocess
import sys
import time

LATENCY = ["rtt_p50", "rtt_p99", "rtt_p99.9"]
RATE = ["rate"]

# workload -> figures: "sides" for both jaegis and caf, "floor" for the floor, and "jaegis" for
# figures only JAEGIS has (pingpong-cross's worker-to-worker variant, which CAF cannot express).
# The shm workloads have no CAF side (CAF has no shared-memory transport): "jaegis" is JAEGIS over
# shm, "jaegis-tcp" JAEGIS over TCP, and their ratio is "vs_tcp" instead of "vs_caf".
EXPECTED = {
    "pingpong": {"sides": LATENCY + RATE, "floor": LATENCY},
    "pingpong-cross": {"sides": LATENCY + RATE, "floor": LATENCY,
                       "jaegis": ["w2w_rtt_p50", "w2w_rtt_p99", "w2w_rtt_p99.9", "w2w_rate"]},
    "mailbox": {"sides": RATE},
    "creation": {"sides": RATE},
    "memory": {"sides": ["rss_per_actor"]},
    "ring": {"sides": RATE},
    "fanout": {"sides": ["round_p50", "round_p99"] + RATE},
    "big": {"sides": RATE},
    "chameneos": {"sides": RATE},
    "loaded-latency": {"sides": LATENCY + ["saturation", "pipelined", "offered", "achieved"], "floor": LATENCY},
    "remote-pingpong": {"sides": ["rtt_p50", "rtt_p99", "rtt_p99.9", "rate"],
                        "floor": ["rtt_p50", "rtt_p99", "rtt_p99.9", "rate"]},
    "remote-throughput": {"sides": RATE, "floor": RATE},
    "shm-pingpong": {"jaegis": LATENCY + RATE, "jaegis-tcp": LATENCY + RATE,
                     "floor": LATENCY + RATE, "ratio": "vs_tcp"},
    "shm-throughput": {"jaegis": RATE, "jaegis-tcp": RATE, "floor": RATE, "ratio": "vs_tcp"},
}
IMPLS = ("jaegis", "caf", "jaegis-tcp", "floor", "ratio")
RATIOS = ("vs_caf", "vs_tcp")
KEYS = {"workload", "impl", "metric", "value", "unit"}


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def expected_rows():
    rows = set()
    for workload, spec in EXPECTED.items():
        for impl in ("jaegis", "caf"):
            rows.update((workload, impl, m) for m in spec.get("sides", []) + spec.get(impl, []))
        for impl in ("floor", "jaegis-tcp"):
            rows.update((workload, impl, m) for m in spec.get(impl, []))
        rows.add((workload, "ratio", spec.get("ratio", "vs_caf")))
    return rows


def check_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path} is not valid JSON: {e}")
    if not isinstance(data, list) or not data:
        fail("the JSON is not a non-empty array")
    seen = set()
    for i, row in enumerate(data):
        if not isinstance(row, dict) or set(row) != KEYS:
            fail(f"entry {i} is not an object with exactly the keys {sorted(KEYS)}: {row}")
        for key in KEYS - {"value"}:
            if not isinstance(row[key], str) or not row[key]:
                fail(f"entry {i}: {key} is not a non-empty string: {row}")
        value = row["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            fail(f"entry {i}: value is not a number: {row}")
        # Every figure here is a rate, a latency, a byte count or a ratio: positive and finite.
        if not math.isfinite(value) or value <= 0:
            fail(f"entry {i}: value is not a positive finite number: {row}")
        if row["impl"] not in IMPLS:
            fail(f"entry {i}: impl is not {'|'.join(IMPLS)}: {row}")
        if row["impl"] == "ratio" and (row["metric"] not in RATIOS or row["unit"] != "x"):
            fail(f"entry {i}: a ratio must be metric {'|'.join(RATIOS)}, unit x: {row}")
        key = (row["workload"], row["impl"], row["metric"])
        if key in seen:
            fail(f"entry {i} repeats {key}")
        seen.add(key)
    expected = expected_rows()
    missing = sorted(expected - seen)
    extra = sorted(seen - expected)
    if missing:
        fail(f"figures missing from the JSON: {missing}")
    if extra:
        fail(f"figures the test does not know (update EXPECTED): {extra}")
    print(f"ok: {len(data)} figures, {len(EXPECTED)} workloads, all present and positive")


def check_refused(bench, args):
    result = subprocess.run([bench] + args, capture_output=True, text=True, timeout=60)
    if result.returncode != 2:
        fail(f"{args} exited with {result.returncode}, expected 2")
    if not result.stderr.strip():
        fail(f"{args} was refused without a message on stderr")
    print(f"ok: {args} refused with status 2: {result.stderr.splitlines()[0]}")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    bench, json_path = sys.argv[1], sys.argv[2]
    start = time.monotonic()
    result = subprocess.run([bench, "--quick", "--json", json_path], timeout=900)
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        fail(f"jaegis-bench --quick exited with status {result.returncode}")
    print(f"jaegis-bench --quick took {elapsed:.1f} s")
    check_json(json_path)
    for args in (["--bogus"], ["--rounds", "0"], ["--rounds"], ["--workers", "x"], ["no-such-workload"]):
        check_refused(bench, args)


if __name__ == "__main__":
    main()
