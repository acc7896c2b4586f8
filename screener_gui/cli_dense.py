"""``screener items`` and ``screener train-dense``: the dense whole-item detector's data and training."""

from __future__ import annotations

import argparse
import sys


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _cmd_items(args: argparse.Namespace) -> int:
    from screener_gui.core.dataset import DatasetError
    from screener_gui.core.training.item_cache import write_item_cache

    def progress(done: int, total: int) -> None:
        if done % 100 == 0 or done == total:
            _log(f"{done}/{total} scans")

    try:
        cache = write_item_cache(
            args.data, args.out, min_delta_e=args.min_delta_e, limit=args.limit, progress=progress
        )
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    labels = [r.label for r in cache.records]
    print(
        f"{len(cache)} items in {args.out}: {labels.count(1)} with an anomaly of ΔE ≥ {args.min_delta_e:g}, "
        f"{labels.count(0)} clean, {labels.count(-1)} holding only fainter ones (left out)"
    )
    return 0


def _cmd_train_dense(args: argparse.Namespace) -> int:
    import torch

    from screener_gui.core.training.dense import DenseRun, train_dense

    torch.set_num_threads(args.threads)
    run = DenseRun(
        train=args.train,
        val=args.val,
        out=args.out,
        steps=args.steps,
        batch=args.batch,
        crop=args.crop,
        lr=args.lr,
        validate_every=args.validate_every,
        seed=args.seed,
        device=args.device,
        max_minutes=args.max_minutes,
        positive_share=args.positive_share,
        near_share=args.near_share,
        dice_weight=args.dice_weight,
        hard_negative_share=args.hard_negative_share,
        init=args.init,
        projection_share=args.projection_share,
        composite_share=args.composite_share,
    )
    try:
        path = train_dense(run, log=_log)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"best weights: {path}")
    return 0


def _cmd_fit_item_head(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    import torch

    from screener_gui.core.training.item_head import refit_item_head
    from screener_gui.core.weights import WeightsError

    torch.set_num_threads(args.threads)
    try:
        result = refit_item_head(
            Path(args.detector),
            Path(args.train),
            Path(args.val),
            Path(args.out),
            device=args.device,
            log=_log,
        )
    except (WeightsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    print(f"written: {args.out} (thresholds cleared: run screener calibrate on it)")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the dense detector's commands on the ``screener`` parser."""
    p = sub.add_parser("items", help="cut every item of a generated dataset into a dense-detector cache")
    p.add_argument("data", help="a dataset folder written by `screener synth`")
    p.add_argument("--out", required=True, help="cache folder")
    p.add_argument(
        "--min-delta-e", type=float, default=2.0, help="fainter anomalies are left out (default 2)"
    )
    p.add_argument("--limit", type=int, default=None, help="only the first N scans")
    p.set_defaults(func=_cmd_items)

    p = sub.add_parser("train-dense", help="train the dense whole-item detector on item caches")
    p.add_argument("--train", required=True, help="item cache (screener items) to train on")
    p.add_argument("--val", required=True, help="item cache to validate on (other scans)")
    p.add_argument(
        "--out", required=True, help="run folder: checkpoint.safetensors, detector.safetensors, log"
    )
    p.add_argument("--steps", type=int, default=3000, help="optimiser steps in all (a resumed run continues)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=256, help="training crop side in pixels (0.8 mm each)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument(
        "--positive-share", type=float, default=0.5, help="share of crops taken from anomalous items"
    )
    p.add_argument("--near-share", type=float, default=0.5, help="share of those centred near the anomaly")
    p.add_argument("--dice-weight", type=float, default=0.5, help="weight of the soft Dice term")
    p.add_argument(
        "--hard-negative-share",
        type=float,
        default=0.0,
        help="share of the hottest benign pixels whose cross-entropy counts once more",
    )
    p.add_argument(
        "--projection-share",
        type=float,
        default=0.0,
        help="share of crops that are clean items with a random object projected into them",
    )
    p.add_argument(
        "--composite-share",
        type=float,
        default=0.0,
        help="share of projected objects assembled from several materials (a handle, metal parts)",
    )
    p.add_argument("--init", default=None, help="start from these dense-detector weights (a new run)")
    p.add_argument("--validate-every", type=int, default=250)
    p.add_argument("--max-minutes", type=float, default=None, help="stop (checkpointed) after this long")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=_cmd_train_dense)

    p = sub.add_parser(
        "fit-item-head", help="fit a dense detector's item head on whole items (network frozen)"
    )
    p.add_argument("--detector", required=True, help="dense detector weights (screener train-dense)")
    p.add_argument("--train", required=True, help="item cache to fit on")
    p.add_argument("--val", required=True, help="item cache to choose the head on (other scans)")
    p.add_argument("--out", required=True, help="weights file to write")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=_cmd_fit_item_head)
