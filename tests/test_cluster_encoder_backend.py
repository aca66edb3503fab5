"""cluster.encoder_backend: the ONNX Runtime encoder gives the torch model's vectors; bad values and a missing
onnxruntime are handled (the dense tests need torch + the model, and onnxruntime)."""

from __future__ import annotations

import importlib.util
from dataclasses import replace

import numpy as np
import pytest

from storyline.cluster.base import make_encoder
from storyline.errors import ConfigError
from storyline.settings import Settings

TEXTS = [
    "Storm floods coastal town\nThe storm surge flooded the harbour district overnight, officials said.",
    "Coastal town flooded by storm",
    "Budget passes parliament after a late-night vote on spending cuts and a new tax on banks",
    "Talks with the Taliban start Saturday in Doha",
    "x",
]


def _backend(name: str) -> Settings:
    s = Settings()
    return replace(s, cluster=replace(s.cluster, encoder_backend=name))


def test_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="encoder_backend"):
        make_encoder(_backend("tensorflow"))


def test_missing_onnxruntime_falls_back_to_torch_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    from storyline.represent.dense import MiniLMEncoder

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    with pytest.warns(RuntimeWarning, match="onnxruntime is not installed"):
        enc = make_encoder(_backend("onnx"))
    assert isinstance(enc, MiniLMEncoder)


@pytest.mark.dense
@pytest.mark.slow
def test_onnx_vectors_match_torch() -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("onnxruntime")
    from storyline.represent.dense import MiniLMEncoder, OnnxMiniLMEncoder

    ref = MiniLMEncoder(max_seq_length=64).encode(TEXTS)
    fp32 = OnnxMiniLMEncoder(max_seq_length=64, batch_size=2).encode(TEXTS)
    assert fp32.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(fp32, axis=1), 1.0, atol=1e-4)
    assert float((fp32 * ref).sum(axis=1).min()) > 0.999  # same model, tokenizer, truncation and pooling
    int8 = make_encoder(Settings())
    assert isinstance(int8, OnnxMiniLMEncoder)
    v = int8.encode(TEXTS)
    assert float((v * ref).sum(axis=1).mean()) > 0.9
    assert v[0] @ v[1] > v[0] @ v[2]
