"""The ``screener`` command line: one entry point, one subcommand per job.

Bad input never ends in a traceback: a scan, label, weights or dataset file that cannot be used, or
an output path that cannot be written, is one line on stderr naming the file and the problem, and
the command exits with status 1 (2 for wrong options).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from screener_gui import __version__, cli_dense, cli_models
from screener_gui.core.errors import display_path


def _cmd_synth(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from screener_gui.cli_settings import settings_from
    from screener_gui.synth.dataset import write_dataset
    from screener_gui.synth.scene import SynthSettings

    settings = settings_from(SynthSettings, args, **({"anomaly_rate": 0.0} if args.clean else {}))
    bar = tqdm(total=args.count, unit="scan", desc="synth", disable=args.quiet)

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    summary = write_dataset(
        args.out, args.count, args.seed, settings, workers=args.workers, progress=progress
    )
    bar.close()
    c = summary.counts
    print(
        f"wrote {summary.scans} scans to {summary.out} in {summary.seconds:.1f} s "
        f"({summary.scans_per_second:.2f} scans/s); {c['objects']} electronics items, "
        f"{c['objects_with_anomaly']} with a concealed anomaly; {c['redraws']} redraws for a visibility "
        f"target, {c['dropped']} anomalies dropped (their items left clean)"
    )
    return 0


def _cmd_threat_sheet(args: argparse.Namespace) -> int:
    import numpy as np

    from screener_gui.synth.anomalies import ANOMALY_KINDS
    from screener_gui.synth.threat_sheet import threat_sheet

    kinds = tuple(args.kinds) if args.kinds else ANOMALY_KINDS
    unknown = sorted(set(kinds) - set(ANOMALY_KINDS))
    if unknown:
        print(
            f"unknown anomaly kinds: {', '.join(unknown)}; known: {', '.join(ANOMALY_KINDS)}", file=sys.stderr
        )
        return 1
    sheet = threat_sheet(kinds, shrink=args.shrink)
    if not _write_png(args.out, np.ascontiguousarray(sheet)):
        return 1
    print(f"{len(kinds)} anomaly kinds hidden in laptops: {args.out}")
    return 0


def _cmd_contact_sheet(args: argparse.Namespace) -> int:
    import numpy as np

    from screener_gui.core.io import load_scan
    from screener_gui.core.montage import contact_sheet, outline_truth
    from screener_gui.core.scan_files import find_scans

    folder = Path(args.folder)
    if args.truth:
        from screener_gui.core.dataset import Dataset

        scans = Dataset.open(folder).scans[: args.max]  # --truth needs a generated dataset
        images = [
            outline_truth(scan.load_rgb(), scan.load_object_map(), scan.load_anomaly_map()) for scan in scans
        ]
        names = [scan.name for scan in scans]
    else:
        from screener_gui.core.errors import ScanLoadError

        images_dir = folder / "images" if (folder / "images").is_dir() else folder
        images, names = [], []
        for path in find_scans(images_dir)[: args.max]:
            try:
                images.append(load_scan(path).rgb)
            except ScanLoadError as error:
                print(f"skipped: {error}", file=sys.stderr)
                continue
            names.append(path.stem)
    if not images:
        print(f"no scans found in {folder}", file=sys.stderr)
        return 1
    sheet = contact_sheet(images, names, columns=args.columns)
    if not _write_png(args.out, np.ascontiguousarray(sheet)):
        return 1
    print(f"contact sheet of {len(images)} scans: {args.out}")
    return 0


def _cmd_visibility(args: argparse.Namespace) -> int:
    from screener_gui.core.atomic import write_text_atomic
    from screener_gui.core.dataset import Dataset
    from screener_gui.core.visibility_summary import summarise_visibility, visibility_markdown

    markdown = visibility_markdown(summarise_visibility(Dataset.open(args.data)), args.data)
    print(markdown, end="")
    if args.out:
        write_text_atomic(args.out, markdown)
        print(f"written: {args.out}")
    return 0


def _output_problem(out: Path) -> str | None:
    """Why a file cannot be written at ``out``, seen before any work is done; None when it can."""
    if out.is_dir():
        return "it is a folder; give the name of a file to write"
    folder = out.parent
    if not folder.exists():
        return f"its folder {display_path(folder)} does not exist"
    if not folder.is_dir():
        return f"{display_path(folder)} is not a folder"
    return None


def _write_png(out: str, image) -> bool:
    """Save ``image`` at ``out`` atomically; on failure say why on stderr and return False."""
    from screener_gui.core.io import save_png_atomic

    problem = _output_problem(Path(out))
    if problem is None:
        try:
            save_png_atomic(out, image, compress_level=6)
            return True
        except OSError as error:
            problem = f"it cannot be written ({error.strerror or error})"
    print(f"error: cannot write {display_path(out)}: {problem}", file=sys.stderr)
    return False


def _cmd_render(args: argparse.Namespace) -> int:
    from screener_gui.core.enhance import ENHANCEMENTS
    from screener_gui.core.errors import ScanLoadError
    from screener_gui.core.io import load_scan

    if args.enhance and args.enhance not in ENHANCEMENTS:
        print(f"unknown enhancement {args.enhance!r}; choose from {', '.join(ENHANCEMENTS)}", file=sys.stderr)
        return 2
    problem = _output_problem(Path(args.out))
    if problem is not None:  # said before the scan is loaded, which may take seconds
        print(f"error: cannot write {display_path(args.out)}: {problem}", file=sys.stderr)
        return 1
    try:
        scan = load_scan(args.path)
    except ScanLoadError as error:
        print(error, file=sys.stderr)
        return 1
    image = ENHANCEMENTS[args.enhance](scan) if args.enhance else scan.rgb
    if not _write_png(args.out, image):
        return 1
    kind = "dual-energy" if scan.is_dual_energy else "single image"
    print(f"{display_path(args.path)} ({kind}, {scan.shape[1]}x{scan.shape[0]}) -> {display_path(args.out)}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from screener_gui.core.errors import ScanLoadError
    from screener_gui.core.io import load_scan
    from screener_gui.core.scan_files import expand_scan_paths

    skipped: list[tuple[Path, str]] = []
    paths = expand_scan_paths(args.paths, skipped=skipped)
    failures = []
    pairs = 0
    for path in paths:
        try:
            pairs += load_scan(path).is_dual_energy
        except ScanLoadError as error:
            failures.append(str(error))
    print(f"{len(paths) - len(failures)} of {len(paths)} scans load ({pairs} of them dual-energy pairs)")
    for message in failures:
        print(f"  {message}")
    if skipped:
        print(f"{len(skipped)} entries in the folders were passed over:")
    for path, reason in skipped:
        print(f"  skipped {display_path(path)}: {reason}")
    return 1 if failures or skipped else 0


def _cmd_realism(args: argparse.Namespace) -> int:
    from screener_gui.core.realism import compare_folders

    report = compare_folders(args.synthetic, args.real, limit=args.limit)
    print(json.dumps(report, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``screener`` (exposed for tests and docs)."""
    from screener_gui.cli_settings import add_settings_options
    from screener_gui.synth.scene import SynthSettings

    parser = argparse.ArgumentParser(prog="screener", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synth", help="generate synthetic dual-energy bag scans with ground truth")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--count", type=int, default=100, help="number of scans (default 100)")
    p.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    add_settings_options(
        p, SynthSettings, skip=("scanner",), flags={"width_px": "--width", "height_px": "--height"}
    )
    p.add_argument("--clean", action="store_true", help="no concealed anomalies at all (--anomaly-rate 0)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_synth)

    p = sub.add_parser("threat-sheet", help="every anomaly kind hidden in a laptop, with its outline and ΔE")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--kinds", nargs="*", help="kinds to show (default: all)")
    p.add_argument("--shrink", type=float, default=0.25, help="size: 0 largest … 1 smallest (default 0.25)")
    p.set_defaults(func=_cmd_threat_sheet)

    p = sub.add_parser("contact-sheet", help="tile the scans of a folder into one PNG")
    p.add_argument("folder", help="a dataset folder (uses its images/) or any folder of scans")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--max", type=int, default=12, help="at most this many scans (default 12)")
    p.add_argument("--columns", type=int, default=4)
    p.add_argument(
        "--truth", action="store_true", help="outline items (yellow) and anomalies (red); needs a dataset"
    )
    p.set_defaults(func=_cmd_contact_sheet)

    p = sub.add_parser(
        "visibility", help="a dataset's anomalies by kind and visibility bin, concealment, subtlety vs ΔE"
    )
    p.add_argument("data", help="generated dataset folder")
    p.add_argument("--out", default=None, help="also write the markdown to this file")
    p.set_defaults(func=_cmd_visibility)

    p = sub.add_parser("render", help="load any scan (image or dual-energy pair) and write its rendering")
    p.add_argument("path", help="image file, or either file of a <stem>_high / <stem>_low pair")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--enhance", default=None, help="an enhancement function to apply")
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser("check", help="load every scan under the given files / folders and report failures")
    p.add_argument("paths", nargs="+", help="scan files or folders (searched recursively)")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("realism", help="compare colour shares and attenuation of synthetic and real scans")
    p.add_argument("--synthetic", required=True, help="folder of synthetic false-colour images")
    p.add_argument("--real", required=True, help="folder of real false-colour scans")
    p.add_argument("--limit", type=int, default=200, help="at most this many images per side")
    p.set_defaults(func=_cmd_realism)

    cli_models.add_commands(sub)
    cli_dense.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``screener`` command line.

    A dataset, scan, label or weights file that cannot be used (the errors of the core name the
    file and the problem), or a file that cannot be written, is one line on stderr and status 1,
    not a traceback.
    """
    from screener_gui.core.dataset import DatasetError
    from screener_gui.core.errors import ScanLoadError, WeightsError
    from screener_gui.core.labels import LabelFileError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (DatasetError, ScanLoadError, LabelFileError, WeightsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # an output that cannot be written, a disk that is full...
        where = f"{display_path(error.filename)}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl+C: what was finished is on disk (results, checkpoints)
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
