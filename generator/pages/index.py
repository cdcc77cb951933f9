"""The index page: what the site is, the data, the model table, how to rebuild."""

from __future__ import annotations

from generator.pages.base import BuildContext, PageData


def analyse(ctx: BuildContext) -> PageData:
    return PageData(numbers={})


def context(report: dict) -> dict:
    baseline = report["runs"][0]
    return {
        "dataset": report["dataset"],
        "model": report["model"],
        "baseline": baseline,
        "runs": report["runs"],
        "post": report["post"],
        "probe": report["probe"],
        "generator": report["generator"],
        "versions": report["versions"],
        "full_mnist": report["dataset"]["name"] == "mnist",
        "fallback": report["settings"].get("dataset") == "auto" and report["dataset"]["name"] != "mnist",
        "one_test_image": 1 / report["dataset"]["test"],
    }
