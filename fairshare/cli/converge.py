"""``fairshare converge`` and the appendix's ``--ledger``: the convergence verdict on a payout ledger."""

from __future__ import annotations

import json
from pathlib import Path

from .. import errors
from .._version import version
from .console import _step


def read_ledger_convergence(args):
    """The convergence verdict of ``--ledger`` (a payout ledger, or a saved ``fairshare converge`` directory),
    or None when no ledger is given.

    Parameters
    ----------
    args : argparse.Namespace
        ``ledger``, ``labels`` and the ``ledger_*`` column options.
    """
    path = getattr(args, "ledger", None)
    if path is None:
        if getattr(args, "labels", None):
            raise errors.ConfigError("--labels labels the addresses of --ledger: give the ledger with --ledger FILE.")
        return None
    from ..ledger import Ledger
    from ..ledger.timing import parse_epoch_seconds
    from ..report.pipeline import ledger_convergence, saved_convergence

    if Path(path).is_dir() and (Path(path) / "numbers.json").is_file():  # a saved `fairshare converge` result
        return saved_convergence(path)
    seconds = parse_epoch_seconds(args.ledger_epoch)
    with _step(args, f"reading {path}"):
        ledger = Ledger.read(path, time=args.ledger_time, address=args.ledger_address, amount=args.ledger_amount,
                             decimals=args.ledger_decimals, unit=args.ledger_unit, epoch_seconds=seconds,
                             missing=args.ledger_missing, network=args.ledger_network,
                             synthetic=args.ledger_synthetic)
    if seconds is None:
        raise errors.ConfigError("--ledger: its time column holds epoch indices: give their length with "
                                 "--ledger-epoch (e.g. --ledger-epoch 2d) so that trends can be stated per year.")
    labels = _read_small_csv(args.labels, "--labels") if args.labels else None
    with _step(args, "measuring the ledger's trend"):
        found = ledger_convergence(ledger, labels, seed=args.seed)
    found["meta"]["convergence"]["source"] = str(path)
    return found


def run_converge(args) -> int:
    from .. import plotting
    from ..data.io import atomic_directory
    from ..ledger import Ledger
    from ..ledger.timing import parse_epoch_seconds
    from ..trend.section import convergence_section

    seconds = parse_epoch_seconds(args.epoch)
    block_times = _read_small_csv(args.block_times, "--block-times") if args.block_times else None
    with _step(args, f"reading {args.ledger}"):
        ledger = Ledger.read(args.ledger, time=args.time, address=args.address, amount=args.amount,
                             decimals=args.decimals, unit=args.unit, time_kind=args.time_kind, epoch_seconds=seconds,
                             block_times=block_times, missing=args.missing, network=args.network,
                             synthetic=args.synthetic)
    if seconds is None:
        raise errors.ConfigError("the time column holds epoch indices: give their length with --epoch (e.g. "
                                 "--epoch 2d) so that trends can be stated per year.")
    labels = _read_small_csv(args.labels, "--labels") if args.labels else None
    breaks = [int(b) for b in args.breaks.split(",") if b.strip()] if args.breaks else None
    with _step(args, "measuring the trend"):
        panel = ledger.panel(labels=labels, unlabelled=args.unlabelled, window=args.window)
        section = convergence_section(panel, small_threshold=args.small, seed=args.seed,
                                      resamples=args.resamples, breaks=breaks)
    out = Path(args.out)
    with _step(args, f"writing {out}"), atomic_directory(out, overwrite=args.overwrite) as tmp:
        (tmp / "tables").mkdir()
        (tmp / "figures").mkdir()
        for name, frame in section.tables.items():
            frame.to_csv(tmp / "tables" / f"{name}.csv")
        for name, frame in section.figure_data.items():
            plotting.render(lambda ax, f=frame: _draw_converge(ax, f), tmp / "figures" / name)
        (tmp / "convergence.md").write_text(section.markdown)
        (tmp / "numbers.json").write_text(json.dumps(section.numbers, indent=2, sort_keys=True) + "\n")
        manifest = {"fairshare_version": version, "command": "converge", "ledger": ledger.meta,
                    "options": {k: v for k, v in vars(args).items() if k not in ("json", "quiet")},
                    "files": sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    if args.json:
        print(json.dumps(section.numbers, indent=2))
    elif not args.quiet:
        print(section.verdict.statement)
        print(f"Report section: {out.resolve() / 'convergence.md'} (also tables/, figures/, numbers.json).")
    return 0


def _read_small_csv(path, option: str):
    import pandas as pd

    try:
        return pd.read_csv(path, dtype=str if option == "--labels" else None, keep_default_na=False,
                           na_values=[""])
    except FileNotFoundError:
        raise errors.DataError(f"{option} {path}: no such file.") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise errors.DataError(f"{option} {path}: cannot read it as CSV ({err}).") from None


def _draw_converge(ax, frame) -> None:
    """A window series with its band (the conservative envelope) and trend line; the plotted numbers attached."""
    from ..plotting.theme import attach

    x = frame["epoch"].to_numpy()
    if "envelope_low" in frame:
        ax.fill_between(x, frame["envelope_low"], frame["envelope_high"], alpha=0.25, linewidth=0,
                        label="conservative envelope")
    value = [c for c in frame.columns
             if c not in ("epoch", "trend_line", "envelope_low", "envelope_high", "change_point")][0]
    ax.plot(x, frame[value], marker=".", label=value.replace("_", " "))
    if "trend_line" in frame:
        ax.plot(x, frame["trend_line"], linestyle="--", label="trend (least squares)")
    if "change_point" in frame:
        for i, at in enumerate(x[frame["change_point"].to_numpy(bool)]):
            ax.axvline(at, color="grey", linestyle=":", label="change point (candidate)" if i == 0 else None)
    ax.set_xlabel("epoch")
    ax.set_ylabel(value.replace("_", " "))
    ax.legend(loc="best")
    attach(ax, frame)
