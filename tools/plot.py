#!/usr/bin/python3
"""Draw the multiprocessing study's figures from one results file.

    /usr/bin/python3 tools/plot.py [RESULTS] [--results-dir DIR]
                                   [--out-dir DIR] [--summary]
                                   [--check-layout]

RESULTS is a results file: the five-column `.txt` (procs action amount
size mean_seconds, as the original study wrote them) or the full `.tsv`
that `tools/test-matrix.sh` writes beside it. Given a `.txt` whose `.tsv`
sibling exists, the `.tsv` is read, since it holds everything the `.txt`
does and more. Without RESULTS, the newest results file in --results-dir
(default `results/`) is drawn.

Written into --out-dir (default `plots/`), NAME being the results file's
name without its extension:

    NAME.png           operations per second per action, one bar per
                       process count, one panel per scenario (the
                       original's figure, with the spread over repeats)
    NAME-latency.png   p50 and p99 latency per action and process count
    NAME-cpu.png       CPU cores used by the client, haproxy and the
                       servers: where the time went
    NAME-fronts.png    the fronts side by side, when several were run

The first three are drawn for the main front (haproxy when it was run,
else the first front in the file, as in the `.txt`); the other fronts get
the same figures as NAME-FRONT.png, NAME-FRONT-latency.png and
NAME-FRONT-cpu.png. A five-column file has no latency or CPU, so only
NAME.png is drawn from it. Combinations missing from the file are marked
"n/a" where their bar would be.

In NAME.png a bar is amount / mean run time, as in the original; its
whisker runs from the slowest repeat to the fastest; a hatched bar was
client-bound, a red cross had failed requests. When a panel's bars differ
more than tenfold (baseline against put, with a fast server) its axis is
logarithmic and says so.

--summary prints those bar heights as text instead of drawing;
--check-layout fails when a text of a figure runs off it or lies on
another (always reported as a warning).

Needs matplotlib: run it with Debian's /usr/bin/python3.
"""

import argparse
import csv
import math
import os
import signal
import sys

import matplotlib

matplotlib.use("Agg")  # files only: never open a window

import matplotlib.pyplot as plt  # noqa: E402  (after the backend choice)
from matplotlib import ticker  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

# The original's actions in the original's order, and the names its figure
# gave them: an operation of the last three is a PUT and then one more
# request.
ACTION_ORDER = ["baseline", "list", "put", "get", "flag", "delete"]
ACTION_LABELS = {
    "baseline": "baseline",
    "list": "list",
    "put": "put",
    "get": "put+get",
    "flag": "put+flag",
    "delete": "put+delete",
}

MAIN_FRONT = "haproxy"

# The project's folder: results/ and plots/ are found from it, wherever
# the plotter is run from.
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A client using more than this share of one core is the bottleneck of
# its run, whatever the servers could do (the matrix marks such rows).
CLIENT_BOUND_SHARE = 0.8

# Columns a `.tsv` must have to be drawn at all; the others are optional
# and missing values show as gaps.
TSV_REQUIRED = ["front", "procs", "action", "amount", "size_kib", "mean_s"]
TSV_INTEGERS = {"procs", "amount", "size_kib", "connections", "repeats",
                "client_bound"}
TSV_TEXT = {"front", "action"}

FIGURE_DPI = 110
PANEL_WIDTH_IN = 10.0
PANEL_HEIGHT_IN = 3.3
# Bars whose heights differ by more than this factor get a log axis.
LOG_SCALE_RATIO = 10.0

# The fronts figure has a column per action; with one or two its title
# still needs the room.
FRONTS_MIN_WIDTH_IN = 9.0

CPU_PARTS = [
    ("client_cpu_s", "client (blobs-bench)", "#4c72b0"),
    ("haproxy_cpu_s", "haproxy", "#dd8452"),
    ("servers_cpu_s", "servers (all blobs-server processes)", "#55a868"),
]


