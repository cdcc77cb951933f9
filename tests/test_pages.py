"""Pages and templates from a fake report: no model, no TensorFlow."""

import re

import numpy as np
import pytest

from generator.pages import LANGUAGES, PAGES
from generator.pages.render import TEMPLATES, pct, render_page
from tests.fakes import fake_context, fake_report

# Simplified-only characters and mainland terms that must never appear in zh-TW text.
SIMPLIFIED = re.compile("[这们个来为说时会过还对数据络经练习图层权输从后现样问题实验长选择机种试类别码览载将让给带]")
MAINLAND_TERMS = ("神经网络", "数据", "程序", "默认", "文件夹", "缓存", "构建", "运行")


@pytest.fixture(scope="module")
def report(tiny_dataset):
    return fake_report(tiny_dataset)


def test_every_page_has_a_template_per_language():
    for page in PAGES:
        for lang in LANGUAGES:
            assert (TEMPLATES / lang / f"{page.slug}.md.j2").is_file(), (page.slug, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("slug", ["index", "layer2"])
def test_pages_render_with_report_numbers(report, slug, lang):
    page = next(p for p in PAGES if p.slug == slug)
    text = render_page(slug, lang, page.load().context(report))
    assert text.startswith("# ")
    assert pct(report["runs"][0]["test_accuracy"]) in text or slug == "layer2"
    assert "{{" not in text and "{%" not in text
    if slug == "layer2":
        n = report["pages"]["layer2"]
        assert f"{100 * n['relu_zero_fraction']:.1f}%" in text
        assert f"{n['receptive_field']['conv2']}×{n['receptive_field']['conv2']}" in text
        for fig in ("conv2_kernels_all.png", "conv2_preact.png", "conv2_relu.png", "pool2.png",
                    "layer1_vs_layer2.png", "conv2_kernels_channel0.png"):
            assert f"figures/layer2/{fig}" in text


def test_index_lists_every_model_layer(report):
    text = render_page("index", "en", PAGES[0].load().context(report))
    for row in report["model"]["layers"]:
        assert f"`{row['name']}`" in text
    assert "3,274,634" in text
    assert "97.31%" in text  # the fake report's accuracy, formatted


def test_a_different_report_gives_a_different_page(tiny_dataset):
    a = render_page("index", "en", PAGES[0].load().context(fake_report(tiny_dataset, 0.9731)))
    b = render_page("index", "en", PAGES[0].load().context(fake_report(tiny_dataset, 0.9512)))
    assert "95.12%" in b and "95.12%" not in a


def test_data_honesty_note_names_the_subset(report):
    for lang in LANGUAGES:
        text = render_page("layer2", lang, PAGES[1].load().context(report))
        assert "**mnist-5k**" in text
        assert f"{report['dataset']['train']:,}" in text and f"{report['dataset']['test']:,}" in text


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_zh_tw_templates_use_traditional_characters(page):
    text = (TEMPLATES / "zh-TW" / f"{page.slug}.md.j2").read_text(encoding="utf-8")
    prose = re.sub(r"\{[{%].*?[%}]\}|`[^`]*`|\([^)]*\.(png|npz|json|md)\)", "", text)
    assert not SIMPLIFIED.findall(prose)
    for term in MAINLAND_TERMS:
        assert term not in prose


def test_missing_value_is_an_error_not_a_blank(report):
    from generator.errors import SiteError

    context = PAGES[1].load().context(report)
    del context["n"]["relu_max"]
    with pytest.raises(SiteError, match="relu_max"):
        render_page("layer2", "en", context)


def test_layer2_numbers_are_computed_from_the_probe(tiny_dataset):
    ctx = fake_context(tiny_dataset)
    numbers = PAGES[1].load().analyse(ctx).numbers
    relu = ctx.probe["conv2_relu"]
    assert numbers["relu_zero_fraction"] == pytest.approx(float((relu <= 0).mean()))
    assert numbers["silent_filters"] == [5]
    assert numbers["sparsity"][5] == 1.0
    assert numbers["preact_min"] == pytest.approx(float(ctx.probe["conv2_preact"].min()))
    assert numbers["receptive_field"] == {"conv1": 5, "conv2": 14}
    mean = relu.mean(axis=(0, 1))
    assert numbers["most_active_filters"][0] == int(np.argmax(mean))


def test_table_csv_from_columns():
    from generator.figures.render import table_csv

    text = table_csv({"stage": np.array(["pixels", "fc1"]), "acc": np.array([0.5, 0.75]),
                      "curve": np.zeros((2, 3)), "other": np.arange(5)}).decode()
    assert text.splitlines() == ["stage,acc", "pixels,0.5", "fc1,0.75"]
    assert table_csv({"image": np.zeros((28, 28))}) is None


@pytest.mark.parametrize("value, text", [(8.3333, "8.3"), (0.0444, "0.044"), (16.67, "17"),
                                         (0.6667, "0.67"), (1234.5, "1,234"), (0, "0")])
def test_sig_keeps_two_significant_digits_without_exponents(value, text):
    from generator.pages.render import sig

    assert sig(value) == text


def test_pages_state_steps_and_fractional_epochs(report):
    """A run may stop mid-epoch: the pages give its steps and passes over the training images."""
    from generator.pages.render import sig

    base = report["runs"][0]
    page = next(p for p in PAGES if p.slug == "index")
    for lang in LANGUAGES:
        text = render_page("index", lang, page.load().context(report))
        assert f"{base['steps']:,}" in text and sig(base["epochs"]) in text
