"""Shared fixtures: a tiny real dataset, a tiny trained model, a project root to build into."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def tiny_dataset():
    from generator import data

    return data.load("mnist-5k", max_train=200, max_test=50, warn=lambda m: None)


@pytest.fixture(scope="session")
def tiny_run(tiny_dataset, tmp_path_factory):
    """One epoch (4 steps) of the real model on 200 images, trained once per session."""
    from generator.experiments import RunSpec
    from generator.train.cache import RunCache
    from generator.train.trainer import train_or_load

    cache = RunCache(tmp_path_factory.mktemp("cache"), warn=lambda m: None)
    spec = RunSpec(id="tiny-s0", group="baseline", conv_blocks=2, dropout=0.5, seed=0,
                   steps=4, eval_every=2, batch_size=50, learning_rate=1e-4)
    return train_or_load(spec, tiny_dataset, cache, log=lambda m: None)


def make_project(root: Path) -> Path:
    """A project folder with the repo's mkdocs.yml and hand-written docs files."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(REPO / "docs" / "stylesheets", root / "docs" / "stylesheets")
    return root


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path / "project")


@pytest.fixture(scope="session")
def quick_site(tmp_path_factory) -> Path:
    """One `build --profile quick --dataset mnist-5k` per session, shared by the end-to-end
    tests that read the built site (tests that break a build make their own project)."""
    from generator.cli import main

    root = make_project(tmp_path_factory.mktemp("quick-site") / "project")
    assert main(["build", "--profile", "quick", "--dataset", "mnist-5k", "--root", str(root)]) == 0
    return root
