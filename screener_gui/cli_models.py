"""``screener`` subcommands for models: training, evaluation, screening and benchmarks."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    from screener_gui.cli_settings import settings_from
    from screener_gui.core.training.segmenter import SegmenterSettings, train_segmenter

    _threads(args)
    settings = settings_from(SegmenterSettings, args)
    best = train_segmenter(
        Path(args.train), Path(args.val), Path(args.out), settings, resume=not args.restart, log=_log
    )
    print(f"best segmenter weights: {best}")
    return 0


def _cmd_regions(args: argparse.Namespace) -> int:
    from screener_gui.cli_settings import settings_from
    from screener_gui.core.training.object_cache import extract_objects
    from screener_gui.core.training.region_cache import extract_regions
    from screener_gui.core.training.settings import RegionSettings

    settings = settings_from(RegionSettings, args)
    if args.mode == "pooled":
        if settings.strategy != "subcomponent":
            raise SystemExit("the pooled mode classifies sub-components: use --strategy subcomponent")
        with _bar("regions", "scan", args.quiet) as progress:
            objects = extract_objects(Path(args.data), Path(args.out), settings, progress=progress)
        m = objects.meta
        print(
            f"{m.objects} objects with {m.anomaly} anomaly, {m.benign} benign and {m.ignored} ignored "
            f"superpixels from {m.scans} scans -> {args.out}"
        )
        return 0
    with _bar("regions", "scan", args.quiet) as progress:
        cache = extract_regions(Path(args.data), Path(args.out), settings, progress=progress)
    print(
        f"{len(cache)} regions ({cache.meta.anomaly} anomaly, {cache.meta.benign} benign, "
        f"{cache.meta.ignored} ignored by the rule) from {cache.meta.scans} scans -> {args.out}"
    )
    return 0


def _pooled_run(args: argparse.Namespace):
    """Settings, caches and trainer of a pooled-mode run."""
    from screener_gui.cli_settings import settings_from
    from screener_gui.core.training.object_cache import ObjectCache
    from screener_gui.core.training.pooled import PooledSettings, train_pooled

    if args.strategy != "subcomponent":
        raise SystemExit("the pooled mode classifies sub-components: use --strategy subcomponent")
    settings = settings_from(PooledSettings, args)
    return settings, ObjectCache.open(args.train), ObjectCache.open(args.val), train_pooled


def _crop_run(args: argparse.Namespace):
    """Settings, caches and trainer of a crop-mode (the paper's) run."""
    from screener_gui.cli_settings import settings_from
    from screener_gui.core.training.classifier import ClassifierSettings, train_classifier
    from screener_gui.core.training.region_cache import RegionCache

    train, val = RegionCache.open(args.train), RegionCache.open(args.val)
    if train.meta.strategy != args.strategy:
        raise SystemExit(f"{args.train} holds {train.meta.strategy} regions, not {args.strategy}")
    return settings_from(ClassifierSettings, args), train, val, train_classifier


def _cmd_train(args: argparse.Namespace) -> int:
    from screener_gui.core.pipeline.screen import pick_device

    _threads(args)
    # Early layers are frozen only when they hold pretrained weights (see start_run).
    run = _pooled_run if args.mode == "pooled" else _crop_run
    settings, train, val, trainer = run(args)
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
    if done and (done == total or done % 20 == 0):
        _log(f"{done}/{total} scans")


@contextmanager
def _bar(desc: str, unit: str, quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr, as the ``progress(done, total)`` callback of a long job."""
    from tqdm import tqdm

    with tqdm(unit=unit, desc=desc, disable=quiet) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield progress


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from screener_gui.cli_settings import settings_from
    from screener_gui.core.training.evaluate import CalibrateSettings, calibrate

    _threads(args)
    result = calibrate(
        Path(args.data),
        _screener(args),
        _detector_path(args),
        settings_from(CalibrateSettings, args),
        limit=args.limit,
        progress=_progress,
    )
    print(json.dumps(result, indent=1))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from screener_gui.cli_settings import settings_from
    from screener_gui.core.breakdown import breakdown_table
    from screener_gui.core.report import markdown_table
    from screener_gui.core.training.evaluate import evaluate
    from screener_gui.core.training.settings import EvaluateSettings

    _threads(args)
    modes = args.modes or [args.mode]
    if args.modes and args.detector:
        print("error: --modes uses the shipped detectors; --detector names one file", file=sys.stderr)
        return 2
    from screener_gui.core.atomic import write_text_atomic

    settings = settings_from(EvaluateSettings, args)
    side_by_side, left_out = {}, []
    for mode in modes:
        out = Path(args.out) / mode if len(modes) > 1 else Path(args.out)
        screener = _screener(args, mode)
        rows, breakdowns, notes = evaluate(Path(args.data), screener, out, settings, progress=_progress)
        print(f"\n{screener.detector.mode} mode:")
        print(markdown_table(rows))
        for level, level_rows in breakdowns.items():
            print(f"\n{level} by visibility and anomaly kind (positives of the row against all negatives):")
            print(breakdown_table(level_rows))
        print(json.dumps(notes, indent=1))
        print(f"written: {out}/metrics.md, metrics.csv, metrics.json, regions.csv, objects.csv")
        left_out = notes["scans not evaluated (left out of every figure)"]
        for problem in left_out:
            print(f"not evaluated: {problem}", file=sys.stderr)
        side_by_side |= {f"{level} ({screener.detector.mode})": m for level, m in rows.items()}
    if len(modes) > 1:
        table = markdown_table(dict(sorted(side_by_side.items())))
        write_text_atomic(Path(args.out) / "modes.md", f"# Modes on the same scans\n\n{table}\n")
        print(f"\nboth modes on the same scans ({args.out}/modes.md):\n{table}")
    return 1 if left_out else 0


def _cmd_screen(args: argparse.Namespace) -> int:
    from screener_gui.core.errors import ScanLoadError, display_path
    from screener_gui.core.io import load_scan, save_png_atomic
    from screener_gui.core.pipeline.figure import figure
    from screener_gui.core.results import ResultsFile, ResultsFileError, check_folder_writable, safe_stem
    from screener_gui.core.scan_files import TDR_SUFFIX, expand_scan_paths
    from screener_gui.core.tdr import write_threat_report

    _threads(args)
    try:  # every output is checked before the first scan, so a typo costs nothing
        wanted = (("overlay", args.overlays), ("masks", args.masks), ("tdr", args.tdr))
        folders = {key: check_folder_writable(folder) for key, folder in wanted if folder}
        results = ResultsFile(args.out, resume=args.resume)
    except ResultsFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    screener = _screener(args)
    screened = failures = already = 0
    names: set[str] = set()
    passed_over: list[tuple[Path, str]] = []
    with results:
        for path in expand_scan_paths(args.paths, skipped=passed_over):
            name = _unique(safe_stem(path.stem), names)
            if str(path) in results.done:
                already += 1
                continue
            t0 = time.perf_counter()
            try:
                scan = load_scan(path)
                load_ms = 1000 * (time.perf_counter() - t0)
                result = screener.screen(scan)
            except ScanLoadError as error:
                failures += 1
                results.write({"source": str(path), "error": str(error)})
                _log(f"skipped: {error}")
                continue
            except (ValueError, RuntimeError, MemoryError) as error:  # the pipeline cannot: say so, go on
                failures += 1
                results.write({"source": str(path), "error": f"screening failed: {error}"})
                _log(f"failed: {path}: {error}")
                continue
            summary = result.summary()
            summary["timings_ms"]["load"] = round(load_ms, 1)
            try:
                if "overlay" in folders:
                    summary["overlay"] = str(folders["overlay"] / f"{name}_screened.png")
                    save_png_atomic(summary["overlay"], figure(scan.rgb, result))
                if "masks" in folders:
                    summary["region_map"] = str(folders["masks"] / f"{name}_regions.png")
                    save_png_atomic(summary["region_map"], result.region_map())
                if "tdr" in folders:
                    summary["threat_report"] = str(folders["tdr"] / f"{name}{TDR_SUFFIX}")
                    write_threat_report(summary["threat_report"], result, scan_source=str(path))
            except OSError as error:  # a full disk, a folder gone: the result line still counts
                summary["output_error"] = f"{error.filename or ''}: {error.strerror or error}"
                _log(f"could not write an output of {path}: {summary['output_error']}")
            results.write(summary)
            screened += 1
            flags = ", ".join(
                f"{o['category']} {o['anomaly_score']:.2f}{' ALARM' if o['alarm'] else ''}"
                for o in summary["objects"]
            )
            _log(
                f"{'ALARM' if summary['alarm'] else 'clear'}  {path}  [{flags or 'no electronics'}]  "
                f"{summary['timings_ms']['total']:.0f} ms"
            )
        for path, reason in passed_over:  # in a folder, but not a scan that can be read
            failures += 1
            results.write({"source": str(path), "error": f"skipped: {reason}"})
            _log(f"skipped: {display_path(path)}: {reason}")
    done = f", {already} already in the file" if already else ""
    _log(f"{screened} screened, {failures} could not be read or screened{done} -> {args.out}")
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


def _cmd_soak(args: argparse.Namespace) -> int:
    from screener_gui.cli_settings import settings_from
    from screener_gui.gui.soak import SoakSettings, soak

    _threads(args)
    settings = settings_from(SoakSettings, args)
    _log(f"generating {settings.pool} bags, then screening {settings.bags} through the pipeline thread")
    report = soak(settings, report=lambda done, mb: _log(f"{done:5d} bags  resident {mb:7.1f} MB"))
    print(json.dumps(report.summary(), indent=1))
    return 1 if report.failed else 0


def _readable_scans(paths: list[str]) -> Iterator[tuple[str, Scan]]:
    """(path, scan) of every scan file under ``paths`` that loads; the others are named on stderr."""
    from screener_gui.core.errors import ScanLoadError, display_path
    from screener_gui.core.io import load_scan
    from screener_gui.core.scan_files import expand_scan_paths

    passed_over: list[tuple[Path, str]] = []
    for path in expand_scan_paths(paths, skipped=passed_over):
        try:
            yield str(path), load_scan(path)
        except ScanLoadError as error:
            print(f"skipped: {error}", file=sys.stderr)  # stdout carries the JSON
    for path, reason in passed_over:
        print(f"skipped: {display_path(path)}: {reason}", file=sys.stderr)


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
    from screener_gui.cli_settings import add_settings_options, field_help
    from screener_gui.core.training.settings import (
        CalibrateSettings,
        ClassifierSettings,
        EvaluateSettings,
        PooledSettings,
        RegionSettings,
        SegmenterSettings,
    )

    p = sub.add_parser("regions", help="crop and label the regions of a generated dataset for training")
    p.add_argument("data", help="generated dataset folder")
    p.add_argument("--out", required=True, help="region cache folder")
    add_settings_options(p, RegionSettings)
    p.add_argument(
        "--mode",
        default="crop",
        choices=("crop", "pooled"),
        help="crop: one 190x150 / 224x224 crop per region (the paper); pooled: whole objects with "
        "labelled superpixels, for the pooled (fast) DFL mode",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_regions)

    p = sub.add_parser("train", help="train a region classifier on region caches (screener regions)")
    p.add_argument("--train", required=True, help="region cache for training")
    p.add_argument("--val", required=True, help="region cache for validation (other scans)")
    p.add_argument("--out", required=True, help="run folder: checkpoint.safetensors, classifier.safetensors")
    from screener_gui.core.models.registry import CLASSIFIER_KIND, names

    p.add_argument(
        "--mode",
        default="crop",
        choices=("crop", "pooled"),
        help="crop: caches of region crops (the paper); pooled: object caches, DFL run once per object "
        "with superpixel pooling (the fast mode)",
    )
    p.add_argument("--strategy", default="subcomponent", choices=("subcomponent", "object"))
    train_settings = {"crop": ClassifierSettings, "pooled": PooledSettings}
    p.add_argument(
        "--arch",
        default=argparse.SUPPRESS,
        choices=names(CLASSIFIER_KIND),
        help=f"{field_help(ClassifierSettings)['arch']} (default: {ClassifierSettings.arch})",
    )
    add_settings_options(p, train_settings, skip=("arch", "freeze_early"))
    p.add_argument(
        "--no-freeze",
        dest="freeze_early",
        action="store_false",
        help="train the pretrained early layers too (default: frozen)",
    )
    p.add_argument("--device", default=None, help="cpu, cuda ... (default: CUDA when present)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's choice)")
    p.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("calibrate", help="set decision thresholds on a validation dataset (whole pipeline)")
    p.add_argument("data", help="generated validation dataset folder (never the test set)")
    add_settings_options(p, CalibrateSettings)
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
    add_settings_options(p, EvaluateSettings)
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
    p.add_argument("--out", required=True, help="JSON lines file, written line by line as scans are screened")
    p.add_argument(
        "--resume",
        action="store_true",
        help="keep the scans --out already holds and screen only the others (after a killed run)",
    )
    p.add_argument("--overlays", default=None, help="folder for scan | contours | heatmap PNGs")
    p.add_argument(
        "--masks",
        default=None,
        help="folder for each scan's region map: a 16-bit PNG whose pixel values are the region ids "
        "of the JSON line (0 outside regions)",
    )
    p.add_argument(
        "--tdr",
        default=None,
        help="folder for each scan's DICOS Threat Detection Report (<name>.tdr.dcm, docs/dicos.md)",
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

    from screener_gui.cli_settings import add_settings_options
    from screener_gui.gui.soak import SoakSettings

    p = sub.add_parser(
        "soak", help="a shift in minutes: bags through the workstation's pipeline thread, memory every N"
    )
    add_settings_options(p, SoakSettings)
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's choice)")
    p.set_defaults(func=_cmd_soak)

    p = sub.add_parser("train-segmenter", help="train the Mask R-CNN item segmenter on generated bags")
    p.add_argument("--train", required=True, help="generated dataset folder for training")
    p.add_argument("--val", required=True, help="generated dataset folder for validation")
    p.add_argument("--out", required=True, help="run folder: checkpoint.safetensors, segmenter.safetensors")
    add_settings_options(p, SegmenterSettings)
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's choice)")
    p.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    p.set_defaults(func=_cmd_train_segmenter)

    p = sub.add_parser(
        "export-labels",
        help="annotated scans (region label files) → a region cache; a scan whose labels or image "
        "cannot be used is named and left out, the others are exported (exit status 1)",
    )
    p.add_argument("paths", nargs="+", help="scan files or folders (searched recursively)")
    p.add_argument(
        "--out",
        required=True,
        help="region cache folder for `screener train` (created; a cache there is replaced; an "
        "existing file is refused)",
    )
    p.set_defaults(func=_cmd_export_labels)


def _cmd_export_labels(args: argparse.Namespace) -> int:
    import sys

    from screener_gui.core.errors import ScanLoadError, display_path
    from screener_gui.core.scan_files import expand_scan_paths
    from screener_gui.core.training.label_export import export_training_set

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(
            f"error: --out {display_path(out)} is an existing file; give a folder for the region cache",
            file=sys.stderr,
        )
        return 1
    skipped: list[tuple[Path, str]] = []
    paths = expand_scan_paths(args.paths, skipped=skipped)
    for path, reason in skipped:
        print(f"skipped {display_path(path)}: {reason}", file=sys.stderr)
    unlabelled: list[Path] = []
    refused: list[str] = []

    def refuse(path: Path, error: ValueError) -> None:
        refused.append(str(error))
        print(f"left out: {error}", file=sys.stderr)

    try:
        cache = export_training_set(paths, out, on_unlabelled=unlabelled.append, on_error=refuse)
    except (ScanLoadError, ValueError) as exc:  # LabelFileError is a ValueError
        for path in unlabelled:
            print(f"no labels: {display_path(path)}")
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"error: cannot write the region cache {display_path(out)}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    m = cache.meta
    print(f"{len(cache)} regions ({m.anomaly} anomaly, {m.benign} benign) from {m.scans} scans -> {args.out}")
    for path in unlabelled:
        print(f"no labels: {display_path(path)}")
    return 1 if refused or skipped else 0
