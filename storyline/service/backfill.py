"""Backfills on Dask: an archive read, normalised and encoded in parallel, clustered and stored by one process.

Where each stage runs:

* **workers** (``dask.distributed``; a ``LocalCluster`` when no scheduler is given): the readers and
  :func:`~storyline.normalize.normalize` on *parts* of the archive (groups of small files, or line ranges of a large
  JSONL file), then the dense encoder on exactly the batches of leads the clusterer will ask for. Each worker loads
  the encoder once (a module-level cache) and sends back arrays, never a model.
* **the driver** (this process, holding the ingest lock): time order, dedupe, clustering, the copy detector and the
  store writes, through the same :class:`~storyline.pipeline.Pipeline` as ``storyline ingest`` (one transaction per
  batch, bulk ``executemany`` writes), recorded as a run of command ``backfill``.

The stories are those of ``storyline ingest`` of the same paths with the same settings, because the driver feeds the
pipeline the same items in the same order and the clusterer receives the same vectors:

1. parts are planned in the readers' walk order (sorted directories, the same skipped files) and their results are
   concatenated in that order, then ordered by :func:`time_ordered_keyed`, the rule of
   :func:`storyline.ingest.order.time_ordered` on dates the workers parsed;
2. the pipeline batches them itself (``ingest.batch_size``);
3. the int8 encoder's vector for a text depends on the other texts of its call (dynamic quantization scales by the
   whole batch: cosine to the same text encoded alone down to 0.99), so vectors cannot be computed per text. The
   :class:`EncodePlanner` replays the pipeline's dedupe, the clusterer's groups of 64 leads (one call each) and its
   reuse of recent leads to foresee each ``encode`` call, a worker encodes that call's texts as one call, and
   :class:`PrecomputedEncoder` answers the call from it; a call nobody foresaw is encoded by the driver itself, so a
   wrong forecast costs time, never a change.
   (Thread counts do not change the ONNX encoder's vectors: a worker's encoder uses its share of its machine's cores.)
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import OrderedDict, deque
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from ..errors import ConfigError, NotInstalled
from ..records import Article, RawItem, Rejected, RunStats
from ..settings import IngestSettings, Settings

if TYPE_CHECKING:
    from ..ingest.files import WalkReport
    from ..store import Store

PART_BYTES = 4 << 20  # a JSONL file over this is read as line ranges of about this size; small files are grouped
PART_FILES = 64  # at most this many small files per part (one task)
Entry = Rejected | tuple[datetime | None, Article | Rejected]  # a reader's reject, or (parsed date, normalised)
_UNDATED = datetime.max.replace(tzinfo=timezone.utc)


# -- parts: the units of reading work ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """Whole files (``files``: (path as shown, absolute path) pairs), or one line range ``[start, end)`` of a JSONL
    file (``jsonl``) whose first line is line ``first_line`` of the file."""

    files: tuple[tuple[str, str], ...] = ()
    jsonl: tuple[str, str] | None = None
    start: int = 0
    end: int = 0
    first_line: int = 1


def plan_parts(paths: Iterable[str | os.PathLike[str]], settings: IngestSettings, report: "WalkReport",
               part_bytes: int = PART_BYTES) -> list[Part | Rejected]:
    """The archive's parts in the order :func:`storyline.ingest.files.read_paths` reads it (same walk, same skipped
    files, same not-found rejects). Files and directories only: standard input and URLs are for ``ingest``."""
    from ..ingest import web  # noqa: F401  (registers the HTML and feed readers: the walk must know them)
    from ..ingest.files import read_jsonl_bytes, reader_for

    files: list[tuple[str, Path]] = []
    out: list[Part | Rejected] = []

    def flush() -> None:
        group: list[tuple[str, str]] = []
        size = 0
        for shown, path in files:
            if reader_for(path) is read_jsonl_bytes and part_bytes < _size(path) <= settings.max_file_bytes:
                if group:
                    out.append(Part(files=tuple(group)))
                    group, size = [], 0
                out.extend(_jsonl_ranges(shown, path, part_bytes))
                continue
            group.append((shown, str(path.absolute())))
            size += _size(path)
            if size >= part_bytes or len(group) >= PART_FILES:
                out.append(Part(files=tuple(group)))
                group, size = [], 0
        if group:
            out.append(Part(files=tuple(group)))
        files.clear()

    paths = list(paths)
    check_paths(paths)
    for p in paths:
        # the walk of read_paths (kept in step with it; tests/test_backfill.py compares the two)
        path = Path(p)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if not child.is_file():
                    continue
                if any(part.startswith(".") for part in child.relative_to(path).parts) or reader_for(child) is None:
                    report.skipped.append(str(child))
                    continue
                files.append((str(child), child))
        elif path.exists():
            files.append((str(path), path))
        else:
            flush()
            out.append(Rejected(str(path), "ingest", "not-found", "no such file or directory"))
    flush()
    return out


def check_paths(paths: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse standard input and URLs (``ingest`` reads them), before any cluster is started."""
    for p in paths:
        arg = str(p)
        if arg == "-" or "://" in arg and not Path(arg).exists():
            raise ConfigError(f"backfill reads files and directories, not {arg!r}; read standard input and URLs with "
                              "`storyline ingest`, or save them to files first")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _jsonl_ranges(shown: str, path: Path, part_bytes: int) -> list[Part]:
    """Line ranges of about ``part_bytes`` of a JSONL file; the whole file as one part when the file-level checks
    of :func:`storyline.ingest.files.read_bytes` (empty, binary) or reading it would reject it."""
    from ..ingest.files import SNIFF_BYTES

    whole = [Part(files=((shown, str(path.absolute())),))]
    try:
        data = path.read_bytes()
    except OSError:
        return whole
    if not data.strip() or b"\x00" in data[:SNIFF_BYTES]:
        return whole
    parts = []
    start, line = 0, 1
    while start < len(data):
        end = data.find(b"\n", start + part_bytes)
        end = len(data) if end < 0 else end + 1
        parts.append(Part(jsonl=(shown, str(path.absolute())), start=start, end=end, first_line=line))
        line += data.count(b"\n", start, end)
        start = end
    return parts


