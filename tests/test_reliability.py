"""Reliability (issue 9): bad input, interrupted builds, offline data, reproducible results.

Bad input is checked end to end (the CLI in a subprocess: one ``error:`` line, non-zero
exit, no traceback, and nothing trained: TensorFlow is blocked, so a check that came after
training would fail differently). Faults are injected deterministically: a small driver
script patches one function (a figure's drawing, an MkDocs page build, a cache write) to
kill its own process at that point, and the test compares a hash of every file of site/
before and after. Those run on a small project (home and layer-2 pages, baseline run).
Two cold quick builds of the whole site (one in this process, one in a subprocess, side
by side, network off) check reproducibility.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from generator.cli import main
from tests.conftest import REPO, make_project
from tests.test_data import idx_bytes, write_mnist_dir

QUICK = ["--profile", "quick", "--dataset", "mnist-5k"]
ENV = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="3", NO_MKDOCS_2_WARNING="1")
#: Keys of report.json that measure time, not results (also ``seconds`` and any key ending
#: in ``_seconds`` or ``per_second``, at any depth: pages report timings too).
TIMING_KEYS = {"built_at", "build_seconds", "train_seconds", "train_images_per_second"}

# A driver: apply a patch (Python source), then run the CLI with the given arguments.
DRIVER = """
import os, signal, sys
from pathlib import Path
{patch}
from generator.cli import main
sys.exit(main(sys.argv[1:]))
"""

# Network off: any DNS lookup or connection is logged to $NETLOG and fails.
NO_NETWORK = """
import socket
def _no_network(*args, **kwargs):
    with open(os.environ["NETLOG"], "a") as fh:
        fh.write(repr(args[1:2]) + "\\n")
    raise OSError("network disabled by the test")
