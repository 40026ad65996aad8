#!/usr/bin/env python3
"""Plots jaegis-bench's JAEGIS/CAF ratios (the "ratio vs_caf" medians of a --json file) as a bar
chart on a log scale, with the issue's goal for each workload that has one.

usage: plot_ratios.py RESULTS.json OUT.png [--title TEXT]

Needs matplotlib (Debian: apt-get install python3-matplotlib; where a pyenv python3 comes first
in PATH, run it with /usr/bin/python3).
"""

import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

# The goals for the 2-core machine, as JAEGIS/CAF ratios (drawn as a line on the bar).
GOALS = {
    "pingpong": 8,
    "mailbox": 5,
    "ring": 5,
    "fanout": 5,
    "big": 5,
    "creation": 10,
    "chameneos": 3,
}


# Goals that are no ratio: (workload, description, check(figures) -> (met, shown value)). figures
# maps (impl, metric) to the median of the run.
ABSOLUTE_GOALS = {
    "memory": ("JAEGIS <= 128 B per idle actor",
               lambda f: (f[("jaegis", "rss_per_actor")] <= 128,
                          f"{f[('jaegis', 'rss_per_actor')]:.0f} B")),
    "pingpong-cross": ("JAEGIS worker-to-worker p50 <= 1.5x floor",
                       lambda f: (f[("jaegis", "w2w_rtt_p50")] <= 1.5 * f[("floor", "rtt_p50")],
                                  f"{f[('jaegis', 'w2w_rtt_p50')] / f[('floor', 'rtt_p50')]:.1f}x floor")),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json_file")
    parser.add_argument("png_file")
    parser.add_argument("--title", default="jaegis-bench: JAEGIS vs CAF 0.17 (> 1: JAEGIS better)")
    args = parser.parse_args()

    with open(args.json_file, encoding="utf-8") as f:
        rows = json.load(f)
    ratios = [(r["workload"], r["value"]) for r in rows
              if r["impl"] == "ratio" and r["metric"] == "vs_caf"]
    if not ratios:
        sys.exit(f"{args.json_file} holds no ratio vs_caf figure")
    names = [w for w, _ in ratios]
    values = [v for _, v in ratios]
    figures = {}
    for r in rows:
        figures.setdefault(r["workload"], {})[(r["impl"], r["metric"])] = r["value"]

    # green: the goal met; orange: missed; grey: no goal for this workload.
    colours, notes = [], []
    for w, v in ratios:
        if w in GOALS:
            met, note = v >= GOALS[w], f"goal {GOALS[w]}x"
        elif w in ABSOLUTE_GOALS:
            text, check = ABSOLUTE_GOALS[w]
            met, shown = check(figures[w])
            note = f"{text}: {shown}"
        else:
            met, note = None, ""
        colours.append("tab:grey" if met is None else ("tab:green" if met else "tab:orange"))
        notes.append(note)

    fig, ax = plt.subplots(figsize=(11, 5.5))
    bars = ax.bar(range(len(values)), values, color=colours)
    ax.set_yscale("log")
    ax.axhline(1, color="black", linewidth=1)
    for i, w in enumerate(names):
        if w in GOALS:
            ax.plot([i - 0.4, i + 0.4], [GOALS[w]] * 2, color="tab:blue", linewidth=2,
                    label="goal" if i == next(k for k, n in enumerate(names) if n in GOALS) else None)
    for bar, v, note in zip(bars, values, notes):
        ax.annotate(f"{v:.2g}x", (bar.get_x() + bar.get_width() / 2, v), ha="center",
                    va="bottom", fontsize=9)
        if note and not note.startswith("goal "):
            ax.annotate(note, (bar.get_x() + bar.get_width() / 2, 1.05), ha="center",
                        va="bottom", fontsize=7, rotation=90)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_ylabel("JAEGIS / CAF (median over rounds, log scale)")
    ax.set_title(args.title)
    from matplotlib.patches import Patch  # noqa: E402 (only needed here)
    handles, labels = ax.get_legend_handles_labels()
    handles += [Patch(color="tab:green"), Patch(color="tab:orange"), Patch(color="tab:grey")]
    labels += ["goal met", "goal missed", "no goal"]
    ax.legend(handles, labels, loc="upper right", fontsize=8)
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.png_file, dpi=110)
    print(f"wrote {args.png_file}")


if __name__ == "__main__":
    main()
