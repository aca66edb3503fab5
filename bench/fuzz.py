"""Fuzz the readers: generated hostile inputs (storyline/eval/hostile.py) through the real readers and normalize,
in-process, and the crash count per reader.

A crash is an exception that escapes the reader or normalize, an ``internal-error`` reject (the readers' guard turned
an unexpected exception into a row: still a bug), or an input that takes longer than ``--hang-s``. Each input is
reproducible from its reader and seed: ``python bench/fuzz.py --kinds rss --seed S --n 1 --show``.

    python bench/fuzz.py                      # 10,000 inputs per reader (about 10-20 minutes on one core)
    python bench/fuzz.py --n 500 --kinds rss atom
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

import storyline.ingest.web  # noqa: F401  (registers the HTML and feed readers)
from storyline.eval.hostile import KINDS, generate
from storyline.ingest.files import read_bytes, reader_for, sniff_reader
from storyline.guard import INTERNAL_ERROR
from storyline.normalize import normalize
from storyline.records import RawItem, Rejected
from storyline.settings import Settings


class Hang(BaseException):
    """Raised by the alarm: an input that ran too long (a BaseException, so no guard swallows it)."""


def _alarm(signum: int, frame: object) -> None:
    raise Hang()


def run_one(kind: str, seed: int, settings: Settings) -> tuple[str | None, Counter[str], float]:
    """(crash description or None, outcome counts, seconds) for input ``seed`` of ``kind``."""
    rng = random.Random(f"{kind}:{seed}")
    if kind == "stdin":  # any kind's input, its reader picked by sniffing as for `storyline ingest -`
        data, _ = generate(rng.choice(KINDS), rng)
        path, reader = "-", sniff_reader(data)
    else:
        data, ext = generate(kind, rng)
        path = f"fuzz-{kind}-{seed}{ext}"
        reader = reader_for(Path(path))
    assert reader is not None, path
    outcomes: Counter[str] = Counter()
    t0 = time.perf_counter()
    try:
        for item in read_bytes(data, path, reader, settings.ingest):
            if isinstance(item, RawItem):
                item = normalize(item, settings.ingest)
            if isinstance(item, Rejected):
                outcomes[f"rejected:{item.reason}"] += 1
                if item.reason == INTERNAL_ERROR:
                    return f"{item.stage}: {item.detail}", outcomes, time.perf_counter() - t0
            else:
                outcomes["accepted"] += 1
    except Hang:
        return "hang", outcomes, time.perf_counter() - t0
    except Exception as e:  # noqa: BLE001 - what the fuzzer counts
        return f"escaped {type(e).__name__}: {e}\n{traceback.format_exc(limit=-3)}", outcomes, time.perf_counter() - t0
    return None, outcomes, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="inputs per reader (default 10,000)")
    ap.add_argument("--kinds", nargs="*", default=[*KINDS, "stdin"], choices=[*KINDS, "stdin"],
                    help="readers by kind of file; stdin: any kind, its reader found by sniffing")
    ap.add_argument("--seed", type=int, default=0, help="first seed (inputs are seeds seed..seed+n-1)")
    ap.add_argument("--hang-s", type=float, default=20.0, help="an input running longer is a crash (hang)")
    ap.add_argument("--show", action="store_true", help="print every crash in full")
    args = ap.parse_args(argv)
    settings = Settings()
    signal.signal(signal.SIGALRM, _alarm)
    print(f"{'reader':<10} {'inputs':>7} {'crashes':>7} {'accepted':>8} {'rejected':>8} {'s/input':>8} {'slowest':>8}"
          "  top reject reasons")
    total = 0
    for kind in args.kinds:
        crashes: list[tuple[int, str]] = []
        seen: Counter[str] = Counter()
        slowest = elapsed = 0.0
        slowest_seed = args.seed
        for seed in range(args.seed, args.seed + args.n):
            signal.setitimer(signal.ITIMER_REAL, args.hang_s)
            try:
                crash, outcomes, dt = run_one(kind, seed, settings)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            seen.update(outcomes)
            elapsed += dt
            if dt > slowest:
                slowest, slowest_seed = dt, seed
            if crash:
                crashes.append((seed, crash))
        total += len(crashes)
        rejected = sum(v for k, v in seen.items() if k.startswith("rejected:"))
        top = ", ".join(f"{k.removeprefix('rejected:')} {v}" for k, v in seen.most_common() if k != "accepted")
        print(f"{kind:<10} {args.n:>7} {len(crashes):>7} {seen['accepted']:>8} {rejected:>8} "
              f"{elapsed / max(1, args.n):>8.4f} {slowest:>8.2f}  {top[:150]}", flush=True)
        print(f"    slowest: --kinds {kind} --seed {slowest_seed} --n 1 ({slowest:.2f} s)")
        kinds_of = Counter(c.split("\n", 1)[0][:120] for _, c in crashes)
        for what, n in kinds_of.most_common(10 if not args.show else None):
            seed = next(s for s, c in crashes if c.split("\n", 1)[0][:120] == what)
            print(f"    {n} × {what}  (e.g. --kinds {kind} --seed {seed} --n 1)", flush=True)
        if args.show:
            for seed, c in crashes:
                print(f"--- {kind} seed {seed}\n{c}")
    print(f"crashes: {total}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