# -- worker tasks ----------------------------------------------------------------------------------------------
def _part_items(part: Part, settings: IngestSettings) -> Iterator[Any]:
    from ..ingest import web  # noqa: F401  (registers the HTML and feed readers, as `storyline ingest` does)
    from ..ingest.files import read_bytes, read_file, read_text_bytes, reader_for
    from ..ingest.structured import parse_jsonl_line

    if part.jsonl is None:
        for shown, absolute in part.files:
            # read_file's reading, but opened by absolute path (a worker's working folder is its own) and named
            # as given, so records and rejects carry the same origins as with `storyline ingest`
            path = Path(absolute)
            try:
                data = path.read_bytes() if path.stat().st_size <= settings.max_file_bytes else None
            except OSError:
                data = None
            if data is None:  # too large or unreadable: read_file says which, about the whole file
                yield from (replace(r, ref=shown) for r in read_file(path, settings))
            else:
                yield from read_bytes(data, shown, reader_for(Path(shown)) or read_text_bytes, settings)
        return
    shown, absolute = part.jsonl
    with open(absolute, "rb") as f:
        f.seek(part.start)
        data = f.read(part.end - part.start)
    for i, line in enumerate(data.split(b"\n")):
        item = parse_jsonl_line(line.rstrip(b"\r"), shown, part.first_line + i)
        if item is not None:
            yield item


def keyed(item: RawItem, settings: IngestSettings) -> Entry:
    """``item`` normalised and paired with its time-order key: the article's own date (normalize parsed it, and
    dropped one too far after the time of ingest); an item normalize rejects keeps the date it would have had."""
    from ..normalize import effective_date, normalize

    art = normalize(item, settings)
    return art.date if isinstance(art, Article) else effective_date(item.date, settings), art


