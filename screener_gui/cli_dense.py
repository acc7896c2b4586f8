"""``screener items`` and ``screener train-dense``: the dense whole-item detector's data and training."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _every(step: int, unit: str) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback that logs a line every ``step`` units and at the end."""

    def progress(done: int, total: int) -> None:
        if done and (done % step == 0 or done == total):
            _log(f"{done}/{total} {unit}")

    return progress


def _cmd_items(args: argparse.Namespace) -> int:
    from screener_gui.cli_settings import settings_from
    from screener_gui.core.dataset import DatasetError
    from screener_gui.core.training.item_cache import write_item_cache
    from screener_gui.core.training.settings import ItemSettings

    settings = settings_from(ItemSettings, args)
    try:
        cache = write_item_cache(args.data, args.out, settings, progress=_every(100, "scans"))
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    labels = [r.label for r in cache.records]
    print(
        f"{len(cache)} items in {args.out}: {labels.count(1)} with an anomaly of "
        f"ΔE ≥ {settings.min_delta_e:g}, {labels.count(0)} clean, {labels.count(-1)} holding only "
        "fainter ones (left out)"
    )
    return 0


def _cmd_train_dense(args: argparse.Namespace) -> int:
    import torch

    from screener_gui.cli_settings import settings_from
    from screener_gui.core.training.dense import DenseRun, train_dense

    torch.set_num_threads(args.threads)
    try:
        path = train_dense(settings_from(DenseRun, args), log=_log)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"best weights: {path}")
    return 0


def _cmd_fit_item_head(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    import torch

    from screener_gui.cli_settings import settings_from
    from screener_gui.core.training.item_head import refit_item_head
    from screener_gui.core.training.settings import FitHeadSettings
    from screener_gui.core.weights import WeightsError

    torch.set_num_threads(args.threads)
    try:
        result = refit_item_head(
            Path(args.detector),
            Path(args.train),
            Path(args.val),
            Path(args.out),
            settings_from(FitHeadSettings, args),
            log=_log,
            progress=_every(100, "items"),
        )
    except (WeightsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    print(f"written: {args.out} (thresholds cleared: run screener calibrate on it)")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the dense detector's commands on the ``screener`` parser."""
    from screener_gui.cli_settings import add_settings_options
    from screener_gui.core.training.settings import DenseRun, FitHeadSettings, ItemSettings

    p = sub.add_parser("items", help="cut every item of a generated dataset into a dense-detector cache")
    p.add_argument("data", help="a dataset folder written by `screener synth`")
    p.add_argument("--out", required=True, help="cache folder")
    add_settings_options(p, ItemSettings)
    p.set_defaults(func=_cmd_items)

    p = sub.add_parser("train-dense", help="train the dense whole-item detector on item caches")
    add_settings_options(p, DenseRun)
    p.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    p.set_defaults(func=_cmd_train_dense)

    p = sub.add_parser(
        "fit-item-head", help="fit a dense detector's item head on whole items (network frozen)"
    )
    p.add_argument("--detector", required=True, help="dense detector weights (screener train-dense)")
    p.add_argument("--train", required=True, help="item cache to fit on")
    p.add_argument("--val", required=True, help="item cache to choose the head on (other scans)")
    p.add_argument("--out", required=True, help="weights file to write")
    add_settings_options(p, FitHeadSettings)
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=_cmd_fit_item_head)
