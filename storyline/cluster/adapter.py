"""The event adapter: a map on the dense encoder's sentence vectors, fitted so that reports of one event by
different outlets come closer than reports of different events.

all-MiniLM-L6-v2 was trained for general sentence similarity: two outlets' headlines of one event ("Senate passes
infrastructure bill" / "Bipartisan deal clears upper chamber") and two headlines of one topic but different events
look about as similar to it. The clusterer reads ``normalize(v @ W + relu(v @ A + a) @ B + b)`` instead of ``v``
(a linear map plus, when the recipe has one, a residual hidden layer; ``W`` is dim × dim, started at the identity,
and the hidden layer's output starts at zero), fitted by ``python bench/train_adapter.py`` on pairs of reports of
one gold story from ../shared/data (InfoNCE with the batch's other stories as negatives, every set's stories split
into folds for the held-out figures; the fit's recipe and figures are in its ``meta``). Stored embeddings stay the
encoder's own (search and story views read those): only the clusterer applies the map, to new vectors and to stored
ones it restores. A small map on the vectors and not a fine-tuned encoder: it trains in a minute on cached vectors,
ships as one small file, and keeps the encoder and everything else that reads its vectors unchanged
(docs/clustering.md, "The event adapter"; the hidden layer: "A hidden layer in the event adapter"). Applied with
numpy alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

ADAPTER_FILE = Path(__file__).parent / "models" / "dense_adapter.npz"


HIDDEN = ("A", "a", "B", "b")  # the residual hidden layer's arrays, all present or none


@dataclass(frozen=True)
class DenseAdapter:
    """``apply(X)`` = the rows of ``X @ W`` (plus ``relu(X @ A + a) @ B + b`` when the adapter has a hidden layer),
    each scaled to unit length (a zero row stays zero)."""

    W: np.ndarray = field(repr=False)
    meta: Mapping[str, Any] = field(default_factory=dict)
    A: np.ndarray | None = field(default=None, repr=False)  # dim × hidden
    a: np.ndarray | None = field(default=None, repr=False)  # hidden
    B: np.ndarray | None = field(default=None, repr=False)  # hidden × dim
    b: np.ndarray | None = field(default=None, repr=False)  # dim

    @property
    def dim(self) -> int:
        return int(self.W.shape[0])

    @property
    def hidden(self) -> int:
        return 0 if self.A is None else int(self.A.shape[1])

    def apply(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        Y = X @ self.W
        if self.A is not None:
            Y += np.maximum(X @ self.A + self.a, 0.0) @ self.B + self.b
        norms = np.linalg.norm(Y, axis=-1, keepdims=True)
        return (Y / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        extra = {k: getattr(self, k).astype(np.float32) for k in HIDDEN} if self.A is not None else {}
        with path.open("wb") as fh:
            np.savez_compressed(fh, W=self.W.astype(np.float32), meta=np.array(json.dumps(self.meta, sort_keys=True)),
                                **extra)


def load_adapter(setting: str, dim: int | None = None, encoder_name: str | None = None) -> DenseAdapter | None:
    """The adapter a ``cluster.dense_adapter`` setting names: "" the shipped one, for the MiniLM encoder it was
    fitted on (None for another encoder, e.g. a test's, or when the package has none), "none" no adapter, else a
    file written by :meth:`DenseAdapter.save`. ``dim``: the encoder's, checked."""
    from ..errors import ConfigError
    from ..represent.dense import MODEL_NAME

    if setting.strip().lower() == "none":
        return None
    path = Path(setting) if setting else ADAPTER_FILE
    if not setting and encoder_name is not None and not encoder_name.startswith(MODEL_NAME):
        return None
    if not path.is_file():
        if not setting:
            return None
        raise ConfigError(f"cluster.dense_adapter: no such file {setting!r}; train one with: "
                          "python bench/train_adapter.py, or set cluster.dense_adapter=none")
    try:
        with np.load(path, allow_pickle=False) as z:
            W, meta = z["W"].astype(np.float32), json.loads(str(z["meta"]))
            hidden = {k: z[k].astype(np.float32) for k in HIDDEN if k in z.files}
    except (OSError, KeyError, ValueError) as e:
        raise ConfigError(f"cluster.dense_adapter {str(path)!r} is not an adapter file ({e})") from None
    if W.ndim != 2 or W.shape[0] != W.shape[1] or not np.isfinite(W).all():
        raise ConfigError(f"cluster.dense_adapter {str(path)!r}: W must be a finite square matrix, got {W.shape}")
    if dim is not None and W.shape[0] != dim:
        raise ConfigError(f"cluster.dense_adapter {str(path)!r} maps {W.shape[0]}-dimensional vectors, the encoder "
                          f"gives {dim}; set cluster.dense_adapter=none or train one for this encoder")
    if hidden:
        d = W.shape[0]
        A, a, B, b = (hidden.get(k) for k in HIDDEN)
        if (A is None or a is None or B is None or b is None or A.ndim != 2 or A.shape[0] != d
                or a.shape != (A.shape[1],) or B.shape != (A.shape[1], d) or b.shape != (d,)
                or not all(np.isfinite(x).all() for x in (A, a, B, b))):
            raise ConfigError(f"cluster.dense_adapter {str(path)!r}: the hidden layer needs finite A (dim × h), "
                              f"a (h), B (h × dim) and b (dim), got {sorted(hidden)}")
        return DenseAdapter(W, meta, A, a, B, b)
    return DenseAdapter(W, meta)


def story_pairs(labels: Sequence[str]) -> np.ndarray:
    """Every ordered pair (i, j), i != j, of rows with the same label, as an (n, 2) array."""
    groups: dict[str, list[int]] = {}
    for i, lab in enumerate(labels):
        groups.setdefault(lab, []).append(i)
    pairs = [(a, b) for g in groups.values() for a in g for b in g if a != b]
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def fit_adapter(views: Mapping[str, np.ndarray], labels: Sequence[str], *, epochs: int = 4, ridge: float = 0.0,
                temperature: float = 0.05, batch: int = 256, lr: float = 1e-3, seed: int = 0,
                hidden: int = 0) -> DenseAdapter:
    """The adapter fitted with InfoNCE on pairs of rows of one label: W (dim × dim, started at the identity) and,
    with ``hidden`` > 0, a residual hidden layer of that width (ReLU; its output layer started at zero, so the fit
    starts from the identity map either way).

    ``views``: the same rows under several text views (e.g. title + lead, headline only), each (n, dim); a batch
    takes its anchors from one view and its positives from another (drawn per batch), so a headline learns to meet
    its story's leads. In a batch of pairs, the other pairs' positives are the negatives, except those of the same
    label (not pushed apart). ``ridge`` adds ridge × ||W − I||². Deterministic for a seed (CPU torch)."""
    import torch

    names = list(views)
    lab = np.asarray(labels)
    pairs = story_pairs(lab)
    if not len(pairs):
        raise ValueError("no two rows share a label: nothing to fit")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    X = {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in views.items()}
    d = X[names[0]].shape[1]
    eye = torch.eye(d)
    W = torch.nn.Parameter(eye.clone())
    params = [W]
    if hidden > 0:
        inner, outer = torch.nn.Linear(d, hidden), torch.nn.Linear(hidden, d)
        torch.nn.init.zeros_(outer.weight)
        torch.nn.init.zeros_(outer.bias)
        params += [*inner.parameters(), *outer.parameters()]

    def adapt(x):
        y = x @ W
        return y + outer(torch.relu(inner(x))) if hidden > 0 else y

    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(epochs):
        order = rng.permutation(len(pairs))
        for s in range(0, len(order), batch):
            p = pairs[order[s:s + batch]]
            va, vb = rng.choice(len(names), 2)
            a = torch.nn.functional.normalize(adapt(X[names[va]][p[:, 0]]), dim=1)
            b = torch.nn.functional.normalize(adapt(X[names[vb]][p[:, 1]]), dim=1)
            logits = a @ b.T / temperature
            same = torch.from_numpy(lab[p[:, 0]][:, None] == lab[p[:, 1]][None, :])
            logits = logits.masked_fill(same & ~torch.eye(len(p), dtype=torch.bool), float("-inf"))
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(p)))
            if ridge:
                loss = loss + ridge * ((W - eye) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    Wn = W.detach().numpy().astype(np.float32)
    if hidden <= 0:
        return DenseAdapter(Wn)
    with torch.no_grad():
        return DenseAdapter(Wn, {}, inner.weight.T.numpy().astype(np.float32).copy(),
                            inner.bias.numpy().astype(np.float32).copy(),
                            outer.weight.T.numpy().astype(np.float32).copy(),
                            outer.bias.numpy().astype(np.float32).copy())