def read_part(part: Part, settings: IngestSettings, source: str | None = None) -> list[Entry]:
    """Worker task: a part's items, each normalised and paired with its date as normalize stores it (:func:`keyed`);
    the readers' rejects as they are."""
    out: list[Entry] = []
    for item in _part_items(part, settings):
        if isinstance(item, Rejected):
            out.append(item)
            continue
        if source and not item.source:
            item = replace(item, source=source)
        out.append(keyed(item, settings))
    return out


_ENCODER_THREADS: list[int] = []  # this worker's encoder threads, set by warm_worker (one per core it may use)


@lru_cache(maxsize=2)
def _worker_encoder(settings: Settings, threads: int) -> Any:
    """The encoder of ``settings``, loaded once per worker process (every later task reuses it)."""
    from ..cluster.base import make_encoder

    enc = make_encoder(replace(settings, cluster=replace(settings.cluster, encoder_threads=threads)))
    if hasattr(enc, "warm_up"):
        enc.warm_up()
    return enc


def _threads(settings: Settings) -> int:
    # the ONNX encoder's vectors do not depend on its thread count (checked bit for bit): a worker uses the cores
    # it has; the torch encoder keeps the configured count, as `ingest` runs it
    if settings.cluster.encoder_backend != "onnx" or not _ENCODER_THREADS:
        return settings.cluster.encoder_threads
    return _ENCODER_THREADS[-1]


def encode_texts(texts: Sequence[str], settings: Settings) -> np.ndarray:
    """Worker task: the encoder's vectors for ``texts``, as one call (float32 rows)."""
    return _worker_encoder(settings, _threads(settings)).encode(list(texts))


def warm_worker(settings: Settings, threads: dict[str, int] | None = None, dask_worker: Any = None) -> str:
    """Load the encoder on a worker before the first batch (``client.run``, which passes ``dask_worker``);
    ``threads``: encoder threads by worker address (see :func:`encoder_threads`)."""
    if threads and dask_worker is not None:
        _ENCODER_THREADS.append(threads.get(dask_worker.address, 1))
    return _worker_encoder(settings, _threads(settings)).name


