"""Benchmark: the reference's reverse mode against micrograd, and how it scales.

    make bench                       # or: .venv/bin/python bench/bench_reference.py
    python bench/bench_reference.py --inputs 20000 --repeat 1    # a quick look

The graph is y = sum_i x_i * x_(i+1) over N inputs (about 3N nodes), built with the
reference's primitives and differentiated by reverse mode. Every measurement runs in a
fresh Python process (nothing left over from an earlier graph, the garbage collector
at its defaults) and the best of --repeat runs is shown. The reference runs at Python's
default recursion limit; micrograd's recursive topological sort needs the limit raised,
which is done only in micrograd's own process. Targets (issue 13): reference build+backward
<= 0.5 x micrograd's, and a 10x larger graph <= 11x the time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _inputs(n: int) -> list[float]:
    rng = random.Random(0)
    return [rng.uniform(-1.0, 1.0) for _ in range(n)]


def _expected(xs: list[float], i: int) -> float:
    """∂y/∂x_i for y = sum x_i x_(i+1) (no wrap-around)."""
    return (xs[i - 1] if i > 0 else 0.0) + (xs[i + 1] if i + 1 < len(xs) else 0.0)


def _check(xs: list[float], grads: list[float], what: str) -> None:
    for i in (0, 1, len(xs) // 2, len(xs) - 1):
        if abs(grads[i] - _expected(xs, i)) > 1e-9:
            raise SystemExit(f"{what}: wrong gradient at x{i + 1}: {grads[i]}")


def run_reference(n: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT / "reference"))
    import simpleautodiff as ad

    assert sys.getrecursionlimit() <= 1000, "the reference must run at the default limit"
    xs = _inputs(n)
    cpu, start = time.process_time(), time.perf_counter()
    nodes = [ad.Node(v) for v in xs]
    y = ad.mul(nodes[0], nodes[1])
    for i in range(1, n - 1):
        y = ad.add(y, ad.mul(nodes[i], nodes[i + 1]))
    built = time.perf_counter()
    ad.backward(y)
    done, cpu = time.perf_counter(), time.process_time() - cpu
    _check(xs, [x.adjoint for x in nodes], "reference backward")
    ad.forward(nodes[0])
    forward_done = time.perf_counter()
    if abs(y.partial_derivative - _expected(xs, 0)) > 1e-9:
        raise SystemExit("reference forward: wrong derivative")
    return {"build": built - start, "backward": done - built, "total": done - start,
            "cpu": cpu, "forward": forward_done - done, "nodes": 3 * n - 2}


def run_micrograd(n: int) -> dict[str, float]:
    from micrograd.engine import Value

    # micrograd's topological sort is recursive, one level per node of the add chain.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * n + 1000))
    xs = _inputs(n)
    cpu, start = time.process_time(), time.perf_counter()
    nodes = [Value(v) for v in xs]
    y = nodes[0] * nodes[1]
    for i in range(1, n - 1):
        y = y + nodes[i] * nodes[i + 1]
    built = time.perf_counter()
    y.backward()
    done, cpu = time.perf_counter(), time.process_time() - cpu
    _check(xs, [x.grad for x in nodes], "micrograd backward")
    return {"build": built - start, "backward": done - built, "total": done - start,
            "cpu": cpu, "nodes": 3 * n - 2}


def measure(system: str, n: int, repeat: int) -> dict[str, float]:
    """The fastest (build+backward) of `repeat` runs, each in a fresh process."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, __file__, "--one", system, str(n)],
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"{system} with {n} inputs failed:\n{out.stderr}")
        runs.append(json.loads(out.stdout))
    return min(runs, key=lambda r: r["total"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="N (default 100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--one", nargs=2, metavar=("SYSTEM", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        system, n = args.one[0], int(args.one[1])
        print(json.dumps((run_reference if system == "reference" else run_micrograd)(n)))
        return 0

    n, big = args.inputs, 10 * args.inputs
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), load average {load} "
          "(timings are wall-clock: a busy machine inflates them)")
    print(f"y = sum x_i * x_(i+1): build + full gradient by reverse mode, best of {args.repeat}"
          f", each run in a fresh process")
    ref = measure("reference", n, args.repeat)
    mg = measure("micrograd", n, args.repeat)
    ref_big = measure("reference", big, args.repeat)
    rows = [
        ("reference", f"{n:,}", ref),
        ("micrograd 0.1.0 *", f"{n:,}", mg),
        ("reference", f"{big:,}", ref_big),
    ]
    header = ("system", "inputs", "nodes", "build s", "backward s", "total s", "(cpu s)",
              "forward s")
    table = [header] + [
        (name, inputs, f"{int(r['nodes']):,}", f"{r['build']:.3f}", f"{r['backward']:.3f}",
         f"{r['total']:.3f}", f"({r['cpu']:.3f})",
         f"{r['forward']:.3f}" if "forward" in r else "-")
        for name, inputs, r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))))
    print("* micrograd runs with sys.setrecursionlimit raised (its topological sort is\n"
          "  recursive), in its own process; the reference runs at the default limit.")
    ratio = ref["total"] / mg["total"]
    scaling = ref_big["total"] / ref["total"]
    print(f"reference (default recursion limit) / micrograd (build+backward, {n:,} inputs): "
          f"{ratio:.2f}  "
          f"(target <= 0.5: {'met' if ratio <= 0.5 else 'NOT met'}; "
          f"by CPU time {ref['cpu'] / mg['cpu']:.2f})")
    print(f"10x graph / 1x graph (reference build+backward): {scaling:.1f}x  "
          f"(target <= 11x: {'met' if scaling <= 11 else 'NOT met'}; "
          f"by CPU time {ref_big['cpu'] / ref['cpu']:.1f}x)")
    print(f"forward mode, one pass forward(x_1) over {n:,} inputs: {ref['forward']:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
