"""Tests for weights files and checkpoints: round trips, every refused file, exact resumption."""

from __future__ import annotations

import json
import os
import pickle
import struct
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

from screener_gui.core.weights import (
    FORMAT_VERSION,
    WeightsError,
    load_checkpoint,
    load_state,
    load_weights,
    save_checkpoint,
    save_weights,
)

METADATA = {
    "kind": "classifier",
    "architecture": "resnet18",
    "classes": ["benign", "anomaly"],
    "threshold": 0.42,
}


class _Payload:
    """Unpickling this creates ``marker``: what a malicious weights file would do instead."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.marker), "w")


def _tensors() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {
        "conv.weight": torch.randn(8, 3, 3, 3, generator=generator),
        "conv.bias": torch.randn(8, generator=generator, dtype=torch.float64),
        "bn.num_batches_tracked": torch.tensor(17),
        "labels": torch.arange(6, dtype=torch.int32),
        "mask": torch.tensor([True, False, True]),
    }


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


def _train(model: nn.Module, optimizer: torch.optim.Optimizer, steps: int, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(steps):
        x = torch.randn(16, 4, generator=generator)
        y = torch.randint(0, 2, (16,), generator=generator)
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()


def _raw_safetensors(path: Path, header: dict, data: bytes = b"") -> Path:
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + data)
    return path


def _refusal(path: Path, **kwargs: object) -> WeightsError:
    with pytest.raises(WeightsError) as info:
        load_weights(path, **kwargs)
    assert info.value.path == str(path)
    assert str(info.value) == f"{path}: {info.value.reason}"
    return info.value


def test_round_trip_is_exact_without_half(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    save_weights(path, _tensors(), METADATA, half=False)
    loaded, metadata = load_weights(path, kind="classifier")
    assert metadata == METADATA
    assert loaded.keys() == _tensors().keys()
    for name, tensor in _tensors().items():
        expected = tensor.float() if tensor.is_floating_point() else tensor
        assert loaded[name].dtype == expected.dtype, name
        assert torch.equal(loaded[name], expected), name


def test_half_stores_fp16_and_loads_float32_within_tolerance(tmp_path: Path) -> None:
    full, half = tmp_path / "full.safetensors", tmp_path / "half.safetensors"
    save_weights(full, _tensors(), METADATA, half=False)
    save_weights(half, _tensors(), METADATA)
    assert half.stat().st_size < 0.7 * full.stat().st_size
    loaded, metadata = load_weights(half)
    assert metadata == METADATA
    for name, tensor in _tensors().items():
        if tensor.is_floating_point():
            assert loaded[name].dtype == torch.float32
            torch.testing.assert_close(loaded[name], tensor.float(), rtol=1e-3, atol=1e-4)
        else:
            assert torch.equal(loaded[name], tensor), name


def test_views_and_tied_tensors_are_saved(tmp_path: Path) -> None:
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    tensors = {"weight": base, "tied": base, "transposed": base.t(), "row": base[1]}
    save_weights(tmp_path / "w.safetensors", tensors, {}, half=False)
    loaded, _ = load_weights(tmp_path / "w.safetensors")
    for name, tensor in tensors.items():
        assert torch.equal(loaded[name], tensor), name


def test_values_beyond_float16_are_refused_not_saved_as_inf(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'big'.*half=False"):
        save_weights(tmp_path / "w.safetensors", {"big": torch.tensor([1e6])}, {})
    assert not (tmp_path / "w.safetensors").exists()


def test_metadata_must_be_json(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="JSON"):
        save_weights(tmp_path / "w.safetensors", {}, {"when": object()})


def test_failed_save_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.safetensors"
    save_weights(path, _tensors(), METADATA)
    old = path.read_bytes()

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        save_weights(path, {"other": torch.zeros(2)}, {"kind": "segmenter"})
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["w.safetensors"]


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_torch_save_file_is_refused_as_pickle(tmp_path: Path, zipped: bool) -> None:
    path = tmp_path / "model.pt"
    torch.save(_tensors(), path, _use_new_zipfile_serialization=zipped)
    error = _refusal(path)
    assert "pickle-based PyTorch file" in error.reason
    assert "only safetensors weights are loaded" in error.reason
    assert "no file is ever unpickled" in error.reason


@pytest.mark.parametrize("how", ["pickle", "torch.save"])
def test_malicious_pickle_is_never_unpickled(tmp_path: Path, how: str) -> None:
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(_Payload(control)))
    assert control.exists()  # the payload works: unpickling it would leave the marker

    marker = tmp_path / "marker"
    path = tmp_path / "evil.safetensors"
    if how == "pickle":
        path.write_bytes(pickle.dumps(_Payload(marker)))
    else:
        torch.save({"weight": _Payload(marker)}, path)
    assert "pickle" in _refusal(path).reason
    model = _model()
    with pytest.raises(WeightsError, match="pickle"):
        load_checkpoint(path, model, torch.optim.SGD(model.parameters(), lr=0.1))
    assert not marker.exists()


@pytest.mark.parametrize("size", [64, 4096], ids=["small", "large"])
def test_truncated_file_is_refused(tmp_path: Path, size: int) -> None:
    path = tmp_path / "w.safetensors"
    save_weights(path, {"weight": torch.ones(size)}, METADATA)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "truncated" in _refusal(path).reason


@pytest.mark.parametrize("seed", range(4))
def test_random_bytes_are_refused(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "noise.safetensors"
    path.write_bytes(
        torch.randint(0, 256, (3000,), generator=torch.Generator().manual_seed(seed)).byte().numpy().tobytes()
    )
    _refusal(path)


def test_missing_empty_and_folder_are_refused(tmp_path: Path) -> None:
    assert "does not exist" in _refusal(tmp_path / "none.safetensors").reason
    (tmp_path / "empty.safetensors").write_bytes(b"")
    assert "empty" in _refusal(tmp_path / "empty.safetensors").reason
    assert "folder" in _refusal(tmp_path).reason


def test_corrupt_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    path.write_bytes(struct.pack("<Q", 16) + b'{"a": [1, 2,,]} ')
    assert "not valid JSON" in _refusal(path).reason


def test_inconsistent_offsets_are_reported_with_safetensors_reason(tmp_path: Path) -> None:
    meta = {"screener": "{}", "format_version": "1"}
    header = {"__metadata__": meta, "w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}
    path = _raw_safetensors(tmp_path / "w.safetensors", header, bytes(8))
    assert "corrupt" in _refusal(path).reason


def test_plain_safetensors_without_screener_metadata_is_refused(tmp_path: Path) -> None:
    save_file({"w": torch.zeros(2)}, tmp_path / "plain.safetensors")
    assert "not a screener weights file" in _refusal(tmp_path / "plain.safetensors").reason


def test_newer_format_version_is_refused(tmp_path: Path) -> None:
    meta = {"screener": json.dumps(METADATA), "format_version": str(FORMAT_VERSION + 1)}
    path = _raw_safetensors(tmp_path / "future.safetensors", {"__metadata__": meta})
    assert "newer version" in _refusal(path).reason


def test_kind_mismatch_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    save_weights(path, _tensors(), {**METADATA, "kind": "segmenter"})
    assert _refusal(path, kind="classifier").reason == "it holds a segmenter, expected a classifier"
    save_weights(path, _tensors(), {})
    assert "no stated kind" in _refusal(path, kind="classifier").reason


def test_load_state_fills_the_model_in_its_dtype(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    source = _model(seed=1)
    save_weights(path, source.state_dict(), METADATA, half=False)
    target = _model(seed=2).double()
    load_state(target, load_weights(path)[0], path)
    for name, value in target.state_dict().items():
        assert value.dtype == (torch.float64 if value.is_floating_point() else torch.int64)
        torch.testing.assert_close(value, source.state_dict()[name].to(value.dtype))


def test_load_state_names_the_wrong_shape_and_leaves_the_model_alone() -> None:
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    tensors = {k: torch.zeros_like(v) for k, v in before.items()}
    tensors["3.weight"] = torch.zeros(3, 8)
    with pytest.raises(WeightsError, match=r"wrong shapes 3\.weight \(file 3x8, model 2x8\)"):
        load_state(model, tensors, "w.safetensors")
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name


def test_load_state_lists_at_most_five_missing_and_unexpected_keys() -> None:
    model = _model()
    tensors = {f"extra{i}": torch.zeros(1) for i in range(7)}
    with pytest.raises(WeightsError) as info:
        load_state(model, tensors, "w.safetensors")
    reason = info.value.reason
    assert "missing keys 0.weight, 0.bias" in reason
    assert "unexpected keys extra0, extra1, extra2, extra3, extra4 and 2 more" in reason
    assert "extra5" not in reason


@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_resumed_training_matches_uninterrupted_training(tmp_path: Path, name: str) -> None:
    def build(seed: int) -> tuple[nn.Module, torch.optim.Optimizer]:
        model = _model(seed)
        groups = [{"params": model[0].parameters(), "lr": 0.05}, {"params": list(model[1:].parameters())}]
        if name == "sgd":
            return model, torch.optim.SGD(groups, lr=0.1, momentum=0.9, weight_decay=1e-4)
        return model, torch.optim.AdamW(groups, lr=0.01)

    straight, straight_opt = build(seed=0)
    _train(straight, straight_opt, steps=3, seed=1)
    _train(straight, straight_opt, steps=3, seed=2)

    first, first_opt = build(seed=0)
    _train(first, first_opt, steps=3, seed=1)
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, first, first_opt, {"epoch": 3, "dataset": "synthetic"})

    resumed, resumed_opt = build(seed=99)  # another start: everything must come from the file
    assert load_checkpoint(path, resumed, resumed_opt) == {"epoch": 3, "dataset": "synthetic"}
    _train(resumed, resumed_opt, steps=3, seed=2)
    for key, value in straight.state_dict().items():
        assert torch.equal(resumed.state_dict()[key], value), key

    # Without the optimizer state the same steps end elsewhere: the check above can fail.
    fresh, fresh_opt = build(seed=99)
    load_state(
        fresh,
        {k[len("model.") :]: v for k, v in load_weights(path)[0].items() if k.startswith("model.")},
        path,
    )
    _train(fresh, fresh_opt, steps=3, seed=2)
    assert not torch.equal(fresh[0].weight, straight[0].weight)


def test_checkpoint_refuses_another_optimizer_and_is_no_plain_weights_file(tmp_path: Path) -> None:
    model = _model()
    sgd = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    _train(model, sgd, steps=1, seed=0)
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, model, sgd, {})
    with pytest.raises(WeightsError, match="holds SGD state, but the optimizer is Adam"):
        load_checkpoint(path, model, torch.optim.Adam(model.parameters()))
    with pytest.raises(WeightsError, match="parameter groups"):
        load_checkpoint(path, model, torch.optim.SGD(list(model.parameters())[:2], lr=0.1))
    assert _refusal(path, kind="classifier").reason == "it holds a checkpoint, expected a classifier"
    save_weights(path, model.state_dict(), METADATA)
    with pytest.raises(WeightsError, match="holds a classifier, expected a checkpoint"):
        load_checkpoint(path, model, sgd)


def test_checkpoint_keeps_full_precision(tmp_path: Path) -> None:
    model = _model().double()
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, model, sgd, {})
    copy = _model(seed=5).double()
    load_checkpoint(path, copy, torch.optim.SGD(copy.parameters(), lr=0.1))
    assert torch.equal(copy[0].weight, model[0].weight)
