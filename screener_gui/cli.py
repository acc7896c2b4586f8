"""The ``screener`` command line: one entry point, one subcommand per job."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from screener_gui import __version__, cli_dense, cli_models


def _cmd_synth(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from screener_gui.synth.dataset import write_dataset
    from screener_gui.synth.scene import SynthSettings

    settings = SynthSettings(
        width_px=args.width,
        height_px=args.height,
        items_only=args.items_only,
        anomaly_rate=0.0 if args.clean else args.anomaly_rate,
    )
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

    from screener_gui.core.io import save_png_atomic
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
    save_png_atomic(args.out, np.ascontiguousarray(sheet), compress_level=6)
    print(f"{len(kinds)} anomaly kinds hidden in laptops: {args.out}")
    return 0


def _cmd_contact_sheet(args: argparse.Namespace) -> int:
    import numpy as np

    from screener_gui.core.io import find_scans, load_scan, save_png_atomic
    from screener_gui.core.montage import contact_sheet, outline_truth

    folder = Path(args.folder)
    if args.truth:
        from screener_gui.core.dataset import Dataset

        scans = Dataset.open(folder).scans[: args.max]  # --truth needs a generated dataset
        images = [
            outline_truth(scan.load_rgb(), scan.load_object_map(), scan.load_anomaly_map()) for scan in scans
        ]
        names = [scan.name for scan in scans]
    else:
        images_dir = folder / "images" if (folder / "images").is_dir() else folder
        paths = find_scans(images_dir)[: args.max]
        images = [load_scan(p).rgb for p in paths]
        names = [p.stem for p in paths]
    if not images:
        print(f"no scans found in {folder}", file=sys.stderr)
        return 1
    sheet = contact_sheet(images, names, columns=args.columns)
    save_png_atomic(args.out, np.ascontiguousarray(sheet), compress_level=6)
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


def _cmd_render(args: argparse.Namespace) -> int:
    from screener_gui.core.enhance import ENHANCEMENTS
    from screener_gui.core.errors import ScanLoadError
    from screener_gui.core.io import load_scan, save_png_atomic

    if args.enhance and args.enhance not in ENHANCEMENTS:
        print(f"unknown enhancement {args.enhance!r}; choose from {', '.join(ENHANCEMENTS)}", file=sys.stderr)
        return 2
    try:
        scan = load_scan(args.path)
    except ScanLoadError as error:
        print(error, file=sys.stderr)
        return 1
    image = ENHANCEMENTS[args.enhance](scan) if args.enhance else scan.rgb
    save_png_atomic(args.out, image, compress_level=6)
    kind = "dual-energy" if scan.is_dual_energy else "single image"
    print(f"{args.path} ({kind}, {scan.shape[1]}x{scan.shape[0]}) -> {args.out}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from screener_gui.core.errors import ScanLoadError
    from screener_gui.core.io import expand_scan_paths, load_scan

    paths = expand_scan_paths(args.paths)
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
    return 1 if failures else 0


def _cmd_realism(args: argparse.Namespace) -> int:
    from screener_gui.core.realism import compare_folders

    report = compare_folders(args.synthetic, args.real, limit=args.limit)
    print(json.dumps(report, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``screener`` (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="screener", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synth", help="generate synthetic dual-energy bag scans with ground truth")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--count", type=int, default=100, help="number of scans (default 100)")
    p.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    p.add_argument("--items-only", action="store_true", help="one electronics item on an empty belt")
    p.add_argument("--clean", action="store_true", help="no concealed anomalies at all")
    p.add_argument("--anomaly-rate", type=float, default=0.5, help="share of items hiding an anomaly")
    p.add_argument("--width", type=int, default=1000, help="scan width in pixels (default 1000)")
    p.add_argument("--height", type=int, default=800, help="scan height in pixels (default 800)")
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
    """Run the ``screener`` command line; a dataset that cannot be read is a message, not a traceback."""
    from screener_gui.core.dataset import DatasetError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
