"""``screener`` subcommands for models: training, evaluation, screening and benchmarks."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from screener_gui.core.scan import Scan


def _log(message: str) -> None:
    print(message, flush=True)


def _threads(args: argparse.Namespace) -> None:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)


def _cmd_train_segmenter(args: argparse.Namespace) -> int:
    from screener_gui.core.training.segmenter import SegmenterSettings, train_segmenter

    _threads(args)
    settings = SegmenterSettings(
        backbone=args.backbone,
        pretrained=None if args.pretrained == "none" else args.pretrained,
        iterations=args.iterations,
        batch=args.batch,
        lr=args.lr,
        validate_every=args.validate_every,
        validation_scans=args.validation_scans,
        seed=args.seed,
        init=args.init,
    )
    best = train_segmenter(
        Path(args.train), Path(args.val), Path(args.out), settings, resume=not args.restart, log=_log
    )
    print(f"best segmenter weights: {best}")
    return 0


def _cmd_regions(args: argparse.Namespace) -> int:
    from screener_gui.core.training.object_cache import extract_objects
    from screener_gui.core.training.region_cache import extract_regions

    if args.mode == "pooled":
        if args.strategy != "subcomponent":
            raise SystemExit("the pooled mode classifies sub-components: use --strategy subcomponent")
        objects = extract_objects(
            Path(args.data),
            Path(args.out),
            superpixel_area=args.superpixel_area,
            workers=args.workers,
            limit=args.limit,
            progress=not args.quiet,
        )
        m = objects.meta
        print(
            f"{m.objects} objects with {m.anomaly} anomaly, {m.benign} benign and {m.ignored} ignored "
            f"superpixels from {m.scans} scans -> {args.out}"
        )
        return 0
    cache = extract_regions(
        Path(args.data),
        Path(args.out),
        strategy=args.strategy,
        superpixel_area=args.superpixel_area,
        workers=args.workers,
        limit=args.limit,
        progress=not args.quiet,
    )
    print(
        f"{len(cache)} regions ({cache.meta.anomaly} anomaly, {cache.meta.benign} benign, "
        f"{cache.meta.ignored} ignored by the rule) from {cache.meta.scans} scans -> {args.out}"
    )
    return 0


def _pooled_run(args: argparse.Namespace, pretrained: str | None, freeze: bool):
    """Settings, caches and trainer of a pooled-mode run."""
    from screener_gui.core.training.object_cache import ObjectCache
    from screener_gui.core.training.pooled import PooledSettings, train_pooled

    if args.strategy != "subcomponent":
        raise SystemExit("the pooled mode classifies sub-components: use --strategy subcomponent")
    defaults = PooledSettings()
    settings = PooledSettings(
        arch=args.arch,
        pretrained=pretrained,
        epochs=args.epochs,
        batch=args.batch or defaults.batch,
        lr=args.lr or defaults.lr,
        input_scale=args.input_scale,
        target_fpr=args.target_fpr,
        seed=args.seed,
        init=args.init,
        freeze_early=freeze,
        min_delta_e=args.min_delta_e,
    )
    return settings, ObjectCache.open(args.train), ObjectCache.open(args.val), train_pooled


def _crop_run(args: argparse.Namespace, pretrained: str | None, freeze: bool):
    """Settings, caches and trainer of a crop-mode (the paper's) run."""
    from screener_gui.core.training.classifier import ClassifierSettings, train_classifier
    from screener_gui.core.training.region_cache import RegionCache

    train, val = RegionCache.open(args.train), RegionCache.open(args.val)
    if train.meta.strategy != args.strategy:
        raise SystemExit(f"{args.train} holds {train.meta.strategy} regions, not {args.strategy}")
    settings = ClassifierSettings(
        arch=args.arch,
        pretrained=pretrained,
        epochs=args.epochs,
        samples_per_epoch=args.samples_per_epoch,
        batch=args.batch or 64,
        lr=args.lr or 0.001,
        target_fpr=args.target_fpr,
        seed=args.seed,
        init=args.init,
        freeze_early=freeze,
        min_delta_e=args.min_delta_e,
    )
    return settings, train, val, train_classifier


def _cmd_train(args: argparse.Namespace) -> int:
    from screener_gui.core.pipeline.screen import pick_device

    _threads(args)
    pretrained = None if args.pretrained == "none" else args.pretrained
    # Early layers are frozen only when they hold pretrained weights; the metadata says so.
    freeze = not args.no_freeze and pretrained is not None
    run = _pooled_run if args.mode == "pooled" else _crop_run
    settings, train, val, trainer = run(args, pretrained, freeze)
    best = trainer(
        train,
        val,
        Path(args.out),
        settings,
        device=pick_device(args.device),
        resume=not args.restart,
        log=_log,
    )
    print(f"best classifier weights: {best}")
    return 0


def _screener(args: argparse.Namespace, mode: str | None = None):
    """The screener the options name, in ``mode`` (default: ``--mode``)."""
    from screener_gui.core.pipeline.screen import Screener

    return Screener.load(args.segmenter, args.detector, args.device, mode=mode or args.mode)


def _detector_path(args: argparse.Namespace) -> Path:
    from screener_gui.core.pipeline.screen import DEFAULT_MODE, MODE_FILES, models_dir

    return Path(args.detector or models_dir() / MODE_FILES[args.mode or DEFAULT_MODE])


def _progress(done: int, total: int) -> None:
    if done == total or done % 20 == 0:
        _log(f"{done}/{total} scans")


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from screener_gui.core.training.evaluate import calibrate

    _threads(args)
    result = calibrate(
        Path(args.data),
        _screener(args),
        _detector_path(args),
        region_fpr=args.region_fpr,
        object_fpr=args.object_fpr,
        limit=args.limit,
        progress=_progress,
    )
    print(json.dumps(result, indent=1))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from screener_gui.core.breakdown import breakdown_table
    from screener_gui.core.report import markdown_table
    from screener_gui.core.training.evaluate import evaluate

    _threads(args)
    modes = args.modes or [args.mode]
    if args.modes and args.detector:
        print("error: --modes uses the shipped detectors; --detector names one file", file=sys.stderr)
        return 2
    from screener_gui.core.atomic import write_text_atomic

    side_by_side = {}
    for mode in modes:
        out = Path(args.out) / mode if len(modes) > 1 else Path(args.out)
        screener = _screener(args, mode)
        rows, breakdowns, notes = evaluate(
            Path(args.data), screener, out, limit=args.limit, progress=_progress
        )
        print(f"\n{screener.detector.mode} mode:")
        print(markdown_table(rows))
        for level, level_rows in breakdowns.items():
            print(f"\n{level} by visibility and anomaly kind (positives of the row against all negatives):")
            print(breakdown_table(level_rows))
        print(json.dumps(notes, indent=1))
        print(f"written: {out}/metrics.md, metrics.csv, metrics.json, regions.csv, objects.csv")
        side_by_side |= {f"{level} ({screener.detector.mode})": m for level, m in rows.items()}
    if len(modes) > 1:
        table = markdown_table(dict(sorted(side_by_side.items())))
        write_text_atomic(Path(args.out) / "modes.md", f"# Modes on the same scans\n\n{table}\n")
        print(f"\nboth modes on the same scans ({args.out}/modes.md):\n{table}")
    return 0


def _cmd_screen(args: argparse.Namespace) -> int:
    from screener_gui.core.atomic import write_text_atomic
    from screener_gui.core.errors import ScanLoadError
    from screener_gui.core.io import expand_scan_paths, load_scan, save_png_atomic
    from screener_gui.core.pipeline.figure import figure

    _threads(args)
    screener = _screener(args)
    lines, failures = [], 0
    overlays = Path(args.overlays) if args.overlays else None
    masks = Path(args.masks) if args.masks else None
    for folder in (overlays, masks):
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
    names: set[str] = set()
    for path in expand_scan_paths(args.paths):
        t0 = time.perf_counter()
        try:
            scan = load_scan(path)
        except ScanLoadError as error:
            failures += 1
            lines.append(json.dumps({"source": str(path), "error": str(error)}))
            _log(f"skipped: {error}")
            continue
        load_ms = 1000 * (time.perf_counter() - t0)
        try:
            result = screener.screen(scan)
        except (ValueError, RuntimeError) as error:  # a scan the pipeline cannot handle: say so, go on
            failures += 1
            lines.append(json.dumps({"source": str(path), "error": f"screening failed: {error}"}))
            _log(f"failed: {path}: {error}")
            continue
        summary = result.summary()
        summary["timings_ms"]["load"] = round(load_ms, 1)
        lines.append(json.dumps(summary))
        name = _unique(path.stem, names)
        if overlays is not None:
            save_png_atomic(overlays / f"{name}_screened.png", figure(scan.rgb, result))
            summary["overlay"] = str(overlays / f"{name}_screened.png")
        if masks is not None:
            save_png_atomic(masks / f"{name}_regions.png", result.region_map())
            summary["region_map"] = str(masks / f"{name}_regions.png")
        lines[-1] = json.dumps(summary)
        flags = ", ".join(
            f"{o['category']} {o['anomaly_score']:.2f}{' ALARM' if o['alarm'] else ''}"
            for o in summary["objects"]
        )
        _log(
            f"{'ALARM' if result.alarm else 'clear'}  {path}  [{flags or 'no electronics'}]  "
            f"{result.timings['total']:.0f} ms"
        )
    write_text_atomic(args.out, "\n".join(lines) + "\n")
    _log(f"{len(lines) - failures} screened, {failures} could not be read or screened -> {args.out}")
    return 1 if failures else 0


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... when scans in different folders share a file name."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def _cmd_bench(args: argparse.Namespace) -> int:
    from screener_gui.core.pipeline.bench import bench, bench_files
    from screener_gui.core.pipeline.detectors import load_detector
    from screener_gui.core.pipeline.screen import MODE_FILES, Screener, models_dir
    from screener_gui.synth.scene import SynthSettings, generate_scan

    _threads(args)
    screener = _screener(args)
    compare = None
    if args.compare != "none":
        other = args.compare or ("paper" if screener.detector.mode == "dense" else "dense")
        path = models_dir() / MODE_FILES[other] if other in MODE_FILES else Path(other)
        compare = Screener(screener.segmenter, load_detector(path, screener.device))
    scans = [generate_scan(args.seed, i, SynthSettings()).rgb for i in range(args.count)]
    report = {"seed": args.seed} | bench(screener, scans, repeats=args.repeats, compare=compare)
    if args.real:
        try:
            report["real"] = bench_files(screener, _readable_scans(args.real), compare=compare)
        except ValueError as error:  # no readable scan under those paths
            print(f"error: {error}: {' '.join(args.real)}", file=sys.stderr)
            return 1
    print(json.dumps(report, indent=1))
    return 0


def _readable_scans(paths: list[str]) -> Iterator[tuple[str, Scan]]:
    """(path, scan) of every scan file under ``paths`` that loads; the others are named on stderr."""
    from screener_gui.core.errors import ScanLoadError
    from screener_gui.core.io import expand_scan_paths, load_scan

    for path in expand_scan_paths(paths):
        try:
            yield str(path), load_scan(path)
        except ScanLoadError as error:
            print(f"skipped: {error}", file=sys.stderr)  # stdout carries the JSON


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--segmenter", default=None, help="segmenter weights (default: models/segmenter.safetensors)"
    )
    p.add_argument(
        "--mode",
        choices=("dense", "paper"),
        default=None,
        help="dense: the whole-item detector (default); paper: the DFL per-superpixel classifier",
    )
    p.add_argument(
        "--detector",
        default=None,
        help="detector weights of either mode (default: the shipped file of --mode: "
        "models/detector.safetensors or models/classifier.safetensors)",
    )
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: CUDA when present)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's choice)")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the model subcommands on the ``screener`` parser."""
    p = sub.add_parser("regions", help="crop and label the regions of a generated dataset for training")
    p.add_argument("data", help="generated dataset folder")
    p.add_argument("--out", required=True, help="region cache folder")
    p.add_argument("--strategy", default="subcomponent", choices=("subcomponent", "object"))
    p.add_argument("--superpixel-area", type=int, default=2500, help="pixels per superpixel (default 2500)")
    p.add_argument(
        "--mode",
        default="crop",
        choices=("crop", "pooled"),
        help="crop: one 190x150 / 224x224 crop per region (the paper); pooled: whole objects with "
        "labelled superpixels, for the pooled (fast) DFL mode",
    )
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--limit", type=int, default=None, help="only the first N scans")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_regions)

    p = sub.add_parser("train", help="train a region classifier on region caches (screener regions)")
    p.add_argument("--train", required=True, help="region cache for training")
    p.add_argument("--val", required=True, help="region cache for validation (other scans)")
    p.add_argument("--out", required=True, help="run folder: checkpoint.safetensors, classifier.safetensors")
    from screener_gui.core.models.registry import CLASSIFIER_KIND, names

    p.add_argument(
        "--arch",
        default="dfl_lite0",
        choices=names(CLASSIFIER_KIND),
        help="region classifier (default dfl_lite0)",
    )
    p.add_argument("--strategy", default="subcomponent", choices=("subcomponent", "object"))
    p.add_argument(
        "--pretrained",
        default="none",
        help="'imagenet' (Lite0 models: the installed package), a local torchvision state dict, "
        "or 'none' (default)",
    )
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--samples-per-epoch", type=int, default=8192)
    p.add_argument(
        "--mode",
        default="crop",
        choices=("crop", "pooled"),
        help="crop: caches of region crops (the paper); pooled: object caches, DFL run once per object "
        "with superpixel pooling (the fast mode)",
    )
    p.add_argument(
        "--batch", type=int, default=None, help="crops (default 64) or objects (pooled, default 8)"
    )
    p.add_argument("--lr", type=float, default=None, help="default 0.001 (crop), 0.003 (pooled)")
    p.add_argument("--input-scale", type=float, default=1.0, help="pooled: object input scale")
    p.add_argument("--device", default=None, help="cpu, cuda ... (default: CUDA when present)")
    p.add_argument(
        "--target-fpr", type=float, default=0.02, help="validation FP rate for the region threshold"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    p.add_argument(
        "--init", default=None, help="start from these classifier weights (e.g. the shipped model)"
    )
    p.add_argument("--no-freeze", action="store_true", help="train the pretrained stem too")
    p.add_argument(
        "--min-delta-e",
        type=float,
        default=None,
        help="leave training anomalies fainter than this ΔE out (e.g. 2: none below the 'subtle' "
        "bin); validation keeps them all (default: keep all)",
    )
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("calibrate", help="set decision thresholds on a validation dataset (whole pipeline)")
    p.add_argument("data", help="generated validation dataset folder (never the test set)")
    p.add_argument("--region-fpr", type=float, default=0.035, help="region FP rate (the paper's 3.5 %%)")
    p.add_argument("--object-fpr", type=float, default=0.05, help="item FP rate")
    p.add_argument("--limit", type=int, default=None)
    _model_options(p)
    p.set_defaults(func=_cmd_calibrate)

    p = sub.add_parser(
        "evaluate", help="screen a generated test dataset and report region/object/bag metrics"
    )
    p.add_argument("data", help="generated dataset folder (a seed never used in training or tuning)")
    p.add_argument(
        "--out",
        required=True,
        help="folder for metrics.md, metrics.csv, metrics.json (every level overall, per visibility "
        "bin and per anomaly kind), regions.csv and objects.csv (every scored region and object)",
    )
    p.add_argument("--limit", type=int, default=None)
    p.add_argument(
        "--modes",
        nargs="+",
        choices=("dense", "paper"),
        default=None,
        help="screen the same scans with each shipped mode: OUT/<mode>/ and a side-by-side OUT/modes.md",
    )
    _model_options(p)
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("screen", help="screen scans: one JSON line per scan, overlay PNGs")
    p.add_argument("paths", nargs="+", help="scan files or folders (searched recursively)")
    p.add_argument("--out", required=True, help="JSON lines file to write")
    p.add_argument("--overlays", default=None, help="folder for scan | contours | heatmap PNGs")
    p.add_argument(
        "--masks",
        default=None,
        help="folder for each scan's region map: a 16-bit PNG whose pixel values are the region ids "
        "of the JSON line (0 outside regions)",
    )
    _model_options(p)
    p.set_defaults(func=_cmd_screen)

    p = sub.add_parser("bench", help="per-stage timings on a fixed set of generated scans, as JSON")
    p.add_argument("--count", type=int, default=8)
    p.add_argument("--seed", type=int, default=90210)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument(
        "--compare",
        default=None,
        help="also time this mode (dense, paper) or detector file, bag by bag in turn, and report the "
        "ratio (default: the other shipped mode; none: only one)",
    )
    p.add_argument(
        "--real",
        nargs="+",
        metavar="PATH",
        help="also time every scan file in these files or folders once (median, 95th percentile and "
        "the slowest by name)",
    )
    _model_options(p)
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("train-segmenter", help="train the Mask R-CNN item segmenter on generated bags")
    p.add_argument("--train", required=True, help="generated dataset folder for training")
    p.add_argument("--val", required=True, help="generated dataset folder for validation")
    p.add_argument("--out", required=True, help="run folder: checkpoint.safetensors, segmenter.safetensors")
    p.add_argument("--backbone", default="lite0", choices=("lite0", "resnet50"))
    p.add_argument(
        "--pretrained",
        default="imagenet",
        help="'imagenet' (Lite0 package weights), a local torchvision state dict, or 'none'",
    )
    p.add_argument("--iterations", type=int, default=3000)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--lr", type=float, default=0.005)
    p.add_argument("--validate-every", type=int, default=250)
    p.add_argument("--validation-scans", type=int, default=60)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's choice)")
    p.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    p.add_argument("--init", default=None, help="start from these segmenter weights (e.g. the shipped model)")
    p.set_defaults(func=_cmd_train_segmenter)

    p = sub.add_parser("export-labels", help="annotated scans (region label files) → a region cache")
    p.add_argument("paths", nargs="+", help="scan files or folders (searched recursively)")
    p.add_argument("--out", required=True, help="region cache folder for `screener train`")
    p.set_defaults(func=_cmd_export_labels)


def _cmd_export_labels(args: argparse.Namespace) -> int:
    import sys

    from screener_gui.core.errors import ScanLoadError
    from screener_gui.core.io import expand_scan_paths
    from screener_gui.core.training.label_export import export_training_set

    unlabelled: list[Path] = []
    try:
        cache = export_training_set(expand_scan_paths(args.paths), args.out, on_unlabelled=unlabelled.append)
    except (ScanLoadError, ValueError) as exc:  # LabelFileError is a ValueError
        for path in unlabelled:
            print(f"no labels: {path}")
        print(f"error: {exc}", file=sys.stderr)
        return 1
    m = cache.meta
    print(f"{len(cache)} regions ({m.anomaly} anomaly, {m.benign} benign) from {m.scans} scans -> {args.out}")
    for path in unlabelled:
        print(f"no labels: {path}")
    return 0