class ResultsError(Exception):
    """A results file that cannot be drawn; the message names the line."""


class LayoutError(Exception):
    """A figure with unreadable text, under --check-layout."""


def parse_number(text, integer):
    text = text.strip()
    if text == "" or text.lower() in ("nan", "-", "na", "n/a"):
        return math.nan
    if integer:
        return int(text)
    return float(text)


def read_five_columns(path):
    """Rows of an original-style file: procs action amount size mean."""
    rows = []
    with open(path, encoding="utf-8") as results:
        for number, line in enumerate(results, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue

            fields = text.split()
            if len(fields) != 5:
                raise ResultsError(
                    f"{path}:{number}: expected 5 columns (procs action "
                    f"amount size mean_seconds), found {len(fields)}")

            try:
                rows.append({
                    "front": None,
                    "procs": int(fields[0]),
                    "action": fields[1],
                    "amount": int(fields[2]),
                    "size_kib": int(fields[3]),
                    "mean_s": float(fields[4]),
                })
            except ValueError as error:
                raise ResultsError(f"{path}:{number}: {error}") from None
    return rows


def read_tsv(path):
    """Rows of a matrix `.tsv`: a header row, then one row per result."""
    rows = []
    with open(path, encoding="utf-8", newline="") as results:
        reader = csv.reader(results, delimiter="\t")
        header = next(reader, None)
        if header is None:
            raise ResultsError(f"{path}: empty file, expected a header row")

        header = [name.strip() for name in header]
        missing = [name for name in TSV_REQUIRED if name not in header]
        if missing:
            raise ResultsError(
                f"{path}:1: header lacks the column(s) {' '.join(missing)}")

        for number, fields in enumerate(reader, 2):
            if not fields or not "".join(fields).strip():
                continue
            if fields[0].startswith("#"):
                continue
            if len(fields) != len(header):
                raise ResultsError(
                    f"{path}:{number}: {len(fields)} fields, the header "
                    f"has {len(header)}")

            row = {}
            for name, text in zip(header, fields):
                if name in TSV_TEXT:
                    row[name] = text.strip() or None
                    continue
                try:
                    row[name] = parse_number(text, name in TSV_INTEGERS)
                except ValueError:
                    raise ResultsError(
                        f"{path}:{number}: column {name}: not a number: "
                        f"{text!r}") from None
            for name in ("procs", "amount", "size_kib"):
                if math.isnan(row[name]):
                    raise ResultsError(f"{path}:{number}: no {name}")
            if not row["action"]:
                raise ResultsError(f"{path}:{number}: no action")
            rows.append(row)
    return rows


def action_label(action):
    return ACTION_LABELS.get(action, action)


def scenario_label(scenario):
    amount, size = scenario
    return f"{amount} × {size} KiB"


def plural(count, word):
    return f"{count} {word}" if count == 1 else f"{count} {word}es"


def finite(value):
    return value is not None and not math.isnan(value)


class Dimensions:
    """The process counts, actions and scenarios that some rows cover.

    A front's figures show what that front covers, so that a front run
    only for one process count (direct) gets no empty panels; a gap
    inside it is a missing combination, and is marked as one.
    """

    def __init__(self, rows):
        self.procs = sorted({row["procs"] for row in rows})
        present = {row["action"] for row in rows}
        self.actions = [a for a in ACTION_ORDER if a in present] + \
            sorted(present - set(ACTION_ORDER))
        self.scenarios = sorted(
            {(row["amount"], row["size_kib"]) for row in rows},
            key=lambda scenario: (scenario[1], -scenario[0]))


class Results:
    """One results file, indexed by (front, procs, action, scenario)."""

    def __init__(self, path, rows, full):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.full = full
        self.by_key = {}
        for row in rows:
            key = (row["front"], row["procs"], row["action"],
                   (row["amount"], row["size_kib"]))
            if key in self.by_key:
                print(f"plot: {path}: {describe_key(key)} appears twice; "
                      f"drawing the last one", file=sys.stderr)
            self.by_key[key] = row

        self.fronts = ordered_unique(row["front"] for row in rows)
        self.all = Dimensions(rows)
        self.of_front = {front: Dimensions([row for row in rows
                                            if row["front"] == front])
                         for front in self.fronts}

    def main_front(self):
        if MAIN_FRONT in self.fronts:
            return MAIN_FRONT
        return self.fronts[0]

    def get(self, front, procs, action, scenario):
        return self.by_key.get((front, procs, action, scenario))

    def has(self, front, column, positive=False):
        """Whether any row of FRONT has a value (above 0) in COLUMN."""
        for key, row in self.by_key.items():
            value = row.get(column)
            if key[0] == front and finite(value) and \
                    (value > 0 or not positive):
                return True
        return False

    def subtitle(self, front):
        """The front and the machine (from the name), one line each."""
        machine = " · ".join(self.name.split("_"))
        if front is None:
            return machine
        return f"front: {front}\n{machine}"


def describe_key(key):
    front, procs, action, scenario = key
    where = f"{front}, " if front else ""
    return (f"{where}{procs} procs, {action}, "
            f"{scenario[0]} x {scenario[1]} KiB")


def ordered_unique(values):
    seen = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def load_results(path):
    """The rows of PATH, from its `.tsv` sibling when there is one."""
    stem, extension = os.path.splitext(path)
    tsv = stem + ".tsv"
    if extension != ".tsv" and os.path.isfile(tsv):
        path = tsv
        extension = ".tsv"

    if extension == ".tsv":
        rows = read_tsv(path)
    else:
        rows = read_five_columns(path)
    if not rows:
        raise ResultsError(f"{path}: no results in it")
    return Results(path, rows, extension == ".tsv")


def newest_results(directory):
    """The most recently written results file in DIRECTORY."""
    try:
        names = os.listdir(directory)
    except OSError as error:
        raise ResultsError(f"cannot read {directory}: {error.strerror}")

    # A .txt and its .tsv are one result: rank them by the newer of the
    # two and name the .txt when there is one (load_results then reads
    # the .tsv anyway). The matrix's per-run log, NAME.runs.tsv, is no
    # results file of its own.
    candidates = {}
    for name in names:
        stem, extension = os.path.splitext(name)
        if extension not in (".txt", ".tsv") or stem.endswith(".runs"):
            continue
        path = os.path.join(directory, name)
        when = os.path.getmtime(path)
        newest, chosen = candidates.get(stem, (when, path))
        if extension == ".txt":
            chosen = path
        candidates[stem] = (max(when, newest), chosen)
    if not candidates:
        raise ResultsError(f"no results file (*.txt, *.tsv) in {directory}")
    return max(candidates.values())[1]


def throughput(row):
    """Operations per second, its lower and upper spread, or NaNs.

    The height is amount / mean run time, the original's measure; the
    spread runs from the slowest repeat to the fastest one.
    """
    if row is None or not finite(row.get("mean_s")) or row["mean_s"] <= 0:
        return math.nan, 0.0, 0.0

    value = row["amount"] / row["mean_s"]
    slowest = row.get("max_s", math.nan)
    fastest = row.get("min_s", math.nan)
    if not (finite(slowest) and finite(fastest)) or fastest <= 0:
        return value, 0.0, 0.0
    low = max(0.0, value - row["amount"] / slowest)
    high = max(0.0, row["amount"] / fastest - value)
    return value, low, high


def is_client_bound(row):
    if row is None:
        return False
    flag = row.get("client_bound", math.nan)
    if finite(flag):
        return flag >= 1
    client, wall = row.get("client_cpu_s"), row.get("wall_s")
    if finite(client) and finite(wall) and wall > 0:
        return client / wall > CLIENT_BOUND_SHARE
    return False


def has_errors(row):
    return row is not None and finite(row.get("errors")) \
        and row["errors"] > 0


def procs_colors(procs):
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {count: palette[i % len(palette)]
            for i, count in enumerate(procs)}


def bar_offsets(count, group_width=0.8):
    width = group_width / count
    return [(j - (count - 1) / 2) * width for j in range(count)], width


def mark_missing(ax, x):
    ax.text(x, 0.02, "n/a", rotation=90, ha="center", va="bottom",
            fontsize=7, color="dimgray", transform=ax.get_xaxis_transform())


def new_figure(rows, width=PANEL_WIDTH_IN, height=PANEL_HEIGHT_IN):
    figure, axes = plt.subplots(
        rows, 1, figsize=(width, 1.4 + height * rows), squeeze=False,
        layout="constrained")
    return figure, [row[0] for row in axes]


def set_action_ticks(ax, actions, bottom):
    ax.set_xticks(range(len(actions)))
    ax.set_xticklabels([action_label(a) for a in actions])
    ax.set_xlim(-0.6, len(actions) - 0.4)
    if bottom:
        ax.set_xlabel("action (put+X: each operation is a PUT, then X: "
                      "two requests)")


def use_log_scale(ax):
    """Whether the bars of AX span too many tens for a linear axis.

    Against a fast server, baseline runs twenty times as many operations
    per second as put: on a linear axis the put bars are slivers. A log
    axis keeps every bar readable and the ratios between process counts,
    which are what the figure compares, the same at every height.
    """
    heights = [patch.get_height() for patch in ax.patches
               if patch.get_height() > 0]
    if not heights:
        return False
    return max(heights) / min(heights) > LOG_SCALE_RATIO


def plot_throughput(results, front, path, check):
    """The original's figure: bars of operations/s per action and count."""
    dims = results.of_front[front]
    colors = procs_colors(results.all.procs)
    offsets, width = bar_offsets(len(dims.procs))
    figure, axes = new_figure(len(dims.scenarios))
    spread_shown = bound_shown = errors_shown = False

    for panel, (ax, scenario) in enumerate(zip(axes, dims.scenarios)):
        for j, procs in enumerate(dims.procs):
            for i, action in enumerate(dims.actions):
                row = results.get(front, procs, action, scenario)
                x = i + offsets[j]
                value, low, high = throughput(row)
                if not finite(value):
                    mark_missing(ax, x)
                    continue

                bound = is_client_bound(row)
                ax.bar(x, value, width, color=colors[procs],
                       hatch="///" if bound else None,
                       edgecolor="black" if bound else colors[procs],
                       linewidth=0.6 if bound else 0)
                bound_shown |= bound
                if low or high:
                    ax.errorbar(x, value, yerr=[[low], [high]], fmt="none",
                                ecolor="black", elinewidth=1, capsize=2.5)
                    spread_shown = True
                if has_errors(row):
                    ax.plot(x, value, marker="x", color="red",
                            markersize=8, markeredgewidth=2)
                    errors_shown = True

        ax.set_title(scenario_label(scenario))
        if use_log_scale(ax):
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(
                ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(
                ticker.FuncFormatter(readable_number))
            ax.yaxis.set_minor_formatter(ticker.NullFormatter())
            ax.set_ylabel("operations per second\n(log scale)")
        else:
            ax.set_ylabel("operations per second")
            ax.yaxis.set_major_formatter(
                ticker.FuncFormatter(readable_number))
            ax.set_ylim(bottom=0)
            ax.margins(y=0.12)
        set_action_ticks(ax, dims.actions,
                         panel == len(dims.scenarios) - 1)

    handles = [Patch(color=colors[p], label=plural(p, "process"))
               for p in dims.procs]
    if spread_shown:
        handles.append(Line2D([], [], color="black", marker="_",
                              markersize=8, linestyle="-",
                              label="slowest to fastest repeat"))
    if bound_shown:
        handles.append(Patch(facecolor="white", edgecolor="black",
                             hatch="///", label="client-bound (client > "
                             f"{CLIENT_BOUND_SHARE:g} of a core)"))
    if errors_shown:
        handles.append(Line2D([], [], color="red", marker="x",
                              linestyle="none", markeredgewidth=2,
                              label="some requests failed"))
    axes[0].legend(handles=handles, loc="upper left",
                   bbox_to_anchor=(1.01, 1.0), fontsize="small")

    note = "" if results.full else \
        "\n(five-column file: the mean of each result, no spread)"
    figure.suptitle("How multiprocessing affects the blobs server: "
                    "operations per second\n"
                    f"{results.subtitle(front)}{note}")
    save(figure, path, check)


def plot_latency(results, front, path, check):
    """p50 and p99 per action and process count, on a log scale."""
    dims = results.of_front[front]
    colors = procs_colors(results.all.procs)
    offsets, _ = bar_offsets(len(dims.procs))
    figure, axes = new_figure(len(dims.scenarios))

    for panel, (ax, scenario) in enumerate(zip(axes, dims.scenarios)):
        for j, procs in enumerate(dims.procs):
            for i, action in enumerate(dims.actions):
                row = results.get(front, procs, action, scenario)
                x = i + offsets[j]
                p50 = row.get("lat_p50_us", math.nan) if row else math.nan
                p99 = row.get("lat_p99_us", math.nan) if row else math.nan
                if not (finite(p50) or finite(p99)):
                    mark_missing(ax, x)
                    continue

                # Milliseconds; a zero would vanish from the log scale.
                p50_ms = max(p50, 1.0) / 1000 if finite(p50) else math.nan
                p99_ms = max(p99, 1.0) / 1000 if finite(p99) else math.nan
                if finite(p50_ms) and finite(p99_ms):
                    ax.plot([x, x], [p50_ms, p99_ms], color=colors[procs],
                            linewidth=2, solid_capstyle="butt")
                ax.plot(x, p50_ms, marker="o", color=colors[procs],
                        markersize=5, linestyle="none")
                ax.plot(x, p99_ms, marker="^", color=colors[procs],
                        markersize=7, linestyle="none",
                        markeredgecolor="black", markeredgewidth=0.5)

        ax.set_title(scenario_label(scenario))
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(
            ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_ylabel("latency of one request\n(ms, log scale)")
        set_action_ticks(ax, dims.actions,
                         panel == len(dims.scenarios) - 1)

    handles = [Patch(color=colors[p], label=plural(p, "process"))
               for p in dims.procs]
    handles.append(Line2D([], [], color="gray", marker="o",
                          linestyle="none", label="p50 (median)"))
    handles.append(Line2D([], [], color="gray", marker="^",
                          markeredgecolor="black", markeredgewidth=0.5,
                          markersize=7, linestyle="none",
                          label="p99"))
    axes[0].legend(handles=handles, loc="upper left",
                   bbox_to_anchor=(1.01, 1.0), fontsize="small")
    figure.suptitle("Latency of each HTTP request: p50 and p99, "
                    "each the mean over the repeats\n"
                    f"{results.subtitle(front)}")
    save(figure, path, check)


def plot_cpu(results, front, path, check):
    """Cores used by each part of the stack, stacked, per process count."""
    dims = results.of_front[front]
    procs = dims.procs
    offsets, width = bar_offsets(len(procs))
    figure, axes = new_figure(len(dims.scenarios))
    bound_shown = False

    for panel, (ax, scenario) in enumerate(zip(axes, dims.scenarios)):
        bar_x, bar_labels = [], []
        for i, action in enumerate(dims.actions):
            for j, count in enumerate(procs):
                row = results.get(front, count, action, scenario)
                x = i + offsets[j]
                bar_x.append(x)
                bar_labels.append(str(count))
                wall = row.get("wall_s", math.nan) if row else math.nan
                if not finite(wall) or wall <= 0:
                    mark_missing(ax, x)
                    continue

                bottom = 0.0
                for column, _, color in CPU_PARTS:
                    seconds = row.get(column, math.nan)
                    if not finite(seconds):
                        continue
                    cores = seconds / wall
                    bound = column == "client_cpu_s" and \
                        is_client_bound(row)
                    bound_shown |= bound
                    ax.bar(x, cores, width * 0.92, bottom=bottom,
                           color=color, hatch="///" if bound else None,
                           edgecolor="black" if bound else color,
                           linewidth=0.6 if bound else 0)
                    bottom += cores

        ax.axhline(1.0, color="black", linestyle="--", linewidth=1)
        ax.set_title(scenario_label(scenario))
        ax.set_ylabel("CPU cores used\n(CPU seconds / run second)")
        ax.set_ylim(bottom=0)
        ax.margins(y=0.12)

        # Process counts under each bar, the action under each group: the
        # actions are major ticks pushed one line down, with no tick mark.
        ax.xaxis.remove_overlapping_locs = False
        ax.set_xticks(bar_x, minor=True)
        ax.set_xticklabels(bar_labels, minor=True, fontsize=8)
        ax.set_xticks(range(len(dims.actions)))
        ax.set_xticklabels([action_label(a) for a in dims.actions])
        ax.tick_params(axis="x", which="major", length=0, pad=15)
        ax.set_xlim(-0.6, len(dims.actions) - 0.4)
        if panel == len(dims.scenarios) - 1:
            ax.set_xlabel("process count, grouped by action")

    handles = [Patch(color=color, label=label)
               for column, label, color in CPU_PARTS
               if results.has(front, column, positive=True)]
    handles.append(Line2D([], [], color="black", linestyle="--",
                          label="one core (one process's limit)"))
    if bound_shown:
        handles.append(Patch(facecolor="white", edgecolor="black",
                             hatch="///", label="client-bound (client > "
                             f"{CLIENT_BOUND_SHARE:g} of a core)"))
    axes[0].legend(handles=handles, loc="upper left",
                   bbox_to_anchor=(1.01, 1.0), fontsize="small")
    figure.suptitle("Where the CPU went: cores used by the client, "
                    "haproxy and the servers\n"
                    f"{results.subtitle(front)}")
    save(figure, path, check)


def plot_fronts(results, path, check):
    """Operations/s against process count, one line per front."""
    fronts = results.fronts
    palette = ["#c44e52", "#4c72b0", "#55a868", "#8172b2", "#ccb974"]
    colors = {front: palette[i % len(palette)]
              for i, front in enumerate(fronts)}
    positions = {count: i for i, count in enumerate(results.all.procs)}
    rows, columns = len(results.all.scenarios), len(results.all.actions)
    figure, axes = plt.subplots(
        rows, columns,
        figsize=(max(FRONTS_MIN_WIDTH_IN, 2.9 * columns + 1.6),
                 1.3 + 2.5 * rows),
        squeeze=False, layout="constrained")

    for r, scenario in enumerate(results.all.scenarios):
        for c, action in enumerate(results.all.actions):
            ax = axes[r][c]
            drawn = False
            for front in fronts:
                # A missing count stays a NaN, which breaks the line: a
                # line drawn across it would claim a value never measured.
                xs, values, lows, highs = [], [], [], []
                for count in results.all.procs:
                    row = results.get(front, count, action, scenario)
                    value, low, high = throughput(row)
                    xs.append(positions[count])
                    values.append(value)
                    lows.append(low)
                    highs.append(high)
                if not any(finite(value) for value in values):
                    continue
                ax.errorbar(xs, values, yerr=[lows, highs], marker="o",
                            markersize=4, capsize=2.5, linewidth=1.5,
                            color=colors[front], label=front)
                drawn = True

            if not drawn:
                ax.text(0.5, 0.5, "no data", ha="center", va="center",
                        color="dimgray", transform=ax.transAxes)
                ax.set_yticks([])
            ax.set_xticks(range(len(results.all.procs)))
            ax.set_xticklabels([str(p) for p in results.all.procs])
            ax.set_xlim(-0.4, len(results.all.procs) - 0.6)
            ax.set_ylim(bottom=0)
            ax.margins(y=0.15)
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(
                readable_number))
            if r == 0:
                ax.set_title(action_label(action))
            if c == 0:
                ax.set_ylabel(f"{scenario_label(scenario)}\noperations/s")
            if r == rows - 1:
                ax.set_xlabel("process count")

    handles = [Line2D([], [], color=colors[f], marker="o", label=f)
               for f in fronts]
    handles.append(Line2D([], [], color="black", marker="_",
                          markersize=8, label="slowest to fastest repeat"))
    axes[0][columns - 1].legend(handles=handles, loc="upper left",
                                bbox_to_anchor=(1.02, 1.0),
                                fontsize="small", title="front")
    figure.suptitle("The fronts side by side: operations per second "
                    "(amount / mean run time)\n"
                    f"{results.subtitle(None)}")
    save(figure, path, check)


def drawn_texts(figure):
    """Every non-empty text the last draw put on FIGURE, with its box.

    Matplotlib has no public list of what it drew: the side titles and
    the ticks inside the view are private (as of Debian 12's 3.6), so
    they are asked for with a fallback, not to break on another version.
    """
    renderer = figure.canvas.get_renderer()
    texts = [getattr(figure, "_suptitle", None)]
    for ax in figure.axes:
        texts += [ax.title, getattr(ax, "_left_title", None),
                  getattr(ax, "_right_title", None),
                  ax.xaxis.label, ax.yaxis.label]
        texts += list(ax.texts)
        for axis in (ax.xaxis, ax.yaxis):
            # Only the ticks inside the view are drawn; the axis keeps
            # labels for the others too.
            visible_ticks = getattr(axis, "_update_ticks", None)
            ticks = visible_ticks() if visible_ticks else \
                axis.get_major_ticks() + axis.get_minor_ticks()
            for tick in ticks:
                texts += [tick.label1, tick.label2]
        legend = ax.get_legend()
        if legend:
            texts += legend.get_texts() + [legend.get_title()]

    boxes = []
    for text in texts:
        if text is None or not text.get_visible():
            continue
        if not text.get_text().strip():
            continue
        boxes.append((text.get_text().strip(),
                      text.get_window_extent(renderer)))
    return boxes


def layout_problems(figure):
    """Texts cut off by the figure's edge or lying on top of each other.

    A person reading the figure cannot read those; --check-layout turns
    each into a failure so that the tests see what a reader would.
    """
    figure.canvas.draw()
    frame = figure.bbox
    boxes = drawn_texts(figure)
    problems = []
    slack = 1.0  # pixels: antialiasing may touch the edge

    for label, box in boxes:
        if box.x0 < frame.x0 - slack or box.x1 > frame.x1 + slack or \
                box.y0 < frame.y0 - slack or box.y1 > frame.y1 + slack:
            problems.append(f"text {label!r} runs off the figure")

    for i, (first, a) in enumerate(boxes):
        for second, b in boxes[i + 1:]:
            width = min(a.x1, b.x1) - max(a.x0, b.x0)
            height = min(a.y1, b.y1) - max(a.y0, b.y0)
            if width > slack and height > slack:
                problems.append(f"texts {first!r} and {second!r} overlap")
    return problems


def readable_number(value, _position=None):
    """Thousands separated, no decimals once they say nothing."""
    if abs(value) >= 10:
        return f"{value:,.0f}"
    return f"{value:g}"


def save(figure, path, check):
    figure.savefig(path, dpi=FIGURE_DPI)
    problems = layout_problems(figure)
    plt.close(figure)
    print(f"plot: wrote {path}")
    for problem in problems:
        print(f"plot: {os.path.basename(path)}: {problem}", file=sys.stderr)
    if problems and check:
        raise LayoutError(f"{path}: {len(problems)} layout problem(s)")


def figure_names(results, out_dir):
    """Every figure this results file gets, as (path, drawing) pairs."""
    main = results.main_front()
    plan = []
    for front in [main] + [f for f in results.fronts if f != main]:
        stem = results.name if front == main else f"{results.name}-{front}"
        base = os.path.join(out_dir, stem)
        plan.append((base + ".png",
                     lambda p, c, f=front: plot_throughput(results, f, p, c)))
        if results.has(front, "lat_p50_us") or \
                results.has(front, "lat_p99_us"):
            plan.append((base + "-latency.png",
                         lambda p, c, f=front: plot_latency(results, f, p, c)))
        if results.has(front, "wall_s"):
            plan.append((base + "-cpu.png",
                         lambda p, c, f=front: plot_cpu(results, f, p, c)))
    if len(results.fronts) > 1:
        plan.append((os.path.join(out_dir, results.name + "-fronts.png"),
                     lambda p, c: plot_fronts(results, p, c)))
    return plan


def print_summary(results):
    """The bars of the figures as text: what each result's height is."""
    print("front\tprocs\taction\tamount\tsize_kib\tops_per_s"
          "\tslowest_ops_per_s\tfastest_ops_per_s\tclient_bound")
    for front in results.fronts:
        dims = results.of_front[front]
        for scenario in dims.scenarios:
            for procs in dims.procs:
                for action in dims.actions:
                    row = results.get(front, procs, action, scenario)
                    if row is None:
                        continue
                    value, low, high = throughput(row)
                    print(f"{front or '-'}\t{procs}\t{action}\t"
                          f"{scenario[0]}\t{scenario[1]}\t{value:.1f}\t"
                          f"{value - low:.1f}\t{value + high:.1f}\t"
                          f"{int(is_client_bound(row))}")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Draw the multiprocessing study's figures from a "
                    "results file (.txt or .tsv).")
    parser.add_argument("results", nargs="?",
                        help="results file (default: the newest in "
                             "--results-dir)")
    parser.add_argument("--results-dir", default=os.path.join(TOP, "results"),
                        help="where to look for the newest results file "
                             "(default: the project's results/)")
    parser.add_argument("--out-dir", default=os.path.join(TOP, "plots"),
                        help="where the figures go (default: the project's "
                             "plots/)")
    parser.add_argument("--summary", action="store_true",
                        help="print the operations per second that the "
                             "figures show, one line per result, and draw "
                             "nothing")
    parser.add_argument("--check-layout", action="store_true",
                        help="fail when a text runs off a figure or "
                             "overlaps another (always reported)")
    return parser.parse_args(argv)


def main(argv):
    # Printed into `head`, stop quietly as other command line tools do.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = parse_args(argv)
    try:
        path = args.results or newest_results(args.results_dir)
        if not os.path.isfile(path):
            raise ResultsError(f"{path}: no such file")
        results = load_results(path)
    except (OSError, ResultsError) as error:
        print(f"plot: {error}", file=sys.stderr)
        return 1

    if args.summary:
        print_summary(results)
        return 0

    fronts = ", ".join(str(f) for f in results.fronts) if results.full \
        else "none named (five-column file)"
    print(f"plot: {results.path}: {len(results.by_key)} results, "
          f"fronts: {fronts}")
    os.makedirs(args.out_dir, exist_ok=True)
    plt.style.use("ggplot")
    plt.rcParams["axes.titlesize"] = "medium"
    failed = False
    for figure_path, draw in figure_names(results, args.out_dir):
        try:
            draw(figure_path, args.check_layout)
        except LayoutError as error:
            print(f"plot: {error}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
