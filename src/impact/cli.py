"""Command line: ``impact run | new | validate``. Parsing and printing only; the work is in impact.report."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from impact.errors import ConfigError, ImpactError
from impact.report.i18n import languages
from impact.report.sanitize import for_console

__all__ = ["main"]


def _number(value, spec: str) -> str:
    return "" if value is None else format(value, spec)


def _failure_lines(record: dict) -> list[str]:
    """Why an initiative failed: the step, the data file and the whole message, safe for a terminal."""
    where = record.get("step") or "run"
    if record.get("data_file"):
        where += f", data file {record['data_file']}"
    message = for_console(record.get("error") or "no message recorded").strip().splitlines() or [""]
    lines = [f"-> {for_console(where)}: {message[0]}", *(f"   {line}" for line in message[1:])]
    if record.get("last_good"):
        lines.append(f"   the last good report ({for_console(record['last_good'].get('generated'))}) is kept; "
                     "the error page is error.html beside it")
    return lines


def _run(args) -> int:
    from impact.report.batch import Interrupted, run_batch

    try:
        records = run_batch(args.paths, args.out, jobs=args.jobs, lang=args.lang, force=args.force,
                            executor=args.executor, scheduler=args.scheduler, timeout=args.timeout, seed=args.seed,
                            pdf=args.pdf, progress=not args.quiet, notebook=args.notebook)
    except Interrupted as stop:
        s = "" if stop.stopped == 1 else "s"
        print(f"interrupted by {stop.signal_name}: stopped {stop.stopped} running initiative{s} (worker{s} and "
              f"notebook kernel{s} killed); no other was started. Last good reports are kept; run the same command "
              "again to finish (up-to-date reports are reused).", file=sys.stderr)
        return 128 + stop.signum
    ids = [for_console(r.get("id")) for r in records]
    width = max(len(i) for i in ids)
    print(f"{'initiative':<{width}}  status  reused  estimate  [95% CI]            NPV")
    for ident, r in zip(ids, records):
        est = _number(r.get("estimate"), "9.3f")
        if est and r.get("ci_low") is not None and r.get("ci_high") is not None:
            est += f"  [{r['ci_low']:.3f}, {r['ci_high']:.3f}]"
        npv = _number(r.get("npv"), ",.0f")
        print(f"{ident:<{width}}  {r['status']:<6}  {'yes' if r.get('reused') else 'no':<6}  {est:<28}  {npv}")
        if r["status"] != "ok":
            for line in _failure_lines(r):
                print(f"{'':<{width}}  {line}")
    index = Path(args.out).resolve() / "index.html"
    print(f"Index: {index}")
    failed = sum(r["status"] != "ok" for r in records)
    if failed:
        print(f"{failed} of {len(records)} initiatives failed", file=sys.stderr)
    return 1 if failed else 0


def _new(args) -> int:
    from impact.report.export import TEMPLATES
    from impact.report.initiative import _ID

    if not _ID.match(args.id):
        raise ConfigError(f"initiative id {args.id!r} must be lowercase letters, digits, '-' or '_'")
    folder = Path(args.dir) / args.id
    if folder.exists():
        raise ConfigError(f"{folder} already exists; choose another id or remove it")
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise ConfigError(f"--dir {args.dir!r}: cannot create {folder} ({exc.strerror or exc}); "
                          "choose a folder you can write to") from None
    text = (TEMPLATES / "initiative.yaml").read_text(encoding="utf-8")
    (folder / "initiative.yaml").write_text(text.replace("id: my-initiative", f"id: {args.id}", 1), encoding="utf-8")
    shutil.copy(TEMPLATES / "data_template.csv", folder / "data.csv")
    print(f"Created {folder}/initiative.yaml and data.csv (made-up placeholder data: 24 units x 8 periods, "
          f"effect -4 from period 5). Replace the data with yours, edit the YAML, then `impact validate {folder}`")
    return 0


def _validate(args) -> int:
    from impact.report.initiative import find_initiatives, validate_folder

    bad = 0
    folders = []
    for path in args.paths:  # a wrong path is one problem among others, not the end of the listing
        try:
            folders += find_initiatives([path])
        except ImpactError as exc:
            bad += 1
            print(f"invalid {for_console(path)}\n  - {for_console(exc)}")
    for folder in dict.fromkeys(folders):
        problems, notes = validate_folder(folder)
        name = for_console(folder)
        if problems:
            bad += 1
            print(f"invalid {name} ({len(problems)} problem{'s' if len(problems) > 1 else ''})")
        else:
            print(f"ok      {name}")
        for problem in problems:
            first, *rest = for_console(problem).splitlines() or [""]
            print(f"  - {first}")
            for line in rest:
                print(f"    {line}")
        for note in notes:
            print(f"  note: {for_console(note)}")
    return 1 if bad else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="impact", description="Evaluate public-service initiatives: effect and value for money.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the report notebook for each initiative and write an index")
    run.add_argument("paths", nargs="+", help="initiative folders, or folders of initiative folders")
    run.add_argument("--out", default="reports", help="output folder (default: reports)")
    run.add_argument("--jobs", "-j", type=int, default=1, help="initiatives run in parallel (default 1)")
    run.add_argument("--lang", choices=list(languages()), default=None, help="report language (default: each initiative's)")
    run.add_argument("--force", action="store_true", help="re-run even when a report is up to date")
    run.add_argument("--executor", choices=["local", "dask"], default="local")
    run.add_argument("--scheduler", default=None, help="Dask scheduler address, with --executor dask")
    run.add_argument("--timeout", type=float, default=1800, help="seconds allowed per initiative (default 1800)")
    run.add_argument("--seed", type=int, default=None, help="override every initiative's seed")
    run.add_argument("--pdf", action="store_true", help="also print each report to PDF (needs Chromium installed)")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    run.add_argument("--notebook", default=None, help="a report notebook of your own, with the same parameters "
                                                      "(default: the shipped evaluation.ipynb)")
    run.set_defaults(func=_run)
    new = sub.add_parser("new", help="scaffold an initiative from templates/initiative.yaml")
    new.add_argument("id")
    new.add_argument("--dir", default="data/initiatives", help="parent folder (default data/initiatives)")
    new.set_defaults(func=_new)
    val = sub.add_parser("validate", help="check initiative configuration and data without running")
    val.add_argument("paths", nargs="+")
    val.set_defaults(func=_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ImpactError as exc:
        print(f"error: {for_console(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
