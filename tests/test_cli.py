"""The command line: help, and bad arguments as one line with a non-zero exit."""

import subprocess
import sys

import pytest

from generator.cli import main
from tests.conftest import REPO


@pytest.mark.parametrize("argv,needle", [
    (["build", "--profile", "huge"], "Received: profile='huge'"),
    (["build", "--dataset", "cifar"], "Received: dataset='cifar'"),
    (["build", "--epochs", "-1"], "Received: epochs=-1"),
    (["build", "--epochs", "0"], "Received: epochs=0"),
    (["build", "--epochs", "ten"], "Received: epochs='ten'"),
    (["build", "--seed", "x"], "Received: seed='x'"),
    (["build", "--image-index", "-3"], "Received: image_index=-3"),
    (["build", "--bogus"], "unrecognized arguments: --bogus"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_are_one_line(argv, needle, capsys, tmp_path):
    code = main(argv + ["--root", str(tmp_path)] if argv[0] == "build" else argv)
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not list(tmp_path.iterdir())  # nothing written


def test_image_index_out_of_range_is_caught_after_loading(project, capsys):
    code = main(["build", "--profile", "quick", "--dataset", "mnist-5k", "--image-index", "5000",
                 "--root", str(project)])
    err = capsys.readouterr().err
    assert code == 2 and "Received: image_index=5000" in err and "< 200" in err
    assert not (project / "site").exists()


def test_help_documents_the_options():
    out = subprocess.run([sys.executable, "-m", "generator", "build", "--help"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    for flag in ("--profile", "--dataset", "--data-dir", "--seed", "--epochs", "--image-index",
                 "--no-site", "--force"):
        assert flag in out


def test_no_traceback_in_a_subprocess(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "generator", "build", "--data-dir",
                           str(tmp_path / "missing"), "--root", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1