def encoder_threads(client: Any) -> dict[str, int]:
    """Encoder threads for each worker: its machine's cores shared among the worker threads on that machine."""
    workers = client.scheduler_info().get("workers", {})
    cores = client.run(os.cpu_count)
    per_host: dict[str, int] = {}
    for w in workers.values():
        per_host[w.get("host", "")] = per_host.get(w.get("host", ""), 0) + max(1, int(w.get("nthreads") or 1))
    return {addr: max(1, (cores.get(addr) or 1) // per_host[w.get("host", "")]) for addr, w in workers.items()}


# -- the driver ------------------------------------------------------------------------------------------------
def time_ordered_keyed(entries: Iterable[Entry], window: int) -> Iterator[Article | Rejected]:
    """:func:`storyline.ingest.order.time_ordered` on items whose dates were parsed on the workers: each window of up
    to ``window`` items sorted by date (stable; undated last), the readers' rejects passed at once."""
    buffer: list[tuple[datetime, int, Article | Rejected]] = []
    for position, e in enumerate(entries):
        if isinstance(e, Rejected):
            yield e
        elif window <= 1:
            yield e[1]
        else:
            buffer.append((e[0] or _UNDATED, position, e[1]))
            if len(buffer) >= window:
                buffer.sort(key=lambda t: (t[0], t[1]))
                yield from (t[2] for t in buffer)
                buffer.clear()
    buffer.sort(key=lambda t: (t[0], t[1]))
    yield from (t[2] for t in buffer)


def _call_key(texts: Sequence[str]) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for t in texts:
        b = t.encode("utf-8")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.digest()


class PrecomputedEncoder:
    """An :class:`~storyline.represent.dense.Encoder` that answers each ``encode`` call from vectors a worker
    computed for exactly that call's texts (registered with :meth:`expect`); an unforeseen call is encoded by
    ``inner`` here. Either way the vectors are ``inner``'s for that call."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.dim = inner.dim
        self.name = inner.name
        self._expected: dict[bytes, Any] = {}
        self.foreseen = 0
        self.local = 0
        self.wait_s = 0.0

    def expect(self, texts: Sequence[str], future: Any) -> None:
        self._expected[_call_key(texts)] = future

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        future = self._expected.pop(_call_key(texts), None)
        if future is not None:
            t0 = time.perf_counter()
            vecs = future.result()
            self.wait_s += time.perf_counter() - t0
            if vecs.shape == (len(texts), self.dim):
                self.foreseen += 1
                return vecs
        self.local += 1
        return self.inner.encode(texts)

    def release(self) -> None:
        for future in self._expected.values():
            future.cancel()
        self._expected.clear()


class EncodePlanner:
    """Foresees the clusterer's encoder calls, batch by batch: the pipeline's dedupe (ids stored before the batch or
    earlier in it), then the clusterer's reuse of the last ``reuse`` encoded leads (an LRU keyed by the lead's
    hash, ``OnlineClusterer._encode_leads``). A forecast that misses only costs a local encode."""

    def __init__(self, store: "Store", reuse: int):
        self.store = store
        self.reuse = reuse
        self.recent: OrderedDict[bytes, None] = OrderedDict()
        self.accepted: set[str] = set()

    def plan(self, batch: Sequence[Article | Rejected]) -> list[list[str]]:
        """The texts of each encoder call the clusterer will make for ``batch``, in order (calls with no text left
        out): one per group of :data:`~storyline.cluster.online.ENCODE_GROUP` leads, as it cuts them."""
        from ..cluster.online import lead_groups

        fresh = [a for a in batch if isinstance(a, Article)]
        known = self.store.existing_ids(a.id for a in fresh) if fresh else set()
        ids: set[str] = set()
        leads = []
        for a in fresh:
            if a.id not in known and a.id not in self.accepted and a.id not in ids:
                ids.add(a.id)
                leads.append(a.lead)
        self.accepted |= ids
        calls = (self._plan_group(group) for group in lead_groups(leads))
        return [texts for texts in calls if texts]

    def _plan_group(self, leads: list[str]) -> list[str]:
        keys = [hashlib.blake2b(t.encode("utf-8"), digest_size=16).digest() for t in leads]
        todo: dict[bytes, str] = {}
        for k, t in zip(keys, leads):
            if k not in self.recent and k not in todo:
                todo[k] = t
        for k in keys:
            if k not in todo:
                self.recent.move_to_end(k)
        if self.reuse > 0:
            for k in todo:
                self.recent[k] = None
            while len(self.recent) > self.reuse:
                self.recent.popitem(last=False)
        return list(todo.values())


@dataclass
class BackfillResult:
    """A backfill's run and where its time went (wall seconds on the driver)."""

    stats: RunStats
    parts: int
    workers: int
    encode_foreseen: int = 0  # encoder calls answered from a worker's vectors
    encode_local: int = 0  # encoder calls the driver encoded itself (unforeseen, or restoring old articles)
    seconds: dict[str, float] = field(default_factory=dict)


def backfill(store: "Store", paths: Iterable[str | os.PathLike[str]], client: Any, settings: Settings | None = None,
             *, source: str | None = None, part_bytes: int = PART_BYTES, report: "WalkReport | None" = None,
             progress: Callable[[int], None] | None = None, ahead: int | None = None) -> BackfillResult:
    """Read, normalise and encode ``paths`` on ``client``'s workers; cluster and store here, under the ingest lock,
    as run ``backfill``. ``ahead``: parts and batches in flight (default 4 per worker)."""
    from ..ingest.files import WalkReport
    from ..pipeline import open_pipeline

    settings = settings or Settings()
    report = report if report is not None else WalkReport()
    parts = plan_parts(paths, settings.ingest, report, part_bytes)
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    ahead = ahead or 4 * n_workers
    t_start = time.perf_counter()
    pipeline = open_pipeline(store, settings)  # the pipeline of `ingest`: same clusterer, observers, restore
    inner = getattr(pipeline.clusterer, "encoder", None)
    pre = PrecomputedEncoder(inner) if inner is not None else None
    if pre is not None:
        # plug in at the clusterer's edge: its encoder now answers from the workers' vectors
        pipeline.clusterer.encoder = pre  # type: ignore[union-attr]
        client.run(warm_worker, settings, encoder_threads(client))
    t_ready = time.perf_counter()
    clock = {"read_wait": 0.0}
    entries = _read_stream(client, parts, settings.ingest, source, ahead, clock)
    items: Iterator[Article | Rejected] = time_ordered_keyed(entries, settings.ingest.order_window)
    if pre is not None:
        items = _planned(items, client, pre, EncodePlanner(store, settings.cluster.encoder_reuse), settings,
                         max(1, settings.ingest.batch_size), ahead)
    try:
        stats = pipeline.run(items, command="backfill", progress=progress)
    finally:
        if pre is not None:
            pre.release()
    t_end = time.perf_counter()
    return BackfillResult(
        stats, len(parts), n_workers,
        encode_foreseen=pre.foreseen if pre else 0, encode_local=pre.local if pre else 0,
        seconds={"setup": t_ready - t_start, "total": t_end - t_start, "read_wait": clock["read_wait"],
                 "encode_wait": pre.wait_s if pre else 0.0},
    )


def _read_stream(client: Any, parts: list[Part | Rejected], settings: IngestSettings, source: str | None,
                 ahead: int, clock: dict[str, float]) -> Iterator[Entry]:
    """The parts' entries in part order, at most ``ahead`` parts in flight on the workers."""
    queue: deque[Any] = deque()
    pending = 0
    todo = iter(parts)

    def fill() -> None:
        nonlocal pending
        while pending < ahead:
            part = next(todo, None)
            if part is None:
                return
            if isinstance(part, Rejected):
                queue.append(part)
            else:
                queue.append(client.submit(read_part, part, settings, source, pure=False))
                pending += 1

    fill()
    while queue:
        head = queue.popleft()
        if isinstance(head, Rejected):
            yield head
            continue
        pending -= 1
        fill()
        t0 = time.perf_counter()
        got = head.result()
        clock["read_wait"] += time.perf_counter() - t0
        head.release()
        yield from got


def _planned(items: Iterator[Article | Rejected], client: Any, pre: PrecomputedEncoder, planner: EncodePlanner,
             settings: Settings, batch_size: int, ahead: int) -> Iterator[Article | Rejected]:
    """``items`` unchanged, while each batch the pipeline will cut (``batch_size``) is planned and its encoder call
    sent to a worker ``ahead`` batches before the pipeline reaches it."""
    from ..pipeline import _batches

    planned: deque[list[Article | Rejected]] = deque()
    for batch in _batches(items, batch_size):
        for texts in planner.plan(batch):
            pre.expect(texts, client.submit(encode_texts, texts, settings, pure=False))
        planned.append(batch)
        if len(planned) > ahead:
            yield from planned.popleft()
    while planned:
        yield from planned.popleft()


# -- the cluster -----------------------------------------------------------------------------------------------
@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None, *, timeout_s: float = 10.0
                ) -> Iterator[Any]:
    """A ``distributed.Client`` of the scheduler at ``scheduler``, or of a ``LocalCluster`` of ``workers``
    processes (one thread each, on 127.0.0.1, no dashboard) closed on exit."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        raise NotInstalled(e.name or "distributed", "scale") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError, ValueError, TypeError) as e:
            why = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            raise ConfigError(
                f"cannot reach the Dask scheduler at {scheduler!r} ({why}); start one with `dask scheduler` and "
                "`dask worker tcp://HOST:8786` on each machine and pass its address (tcp://HOST:8786), or leave out "
                "--scheduler to run a local cluster (--workers N)"
            ) from None
        with client:
            yield client
        return
    n = workers or os.cpu_count() or 1
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster, timeout=f"{max(timeout_s, 30)}s") as c:
        yield c