socket.getaddrinfo = _no_network
socket.socket.connect = _no_network
"""


# No TensorFlow: `import tensorflow` / `import keras` fail, so a build that gets as far as
# training stops with a different error: proof that a check ran before any training.
NO_TENSORFLOW = """
sys.modules["tensorflow"] = None
sys.modules["keras"] = None
"""


def run_driver(patch: str, argv: list[str], *, env: dict | None = None,
               timeout: float = 600) -> subprocess.CompletedProcess:
    code = DRIVER.replace("{patch}", textwrap.dedent(patch))
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=REPO, env=env or ENV,
                          capture_output=True, text=True, timeout=timeout)


def tree_hash(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(root: Path) -> list[str]:
    """Temporary files and build folders anywhere in the cache or docs/."""
    found = []
    for top in (root / ".cache", root / "docs"):
        for p in top.rglob("*"):
            name = p.name
            if name.startswith(".tmp-") or ".tmp" in name or name.startswith(("staging-", "site-old-")):
                found.append(p.relative_to(root).as_posix())
    return sorted(found)


def clone(project: Path, dest: Path) -> Path:
    shutil.copytree(project, dest, symlinks=True)
    return dest


def without_timings(obj):
    if isinstance(obj, dict):
        return {k: without_timings(v) for k, v in obj.items() if not _is_timing(k)}
    if isinstance(obj, list):
        return [without_timings(v) for v in obj]
    return obj


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], stderr
    return errors[0]


# ------------------------------------------------------------------ bad input, end to end


def _data_dir(tmp: Path, breakage: str) -> Path:
    """A --data-dir with one defect."""
    folder = tmp / "mnist"
    if breakage == "empty":
        folder.mkdir()
        return folder
    arrays = write_mnist_dir(folder)
    x, y = arrays["x_train"], arrays["y_train"]
    images, labels = folder / "train-images-idx3-ubyte", folder / "train-labels-idx1-ubyte"
    if breakage == "missing-file":
        (folder / "t10k-labels-idx1-ubyte").unlink()
    elif breakage == "wrong-magic":
        images.write_bytes(idx_bytes(2049, x.shape, x.tobytes()))
    elif breakage == "wrong-dims":
        images.write_bytes(idx_bytes(2051, (len(x), 14, 56), x.tobytes()))
    elif breakage == "fewer-items":
        images.write_bytes(idx_bytes(2051, (len(x) + 5, 28, 28), x.tobytes()))
    elif breakage == "count-mismatch":
        labels.write_bytes(idx_bytes(2049, (len(y) - 3,), y[:-3].tobytes()))
    elif breakage == "corrupt-gzip":
        images.unlink()
        (folder / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b\x08 not really gzip")
    return folder


BAD_INPUT = {
    # name: (arguments after `build`, needle in the error line); {data}/{root} filled in
    "unknown-flag": (["--colour"], "unrecognized arguments: --colour"),
    "unknown-profile": (["--profile", "huge"], "Unknown profile"),
    "unknown-dataset": (["--dataset", "cifar"], "Unknown dataset"),
    "epochs-not-integer": (["--epochs", "1.5"], "Received: epochs='1.5'"),
    "epochs-zero": (["--epochs", "0"], "Received: epochs=0"),
    "seed-negative": (["--seed", "-1"], "Received: seed=-1"),
    "seed-too-large": (["--seed", str(2**40)], "Expected an integer from 0 to"),
    "image-index-out-of-range": (QUICK + ["--image-index", "200"], "Received: image_index=200"),
    "data-dir-missing": (["--no-site", "--data-dir", "{tmp}/nowhere"], "does not exist"),
    "data-dir-empty": (["--no-site", "--data-dir", "{data}"], "is empty"),
    "data-dir-missing-file": (["--no-site", "--data-dir", "{data}"], "t10k-labels-idx1-ubyte (or"),
    "data-dir-wrong-magic": (["--no-site", "--data-dir", "{data}"], "has magic number 2049, expected 2051"),
    "data-dir-wrong-dims": (["--no-site", "--data-dir", "{data}"], "has 14x56 images, expected 28x28"),
    "data-dir-fewer-items": (["--no-site", "--data-dir", "{data}"], "The file is truncated"),
    "data-dir-count-mismatch": (["--no-site", "--data-dir", "{data}"], "has 100 images but train-labels-idx1-ubyte has 97"),
    "data-dir-corrupt-gzip": (["--no-site", "--data-dir", "{data}"], "is not a valid gzip file"),
    "cache-not-a-folder": (QUICK, ".cache: exists but is a file"),
    "docs-not-a-folder": (QUICK, "docs: exists but is a file"),
    "mkdocs-yml-missing": (QUICK, "mkdocs.yml not found"),
    "mkdocs-yml-syntax": (QUICK, "mkdocs.yml is invalid: YAML syntax error at line"),
    "mkdocs-yml-unknown-plugin": (QUICK, 'The "no-such-plugin" plugin is not installed'),
    "mkdocs-yml-unknown-option": (QUICK, "Unrecognised configuration name: colour"),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_is_one_line_in_a_subprocess(case, tmp_path):
    argv, needle = BAD_INPUT[case]
    root = make_project(tmp_path / "project")
    data = _data_dir(tmp_path, case.removeprefix("data-dir-")) if case.startswith("data-dir-") \
        and case != "data-dir-missing" else None
    if case == "cache-not-a-folder":
        (root / ".cache").write_text("not a folder")
    if case == "docs-not-a-folder":
        shutil.rmtree(root / "docs")
        (root / "docs").write_text("not a folder")
    yml = root / "mkdocs.yml"
    if case == "mkdocs-yml-missing":
        yml.unlink()
    if case == "mkdocs-yml-syntax":
        yml.write_text(yml.read_text().replace("theme:\n  name: material", "theme:\n  name: material\n   x: [1"))
    if case == "mkdocs-yml-unknown-plugin":
        yml.write_text(yml.read_text().replace("plugins:\n", "plugins:\n  - no-such-plugin\n"))
    if case == "mkdocs-yml-unknown-option":
        yml.write_text(yml.read_text() + "\ncolour: blue\n")
    argv = [a.replace("{tmp}", str(tmp_path)).replace("{data}", str(data)) for a in argv]
    proc = run_driver(NO_TENSORFLOW, ["build", *argv, "--root", str(root)], timeout=120)
    line = one_error_line(proc.stderr)
    assert proc.stderr.strip() == line  # the only line
    assert proc.returncode > 0, proc.stderr
    assert needle in line, line  # (a check that came too late would fail on the missing TensorFlow)
    assert "Traceback" not in proc.stdout
    assert not (root / ".cache" / "runs").exists() and not (root / "site").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_project_folder_is_one_line(tmp_path):
    root = make_project(tmp_path / "project")
    os.chmod(root, 0o555)
    try:
        proc = subprocess.run([sys.executable, "-m", "generator", "build", *QUICK, "--root", str(root)],
                              cwd=REPO, env=ENV, capture_output=True, text=True, timeout=120)
    finally:
        os.chmod(root, 0o755)
    line = one_error_line(proc.stderr)
    assert proc.returncode == 1 and str(root) in line and "check permissions/free space" in line.lower()


def test_os_error_anywhere_is_one_line_naming_the_path(monkeypatch, capsys, project):
    """An OSError deep in a stage (here: the disk fills up) is caught once, in cli.main."""
    import generator.data

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(project / "docs" / "report.json"))

    monkeypatch.setattr(generator.data, "load", disk_full)
    code = main(["build", *QUICK, "--root", str(project)])
    err = capsys.readouterr().err
    assert code == 1
    line = one_error_line(err)
    assert str(project / "docs" / "report.json") in line and "No space left on device" in line
    assert "check permissions/free space" in line.lower()


# ------------------------------------------------------------------ a small project for faults

#: The fault tests exercise the build machinery (cache, staging, swap), not the pages, so
#: they build only the home and layer-2 pages from the baseline run: a few seconds warm,
#: and unaffected by the other pages' training budget.
CORE_SLUGS = ("index", "layer2")
CORE = """
import generator.pages as _pages, generator.pages.registry as _pages_registry
import generator.experiments.registry as _runs_registry
_pages.PAGES = _pages_registry.PAGES = tuple(p for p in _pages.PAGES if p.slug in ("index", "layer2"))
_runs_registry.PROVIDERS = ()
"""


@contextlib.contextmanager
def core_pages():
    import generator.experiments.registry as runs_registry
    import generator.pages as pages
    import generator.pages.registry as pages_registry

    core = tuple(p for p in pages.PAGES if p.slug in CORE_SLUGS)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pages, "PAGES", core)
        mp.setattr(pages_registry, "PAGES", core)
        mp.setattr(runs_registry, "PROVIDERS", ())
        yield mp


def make_core_project(root: Path) -> Path:
    """The repo's mkdocs.yml with the nav cut to the core pages."""
    make_project(root)
    yml = root / "mkdocs.yml"
    text = re.sub(r"(?ms)^nav:\n(?:  - .*\n?)+", "nav:\n" + "".join(f"  - {s}.md\n" for s in CORE_SLUGS),
                  yml.read_text())
    # The home page may link to pages this project does not build.
    text = re.sub(r"(?ms)^validation:\n(?:  .*\n)+", "validation:\n  omitted_files: warn\n"
                  "  absolute_links: warn\n  unrecognized_links: warn\n  anchors: warn\n"
                  "  links:\n    not_found: info\n", text)
    yml.write_text(text)
    return root


def core_build(root: Path, *extra: str) -> int:
    with core_pages():
        return main(["build", *QUICK, "--jobs", "1", *extra, "--root", str(root)])


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    """A built core project (cold: trains the quick baseline once)."""
    root = make_core_project(tmp_path_factory.mktemp("core") / "project")
    assert core_build(root) == 0
    assert (root / "site" / "layer2" / "index.html").is_file()
    return root


def report(root: Path) -> dict:
    return json.loads((root / "docs" / "report.json").read_text())


def test_different_seed_changes_the_trained_numbers(core, tmp_path):
    root = clone(core, tmp_path / "seed1")
    assert core_build(root, "--seed", "1", "--no-site") == 0
    base, other = report(core)["runs"][0], report(root)["runs"][0]
    assert (base["seed"], other["seed"]) == (0, 1) and other["epochs"] == base["epochs"]
    assert other["config_hash"] != base["config_hash"]
    assert other["history"]["loss"] != base["history"]["loss"]
    assert other["test_loss"] != base["test_loss"]
    assert report(root)["settings"]["command"].endswith("--seed 1")


def test_truncated_cached_model_is_set_aside_and_retrained(core, tmp_path, capsys):
    root = clone(core, tmp_path / "damaged")
    key = report(root)["runs"][0]["config_hash"]
    model = root / ".cache" / "runs" / key / "model.keras"
    full = model.stat().st_size
    model.write_bytes(model.read_bytes()[: full // 2])
    capsys.readouterr()
    assert core_build(root, "--no-site") == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning: cached run")]
    assert len(warnings) == 1 and key in warnings[0] and "retraining" in warnings[0], err
    assert "Traceback" not in err
    assert list((root / ".cache" / "runs").glob(f"{key}.damaged-*"))
    assert model.stat().st_size > full // 2  # a whole model again
    # Retrained with the same seed: the same numbers as before.
    assert without_timings(report(root)["runs"]) == without_timings(report(core)["runs"])


def test_unreadable_cached_model_is_set_aside(tmp_path, monkeypatch):
    from generator.train import cache as cache_mod

    warnings = []
    cache = cache_mod.RunCache(tmp_path, warn=warnings.append)
    cache.put("k" * 20, lambda p: p.write_bytes(b"model"), {"history": {}})

    def unreadable(path):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(cache_mod, "sha256_file", unreadable)
    assert cache.get("k" * 20) is None
    assert len(warnings) == 1 and "unreadable" in warnings[0] and "retraining" in warnings[0]
    assert list((tmp_path / "runs").glob("kkk*.damaged-*"))


def test_site_that_cannot_be_replaced_is_one_line_and_left_whole(core, tmp_path, monkeypatch, capsys):
    """site/ not writable (here: renaming the new site into place is refused)."""
    import generator.publish.site as publish

    root = clone(core, tmp_path / "locked-site")
    before = tree_hash(root / "site")
    real_replace = os.replace

    def refuse_new_site(src, dst):
        if Path(dst) == root / "site" and "staging-" in str(src):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(publish, "_exchange", lambda a, b: False)
    monkeypatch.setattr(publish.os, "replace", refuse_new_site)
    capsys.readouterr()
    assert core_build(root) == 1
    line = one_error_line(capsys.readouterr().err)
    assert f"{root / 'site'}: Permission denied" in line and "check permissions/free space" in line.lower()
    monkeypatch.undo()
    assert tree_hash(root / "site") == before
    assert leftovers(root) == []


# ------------------------------------------------------------------ interrupted builds


class _Unhandled(Exception):
    """Raised by the test's own SIGTERM handler: main() did not install one."""


def test_sigterm_during_training_leaves_site_and_cache_untouched(core, tmp_path, capsys):
    from generator.train.progress import Progress

    root = clone(core, tmp_path / "term-train")
    site_before, runs_before = tree_hash(root / "site"), sorted(os.listdir(root / ".cache" / "runs"))
    batches = []

    def on_batch(self, step):
        batches.append(step)
        os.kill(os.getpid(), signal.SIGTERM)  # `kill PID` after the first training step

    def unhandled(signum, frame):
        raise _Unhandled("SIGTERM reached the test: main() installs no handler")

    previous = signal.signal(signal.SIGTERM, unhandled)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(Progress, "on_batch", on_batch)
            code = core_build(root, "--seed", "7")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert len(batches) == 1  # stopped after the first step
    assert code == 128 + signal.SIGTERM
    assert "terminated" in one_error_line(capsys.readouterr().err)
    assert tree_hash(root / "site") == site_before
    assert sorted(os.listdir(root / ".cache" / "runs")) == runs_before  # no entry, no .tmp-*
    assert leftovers(root) == []


def _sleepy_worker(spec, dataset, cache_root, force):
    """Stands in for a training worker (module level: the spawned worker imports it)."""
    ignores_ctrl_c = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    (Path(cache_root) / f"worker-{os.getpid()}").write_text(str(ignores_ctrl_c))
    time.sleep(30)
    return spec.id


def test_sigterm_during_parallel_training_stops_the_workers_at_once(tmp_path, monkeypatch):
    """--jobs N: on SIGTERM (or Ctrl-C) the build stops now, not when the workers are done."""
    import threading
    from types import SimpleNamespace

    from generator.cli import Terminated, _sigterm_as_interrupt
    from generator.experiments import RunSpec
    from generator.train import parallel
    from generator.train.cache import RunCache
    from generator.util.fsio import pid_alive

    monkeypatch.setattr(parallel, "_train_in_worker", _sleepy_worker)
    specs = [RunSpec(id=f"r{i}", group="baseline", conv_blocks=2, dropout=0.5, seed=i, steps=1,
                     eval_every=1, batch_size=50, learning_rate=1e-4) for i in range(2)]
    workers: list[Path] = []
    killed: list[float] = []

    def kill_when_both_run():
        deadline = time.monotonic() + 120
        while len(workers) < 2 and time.monotonic() < deadline:
            workers[:] = sorted(tmp_path.glob("worker-*"))
            time.sleep(0.1)
        time.sleep(0.2)
        killed.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=kill_when_both_run, daemon=True)
    killer.start()
    with _sigterm_as_interrupt(), pytest.raises(Terminated):
        parallel.train_all(specs, SimpleNamespace(fingerprint="f"), RunCache(tmp_path, warn=print),
                           tmp_path, jobs=2, log=lambda m: None)
    stopped_at = time.monotonic()
    killer.join()
    assert len(workers) == 2
    assert all(w.read_text() == "True" for w in workers)  # workers leave Ctrl-C to the parent
    pids = [int(w.name.split("-")[1]) for w in workers]
    while any(pid_alive(p) and not _zombie(p) for p in pids) and time.monotonic() - stopped_at < 5:
        time.sleep(0.1)
    assert not any(pid_alive(p) and not _zombie(p) for p in pids)
    assert stopped_at - killed[0] < 10  # the workers sleep 30 s


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return False


KILL_IN_PAGE_BUILD = CORE + """
import mkdocs.commands.build as _mb
_real, _n = _mb._build_page, [0]
def _build_page(*args, **kwargs):
    _n[0] += 1
    if _n[0] == 3:  # halfway through the site build
        os.kill(os.getpid(), signal.SIG{sig})
    return _real(*args, **kwargs)
_mb._build_page = _build_page
"""


def test_sigkill_during_site_build_keeps_site_and_next_build_cleans_up(core, tmp_path):
    root = clone(core, tmp_path / "kill-site")
    before = tree_hash(root / "site")
    proc = run_driver(KILL_IN_PAGE_BUILD.replace("{sig}", "KILL"), ["build", *QUICK, "--root", str(root)])
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert tree_hash(root / "site") == before
    assert [p.name for p in (root / ".cache").glob("staging-*")]  # the killed build's staging folder
    # The next build ignores and removes what the killed one left, and completes.
    assert core_build(root) == 0
    assert leftovers(root) == []
    after = tree_hash(root / "site")
    assert after.keys() == before.keys()
    assert {k: v for k, v in after.items() if k.startswith("figures/")} == \
        {k: v for k, v in before.items() if k.startswith("figures/")}


def test_sigterm_during_site_build_is_like_ctrl_c(core, tmp_path):
    root = clone(core, tmp_path / "term-site")
    before = tree_hash(root / "site")
    proc = run_driver(KILL_IN_PAGE_BUILD.replace("{sig}", "TERM"), ["build", *QUICK, "--root", str(root)])
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    assert "terminated" in one_error_line(proc.stderr)
    assert tree_hash(root / "site") == before
    assert leftovers(root) == []  # the staging folder was removed on the way out


def test_sigkill_while_drawing_a_figure_leaves_no_cached_figure(core, tmp_path):
    root = clone(core, tmp_path / "kill-figure")
    shutil.rmtree(root / ".cache" / "figures")  # so the build has to draw
    site_before, docs_before = tree_hash(root / "site"), tree_hash(root / "docs")
    patch = CORE + textwrap.dedent("""
    import generator.figures.render as _render
    def _half_then_die(path):
        def draw(*arrays, out, **kwargs):
            Path(out).write_bytes(b"\\x89PNG\\r\\n\\x1a\\n half a figure")
            os.kill(os.getpid(), signal.SIGKILL)
        return draw
    _render.drawing_function = _half_then_die
    """)
    proc = run_driver(patch, ["build", *QUICK, "--root", str(root)])
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert tree_hash(root / "site") == site_before and tree_hash(root / "docs") == docs_before
    cached = [p.name for p in (root / ".cache" / "figures").iterdir()]
    assert cached and all(name.startswith(".") for name in cached), cached  # only the temp file
    from generator.publish.site import preflight

    preflight(root=root, docs_dir=root / "docs", site_dir=root / "site", cache_dir=root / ".cache",
              mkdocs_yml=root / "mkdocs.yml", log=pytest.fail)
    assert leftovers(root) == [] and not list((root / ".cache" / "figures").iterdir())


def test_sigkill_while_writing_a_cache_entry_is_never_trusted(tmp_path):
    from generator.publish.site import preflight
    from generator.train.cache import RunCache

    root = make_project(tmp_path / "project")
    key = "k" * 20
    patch = f"""
    from generator.train.cache import RunCache
    def _half_then_die(path):
        path.write_bytes(b"half a model")
        os.kill(os.getpid(), signal.SIGKILL)
    RunCache(Path({str(root / ".cache")!r}), warn=print).put({key!r}, _half_then_die, {{"history": {{}}}})
    """
    proc = run_driver(patch, ["--version"])
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    runs = root / ".cache" / "runs"
    left = list(runs.iterdir())
    assert len(left) == 1 and left[0].name.startswith(".tmp-")  # only the unfinished temp folder
    assert (left[0] / "model.keras").read_bytes() == b"half a model"
    assert RunCache(root / ".cache", warn=pytest.fail).get(key) is None
    preflight(root=root, docs_dir=root / "docs", site_dir=root / "site", cache_dir=root / ".cache",
              mkdocs_yml=root / "mkdocs.yml", build_site=False, log=pytest.fail)
    assert list(runs.iterdir()) == []


def _small_site(folder: Path, text: str) -> Path:
    (folder / "sub").mkdir(parents=True)
    (folder / "index.html").write_text(text)
    (folder / "sub" / "page.html").write_text(text * 2)
    return folder


def test_sigkill_between_the_two_renames_of_a_swap_is_recovered(tmp_path):
    """Where the atomic exchange is unavailable, site/ is swapped by two renames; a kill in
    between leaves the previous site in the cache, and the next build puts it back."""
    from generator.publish.site import recover_site

    site, cache = _small_site(tmp_path / "site", "old"), tmp_path / ".cache"
    new = _small_site(cache / "staging-1-x" / "site", "new")
    before = tree_hash(site)
    patch = f"""
    import generator.publish.site as _p
    _p._exchange = lambda a, b: False
    _real_replace = os.replace
    def _replace(src, dst):
        _real_replace(src, dst)
        os.kill(os.getpid(), signal.SIGKILL)
    _p.os.replace = _replace
    _p.swap_in(Path({str(new)!r}), Path({str(site)!r}), Path({str(cache)!r}))
    """
    proc = run_driver(patch, ["--version"])
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert not site.exists()  # the window the atomic exchange closes
    messages = []
    assert recover_site(site, cache, messages.append)
    assert tree_hash(site) == before and len(messages) == 1


def test_signals_are_held_back_during_a_two_rename_swap(tmp_path, monkeypatch):
    import generator.publish.site as publish

    site, cache = _small_site(tmp_path / "site", "old"), tmp_path / ".cache"
    cache.mkdir()
    new = _small_site(tmp_path / "new", "new")
    seen = []
    real_replace = os.replace

    def replace_then_signal(src, dst):
        real_replace(src, dst)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(publish, "_exchange", lambda a, b: False)
    monkeypatch.setattr(publish.os, "replace", replace_then_signal)
    previous = signal.signal(signal.SIGTERM, lambda s, f: seen.append(tree_hash(site) if site.exists() else None))
    try:
        publish.swap_in(new, site, cache)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert seen and all(s == {"index.html": hashlib.sha256(b"new").hexdigest(),
                              "sub/page.html": hashlib.sha256(b"newnew").hexdigest()} for s in seen)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux-only")
def test_site_swap_is_one_atomic_exchange_on_linux(tmp_path, monkeypatch):
    import generator.publish.site as publish

    site, cache = _small_site(tmp_path / "site", "old"), tmp_path / ".cache"
    cache.mkdir()
    new = _small_site(tmp_path / "new", "new")
    monkeypatch.setattr(publish.os, "replace", lambda *a: pytest.fail("used two renames"))
    publish.swap_in(new, site, cache)
    assert (site / "index.html").read_text() == "new" and not new.exists()


def test_stale_temporaries_of_live_processes_are_kept(tmp_path):
    from generator.util.fsio import remove_stale

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / f".tmp-{dead}-abc").mkdir()
    (tmp_path / f".tmp-{dead}-abc" / "model.keras").write_bytes(b"half")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / f".tmp-{dead}-report.json.x1").write_bytes(b"{")
    (tmp_path / f".tmp-{os.getpid()}-mine").mkdir()
    (tmp_path / "kept.json").write_text("{}")
    removed = remove_stale(tmp_path)
    assert sorted(p.name for p in removed) == [f".tmp-{dead}-abc", f".tmp-{dead}-report.json.x1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".tmp-{os.getpid()}-mine", "kept.json", "sub"]


# ------------------------------------------------------------------ offline data


def test_data_dir_and_mnist5k_never_touch_the_network(tmp_path, monkeypatch):
    from generator import data
    from generator.data import keras_mnist

    calls = []

    def no_network(*args, **kwargs):
        calls.append(args)
        raise OSError("network disabled by the test")

    for target, name in ((socket, "getaddrinfo"), (socket.socket, "connect"),
                         (keras_mnist, "_keras_load_data"), (keras_mnist, "load_mnist")):
        monkeypatch.setattr(target, name, no_network)
    write_mnist_dir(tmp_path / "idx")
    assert data.load("auto", tmp_path / "idx", warn=pytest.fail).name == "idx"
    assert data.load("mnist-5k", max_train=100, max_test=50, warn=pytest.fail).name == "mnist-5k"
    assert calls == []


def test_auto_falls_back_at_the_cli_when_mnist_cannot_be_downloaded(tmp_path):
    """KERAS_HOME empty, the download fails: the build goes on with mnist-5k (stopped here,
    right after loading the data, by an out-of-range --image-index)."""
    root = make_project(tmp_path / "project")
    patch = """
    from generator.data import keras_mnist
    def _offline():
        raise OSError("Network is unreachable")
    keras_mnist._keras_load_data = _offline
    """
    start = time.perf_counter()
    proc = run_driver(patch, ["build", "--profile", "quick", "--dataset", "auto", "--no-site",
                              "--image-index", "100000", "--root", str(root)],
                      env=dict(ENV, KERAS_HOME=str(tmp_path / "keras-home")))
    elapsed = time.perf_counter() - start
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("warning: full MNIST unavailable") and "mnist-5k" in lines[0], proc.stderr
    assert "Network is unreachable" in lines[0]
    assert "test images in mnist-5k" in one_error_line(proc.stderr)
    assert elapsed < 30


def test_auto_gives_up_a_stalled_download_promptly(tmp_path, monkeypatch):
    """A network that never answers: the connection attempt (the reachability check before
    Keras' downloader, which has no timeout of its own) carries a timeout, and auto falls back
    to mnist-5k."""
    from generator import data
    from generator.data import keras_mnist

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    timeouts = []

    def fake_dns(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", port or 443))]

    def stalled_connect(self, address):
        timeouts.append(self.gettimeout())
        if self.gettimeout() is None:
            raise AssertionError("connect without a timeout would wait for minutes")
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    monkeypatch.setattr(socket.socket, "connect", stalled_connect)
    warnings = []
    start = time.perf_counter()
    ds = data.load("auto", max_train=100, max_test=50, warn=warnings.append)
    assert ds.name == "mnist-5k" and len(warnings) == 1 and "timed out" in warnings[0]
    assert timeouts and all(t == keras_mnist.DOWNLOAD_TIMEOUT for t in timeouts)
    assert socket.getdefaulttimeout() is None  # restored
    assert time.perf_counter() - start < 60


# ------------------------------------------------------------------ two cold builds of the whole site


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Two cold quick builds of the whole site with seed 0 and the network off: A in this
    process, B in a subprocess started first so that they run side by side."""
    base = tmp_path_factory.mktemp("repro")
    a, b = make_project(base / "a"), make_project(base / "b")
    netlog = base / "netlog-b.txt"
    netlog.write_text("")
    proc_b = subprocess.Popen(
        [sys.executable, "-c", DRIVER.replace("{patch}", textwrap.dedent(NO_NETWORK)),
         "build", *QUICK, "--jobs", "1", "--root", str(b)],
        cwd=REPO, env=dict(ENV, NETLOG=str(netlog)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    calls: list = []

    def no_network(*args, **kwargs):
        calls.append(args[1:2])
        raise OSError("network disabled by the test")

    from generator.data import keras_mnist

    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(socket, "getaddrinfo", no_network)
            mp.setattr(socket.socket, "connect", no_network)
            mp.setattr(keras_mnist, "_keras_load_data", no_network)
            mp.setattr(keras_mnist, "load_mnist", no_network)
            code_a = main(["build", *QUICK, "--jobs", "1", "--root", str(a)])
        _, err_b = proc_b.communicate(timeout=1200)
    finally:
        if proc_b.poll() is None:
            proc_b.kill()
            proc_b.wait()
    assert code_a == 0
    assert proc_b.returncode == 0, err_b
    return {"a": a, "b": b, "calls_a": calls, "calls_b": netlog.read_text().splitlines()}


@pytest.mark.slow
def test_mnist5k_build_never_touches_the_network(builds):
    assert builds["calls_a"] == [] and builds["calls_b"] == []


def _is_timing(name: str) -> bool:
    return name in TIMING_KEYS or name == "seconds" or name.endswith(("_seconds", "per_second"))


def timed_figures(figures: Path) -> set[str]:
    """Figures that plot a timing (their .npz has a ``*_seconds`` array): the PNG and .npz
    legitimately differ between builds; their other arrays must not."""
    timed = set()
    for npz in figures.rglob("*.npz"):
        with np.load(npz) as z:
            if any(_is_timing(k) for k in z.files):
                stem = npz.relative_to(figures).with_suffix("").as_posix()
                timed |= {stem + ".npz", stem + ".png"}
    return timed


def differences(x, y, path: str = "") -> list[str]:
    """Paths (``/pages/depth/...``) where two JSON values differ, with both values."""
    if isinstance(x, dict) and isinstance(y, dict):
        return [d for k in sorted(set(x) | set(y), key=str)
                for d in (differences(x[k], y[k], f"{path}/{k}") if k in x and k in y
                          else [f"{path}/{k}: only in {'A' if k in x else 'B'}"])]
    if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        return [d for i, (u, v) in enumerate(zip(x, y)) for d in differences(u, v, f"{path}[{i}]")]
    return [] if x == y else [f"{path}: {x!r:.60} != {y!r:.60}"]


@pytest.mark.slow
def test_same_seed_gives_identical_numbers_and_figures(builds):
    a, b = builds["a"], builds["b"]
    assert differences(without_timings(report(a)), without_timings(report(b))) == []
    figs_a, figs_b = tree_hash(a / "docs" / "figures"), tree_hash(b / "docs" / "figures")
    assert any(n.endswith(".png") for n in figs_a) and any(n.endswith(".npz") for n in figs_a)
    assert figs_a.keys() == figs_b.keys()
    timed = timed_figures(a / "docs" / "figures")
    assert len(timed) < len(figs_a) / 2
    for name in figs_a:  # byte-identical PNGs and arrays
        if name not in timed:
            assert figs_a[name] == figs_b[name], name
        elif name.endswith(".npz"):
            with np.load(a / "docs" / "figures" / name) as za, np.load(b / "docs" / "figures" / name) as zb:
                for key in za.files:
                    if not _is_timing(key):
                        np.testing.assert_array_equal(za[key], zb[key], err_msg=f"{name}:{key}")
    site_a, site_b = tree_hash(a / "site" / "figures"), tree_hash(b / "site" / "figures")
    assert {k: v for k, v in site_a.items() if k not in timed} == \
        {k: v for k, v in site_b.items() if k not in timed}


@pytest.mark.slow
def test_report_records_what_reproduces_the_run(builds):
    rep = report(builds["a"])
    settings = rep["settings"]
    assert settings["seed"] == 0 and settings["dataset_requested"] == "mnist-5k"
    assert settings["command"] == "python -m generator build --profile quick --dataset mnist-5k --seed 0"
    assert rep["generator"]["profile"] == "quick" and rep["generator"]["version"]
    assert len(rep["dataset"]["fingerprint"]) == 64 and rep["dataset"]["split_seed"] == 0
    for lib in ("python", "numpy", "keras", "tensorflow", "mkdocs"):
        assert rep["versions"][lib] not in ("", "missing"), lib
    for run in rep["runs"]:
        assert run["config_hash"] and run["seed"] >= 0 and run["steps"] >= 1
