"""The features page: activation maximisation, top patches and their receptive-field crops,
saliency / Grad-CAM, templates from a fake report, and the page in a quick end-to-end build."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from generator.pages.features import (angle_difference, choose_examples, orientation,
                                      orientation_bin)
from generator.probe import featurevis, filter_evidence, saliency
from generator.probe.filter_evidence import Spatial, crop_box, unit_geometry

#: A short optimisation for the determinism check (the same code path as the default).
SHORT = replace(featurevis.DEFAULT, steps=6)


def _keras():
    from generator.train.trainer import import_keras

    keras, tf = import_keras()
    return keras, tf


def _drop(arrays: dict) -> dict:
    return {k: v for k, v in arrays.items() if not k.endswith("seconds")}


# --------------------------------------------------------------------------- activation maximisation


@pytest.fixture(scope="module")
def optimised(tiny_run):
    featurevis.cache_path(tiny_run.model_path).unlink(missing_ok=True)
    return featurevis.maximise(tiny_run.model_path)


def test_optimised_inputs_raise_their_filter_above_the_start(optimised):
    for group, n in (("conv1", 32), ("conv2", 64), ("classes", 10)):
        images = optimised[f"{group}_images"]
        assert images.shape == (n, 28, 28)
        assert images.min() >= 0.0 and images.max() <= 1.0
        start, final = optimised[f"{group}_start"], optimised[f"{group}_final"]
        live = ~optimised[f"{group}_dead_at_start"]
        # a filter that is zero everywhere on the start image ("dead") is pushed only by the small
        # pre-activation term, which need not revive it; every other target must end higher
        assert live.any()
        assert np.all(final[live] > start[live]), (group, np.flatnonzero(live & (final <= start)))
        assert np.all(final >= start), group
    np.testing.assert_array_equal(optimised["start"], featurevis.start_image())


def test_recorded_activations_match_a_fresh_forward_pass(tiny_run, optimised):
    keras, _ = _keras()
    model = keras.saving.load_model(tiny_run.model_path, compile=False)
    sub = keras.Model(model.inputs, model.get_layer("conv2_relu").output)
    maps = np.asarray(sub([optimised["conv2_images"][..., None]], training=False))
    own = maps[np.arange(64), :, :, np.arange(64)].mean(axis=(1, 2))
    np.testing.assert_allclose(optimised["conv2_final"], own, rtol=1e-4, atol=1e-6)
    start = np.asarray(sub([np.repeat(optimised["start"][None, ..., None], 64, axis=0)], training=False))
    np.testing.assert_allclose(optimised["conv2_start"], start[0].mean(axis=(0, 1)), rtol=1e-4, atol=1e-6)


def test_optimisation_is_deterministic(tiny_run):
    path = featurevis.cache_path(tiny_run.model_path, SHORT)
    path.unlink(missing_ok=True)
    first = featurevis.maximise(tiny_run.model_path, SHORT)
    path.unlink()
    second = featurevis.maximise(tiny_run.model_path, SHORT)
    for key, value in _drop(first).items():
        np.testing.assert_array_equal(second[key], value, err_msg=key)
    other = featurevis.maximise(tiny_run.model_path, replace(SHORT, seed=1))
    assert not np.array_equal(other["conv2_images"], first["conv2_images"])


def test_warm_cache_never_imports_tensorflow(tiny_run, tiny_dataset, optimised, monkeypatch):
    import generator.train.trainer as trainer

    evidence = filter_evidence.collect(tiny_run.model_path, tiny_dataset.x_test)
    monkeypatch.setattr(trainer, "import_keras", lambda: pytest.fail("a probe cache missed"))
    again = featurevis.maximise(tiny_run.model_path)
    np.testing.assert_array_equal(again["conv2_images"], optimised["conv2_images"])
    np.testing.assert_array_equal(filter_evidence.collect(tiny_run.model_path, tiny_dataset.x_test)
                                  ["top_images"], evidence["top_images"])


def test_helpers_blur_and_tv():
    x = np.zeros((1, 9, 9), np.float32)
    x[0, 4, 4] = 1.0
    blurred = featurevis.gaussian_blur(x, 0.5)
    assert blurred.sum() == pytest.approx(1.0, abs=1e-5) and blurred[0, 4, 4] < 1.0
    # the TV gradient is the gradient of sum of squared neighbour differences
    rng = np.random.default_rng(0)
    y = rng.random((1, 6, 6))
    tv = lambda a: ((a[:, 1:] - a[:, :-1]) ** 2).sum() + ((a[:, :, 1:] - a[:, :, :-1]) ** 2).sum()
    eps, numeric = 1e-6, np.zeros_like(y)
    for idx in np.ndindex(y.shape):
        d = np.zeros_like(y)
        d[idx] = eps
        numeric[idx] = (tv(y + d) - tv(y - d)) / (2 * eps)
    np.testing.assert_allclose(featurevis.tv_gradient(y), numeric, atol=1e-5)


# --------------------------------------------------------------------------- dataset evidence


@pytest.fixture(scope="module")
def evidence(tiny_run, tiny_dataset):
    filter_evidence.cache_path(tiny_run.model_path, tiny_dataset.x_test).unlink(missing_ok=True)
    return filter_evidence.collect(tiny_run.model_path, tiny_dataset.x_test)


@pytest.fixture(scope="module")
def full_maps(tiny_run, tiny_dataset):
    """conv2_relu maps of every test image, computed here independently of the probe."""
    from generator.train.trainer import as_input

    keras, _ = _keras()
    model = keras.saving.load_model(tiny_run.model_path, compile=False)
    sub = keras.Model(model.inputs, model.get_layer("conv2_relu").output)
    return np.asarray(sub([as_input(tiny_dataset.x_test)], training=False))


def test_cached_statistics_match_the_full_maps(evidence, full_maps):
    n, h, w, c = full_maps.shape
    flat = full_maps.reshape(n, h * w, c)
    np.testing.assert_allclose(evidence["image_max"], flat.max(axis=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(evidence["image_mean"], flat.mean(axis=1), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(evidence["image_zero_fraction"], (flat <= 0).mean(axis=1), atol=1e-6)


def test_top_patches_are_the_arg_max_positions(evidence, full_maps):
    n, h, w, c = full_maps.shape
    k = filter_evidence.TOP_K
    assert evidence["top_images"].shape == (c, k)
    for f in range(c):
        maps = full_maps[..., f]
        per_image = maps.reshape(n, -1).max(axis=1)
        chosen = evidence["top_images"][f]
        assert len(set(chosen.tolist())) == k  # at most one patch per image
        values = evidence["top_values"][f]
        # the chosen images hold the k largest per-image maxima, best first
        np.testing.assert_allclose(values, np.sort(per_image)[::-1][:k], rtol=1e-5, atol=1e-6)
        assert np.all(np.diff(values) <= 1e-6)
        for t, img in enumerate(chosen):
            i, j = evidence["top_rows"][f, t], evidence["top_cols"][f, t]
            assert maps[img, i, j] == pytest.approx(per_image[img], rel=1e-5, abs=1e-6)
            assert (i, j) == np.unravel_index(np.argmax(maps[img]), (h, w))


def test_patch_crops_are_the_receptive_field(evidence, tiny_dataset):
    rf, jump, offset = evidence["geometry"]
    assert (rf, jump, offset) == (14, 2, -6)
    images = tiny_dataset.x_test.astype(np.float32) / 255.0
    for f in (0, 17, 63):
        for t in range(filter_evidence.TOP_K):
            img = images[evidence["top_images"][f, t]]
            i, j = evidence["top_rows"][f, t], evidence["top_cols"][f, t]
            expected = np.zeros((14, 14), np.float32)
            for a in range(14):  # rows 2i-6 … 2i+7, zero outside the image
                for b in range(14):
                    r, s = 2 * i - 6 + a, 2 * j - 6 + b
                    if 0 <= r < 28 and 0 <= s < 28:
                        expected[a, b] = img[r, s]
            np.testing.assert_allclose(evidence["top_patches"][f, t], expected, atol=1e-7)


def test_geometry_of_the_model_layers():
    chain = [Spatial(5, 1, "same"), Spatial(2, 2, "valid"), Spatial(5, 1, "same")]
    assert unit_geometry(chain) == (14, 2, -6)
    assert unit_geometry(chain[:1]) == (5, 1, -2)
    for i in range(14):
        assert crop_box(i, i, 14, 2, -6) == (2 * i - 6, 2 * i + 7, 2 * i - 6, 2 * i + 7)
    with pytest.raises(ValueError):
        unit_geometry([Spatial(3, 2, "same")])


def test_crop_box_is_the_set_of_pixels_that_change_the_unit(tiny_run):
    """Brute force: the input pixels with a non-zero gradient of a conv2 unit, over many
    random inputs, are exactly the crop box (clipped to the image)."""
    keras, tf = _keras()
    model = keras.saving.load_model(tiny_run.model_path, compile=False)
    sub = keras.Model(model.inputs, model.get_layer("conv2").output)  # pre-activation
    x = tf.constant(np.random.default_rng(0).random((24, 28, 28, 1), dtype=np.float32))
    for i, j in ((0, 0), (7, 7), (13, 13), (3, 11)):
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(sub(x, training=False)[:, i, j, :])
        support = np.any(np.asarray(tape.gradient(total, x))[..., 0] != 0, axis=0)
        r0, r1, c0, c1 = crop_box(i, j, 14, 2, -6)
        expected = np.zeros((28, 28), bool)
        expected[max(r0, 0):min(r1, 27) + 1, max(c0, 0):min(c1, 27) + 1] = True
        np.testing.assert_array_equal(support, expected, err_msg=f"position {(i, j)}")


# --------------------------------------------------------------------------- saliency


def test_saliency_and_gradcam(tiny_run, tiny_dataset, evidence):
    keras, tf = _keras()
    idx = [0, 3, 5]
    out = saliency.explain(tiny_run.model_path, idx, tiny_dataset.x_test[idx])
    assert out["saliency"].shape == (3, 28, 28) and out["gradcam"].shape == (3, 14, 14)
    assert np.all(out["saliency"] >= 0) and np.all(out["gradcam"] >= 0)
    np.testing.assert_array_equal(out["predicted"], evidence["probabilities"][idx].argmax(axis=1))
    # the saliency is |d logit / d input| of the predicted class: check against the full model's
    # pre-softmax score rebuilt from fc1 and fc2's weights
    from generator.train.trainer import as_input

    model = keras.saving.load_model(tiny_run.model_path, compile=False)
    fc1 = keras.Model(model.inputs, model.get_layer("fc1").output)
    w, b = model.get_layer("fc2").get_weights()
    x = tf.constant(as_input(tiny_dataset.x_test[idx]))
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = tf.matmul(fc1(x, training=False), w) + b
        score = tf.reduce_sum(logits * tf.one_hot(out["predicted"], 10))
    np.testing.assert_allclose(out["saliency"], np.abs(np.asarray(tape.gradient(score, x)))[..., 0],
                               rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(out["score"], np.asarray(logits).max(axis=1), rtol=1e-5)


def test_choose_examples_includes_the_most_confident_mistake():
    labels = np.array([3, 1, 2, 3, 4, 5, 1])
    predicted = np.array([3, 7, 2, 3, 9, 5, 1])
    probs = np.full((7, 10), 0.05)
    probs[1, 7], probs[4, 9] = 0.6, 0.9
    chosen = choose_examples(predicted, labels, probs, first=0)
    assert chosen == [0, 4, 2, 5]  # probe image, most confident mistake, new digits in order
    assert choose_examples(labels, labels, probs, first=3) == [3, 1, 2, 4]  # no mistake


def test_orientation_convention():
    y, x = np.mgrid[0:28, 0:28]
    stripes = {0: np.sin(y / 1.5), 90: np.sin(x / 1.5), 45: np.sin((x + y) / 2.0), 135: np.sin((x - y) / 2.0)}
    for expected, image in stripes.items():
        angle, coherence = orientation(image[None])
        assert angle_difference(angle, expected) < 5, (expected, angle)
        assert coherence > 0.8
    # rows grow downwards: x + y = const climbs to the right on screen ("/"), x - y = const falls ("\")
    assert orientation_bin(orientation(stripes[45][None])[0]) == "rising"
    assert orientation_bin(orientation(stripes[135][None])[0]) == "falling"
    assert orientation(np.zeros((1, 5, 5)))[1] == 0.0


# --------------------------------------------------------------------------- templates from a fake report


def _fake_probes(n_test: int, *, mistakes: bool = True, dead: tuple = ()):
    rng = np.random.default_rng(1)
    fv = {"start": featurevis.start_image()}
    for group, n in (("conv1", 32), ("conv2", 64), ("classes", 10)):
        start = rng.random(n) * 0.1
        fv.update({f"{group}_images": rng.random((n, 28, 28)).astype(np.float32),
                   f"{group}_start": start, f"{group}_final": start + 0.3,
                   f"{group}_dead_at_start": np.zeros(n, bool), f"{group}_seconds": np.float64(1.5)})
    fv["conv2_dead_at_start"][list(dead)] = True
    fv["classes_predicted"] = np.arange(10)
    fv["classes_probability"] = np.full(10, 0.97)
    image_max = rng.random((n_test, 64)) + 0.1
    image_max[:, list(dead)] = 0.0
    top = filter_evidence.top_per_filter(image_max)
    probs = np.full((n_test, 10), 0.01)
    ev = {
        "image_max": image_max, "image_argmax": rng.integers(0, 196, (n_test, 64)),
        "image_mean": image_max / 3, "image_zero_fraction": rng.random((n_test, 64)),
        "probabilities": probs, "map_shape": np.array([14, 14]), "geometry": np.array([14, 2, -6]),
        "top_images": top, "top_rows": rng.integers(0, 14, (64, 9)), "top_cols": rng.integers(0, 14, (64, 9)),
        "top_values": image_max[top, np.arange(64)[:, None]],
        "top_patches": rng.random((64, 9, 14, 14)).astype(np.float32), "seconds": np.float64(2.5),
    }
    return fv, ev, probs


@pytest.fixture
def fake_features(tiny_dataset, monkeypatch):
    from tests.fakes import fake_context

    def make(mistakes: bool = True, dead: tuple = ()):
        n = len(tiny_dataset.y_test)
        fv, ev, probs = _fake_probes(n, mistakes=mistakes, dead=dead)
        probs[np.arange(n), tiny_dataset.y_test] = 0.9
        if mistakes:
            probs[7] = 0.01
            probs[7, (tiny_dataset.y_test[7] + 1) % 10] = 0.8
        monkeypatch.setattr(featurevis, "maximise", lambda path, settings=None: fv)
        monkeypatch.setattr(filter_evidence, "collect", lambda path, x: ev)

        def explain(path, indices, images):
            k = len(indices)
            return {"indices": np.asarray(indices), "saliency": np.random.default_rng(2).random((k, 28, 28)),
                    "gradcam": np.zeros((k, 14, 14)), "predicted": probs[indices].argmax(axis=1),
                    "score": np.ones(k), "seconds": np.float64(0.5)}

        monkeypatch.setattr(saliency, "explain", explain)
        from generator.pages import features, index, layer2
        from generator.report import assemble

        ctx = fake_context(tiny_dataset)
        data = features.analyse(ctx)
        numbers = {"index": index.analyse(ctx).numbers, "layer2": layer2.analyse(ctx).numbers,
                   "features": data.numbers}
        return data, assemble(ctx, numbers, build_seconds=1.0)

    return make


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_templates_render_from_a_fake_report(fake_features, lang):
    from generator.pages import features
    from generator.pages.render import render_page

    data, report = fake_features()
    n = report["pages"]["features"]
    text = render_page("features", lang, features.context(report))
    assert text.startswith("# ") and "{{" not in text and "{%" not in text
    anchor = "layer2.md#after-relu" if lang == "en" else "layer2.md#relu_1"
    assert f"[{n['stats']['most_sparse'][0]['filter']}]({anchor})" in text
    assert text.count(anchor) >= 64  # every filter of the table links to the layer-2 page
    for job in data.figures:
        assert job.name in text and job.npz_name in text
    assert "figures/features/features.npz" in text
    assert f"{n['misclassified']}" in text and "**mnist-5k**" in text
    assert len(n["table"]) == 64 and n["examples"][1]["correct"] is False


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_templates_cover_no_mistakes_and_dead_filters(fake_features, lang):
    from generator.pages import features
    from generator.pages.render import render_page

    _, report = fake_features(mistakes=False, dead=(5, 9))
    n = report["pages"]["features"]
    assert n["misclassified"] == 0 and not n["misclassified_shown"]
    assert n["conv2"]["dead_at_start"] == [5, 9] and n["stats"]["dead"] == [5, 9]
    assert n["active_filters"] == 62
    text = render_page("features", lang, features.context(report))
    assert ("classifies all" in text) if lang == "en" else ("都分對了" in text)
    assert "[9](layer2.md" in text


def test_numbers_are_computed_from_the_probes(fake_features, tiny_dataset):
    data, report = fake_features()
    n = report["pages"]["features"]
    arrays = data.arrays["figures/features/features.npz"]
    y = tiny_dataset.y_test
    means = arrays["mean_activation"]
    table = {row["filter"]: row for row in n["table"]}
    for k in (0, 31, 63):
        assert table[k]["mean"] == pytest.approx(round(float(means[k]), 4))
        digit_means = [arrays["digit_means"][k, d] for d in range(10)]
        assert table[k]["preferred_digit"] == int(np.argmax(digit_means))
        labels = y[arrays["top_images"][k]]
        assert table[k]["top_label_count"] == np.bincount(labels, minlength=10).max()
    sparsest = max(range(64), key=lambda k: (arrays["sparsity"][k], -k))
    assert n["stats"]["most_sparse"][0]["filter"] == sparsest
    assert n["conv2"]["raised"] == 64


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def built(quick_site):
    return quick_site


def test_features_page_is_in_the_site(built):
    site = built / "site"
    report = json.loads((site / "report.json").read_text())
    n = report["pages"]["features"]
    for page in ("features/index.html", "zh-TW/features/index.html"):
        assert (site / page).is_file(), page
    html = (site / "features" / "index.html").read_text()
    zh = (site / "zh-TW" / "features" / "index.html").read_text()
    assert "What did layer 2 learn?" in html and "第二層到底學到了什麼" in zh
    assert f"for {n['conv2']['raised']} of 64 filters" in html
    assert 'href="../layer2/#after-relu"' in html and 'href="../layer2/#relu_1"' in zh
    assert 'href="../features/"' in (site / "layer2" / "index.html").read_text()
    figs = site / "figures" / "features"
    for name in ("conv2_optimised", "conv1_optimised", "classes_optimised", "top_patches",
                 "filter_stats", "digit_heatmap", "saliency", "conv2_gain"):
        assert (figs / f"{name}.png").read_bytes()[:4] == b"\x89PNG" and (figs / f"{name}.npz").is_file()
    with np.load(figs / "features.npz") as z:
        assert z["conv2_images"].shape == (64, 28, 28) and z["top_patches"].shape == (64, 9, 14, 14)
        live = z["conv2_start"] > 0
        assert np.all(z["conv2_final"][live] > z["conv2_start"][live])


def test_warm_build_recomputes_nothing_for_the_page(built, monkeypatch):
    import generator.figures.render as render
    import generator.train.trainer as trainer
    from generator.cli import main

    docs = built / "docs"
    before = {p: p.read_bytes() for p in (docs / "features.md", docs / "features.zh-TW.md")}
    monkeypatch.setattr(trainer, "import_keras", lambda: pytest.fail("TensorFlow imported"))
    monkeypatch.setattr(render, "drawing_function", lambda f: pytest.fail(f"redrew {f}"))
    assert main(["build", "--profile", "quick", "--dataset", "mnist-5k", "--root", str(built),
                 "--no-site"]) == 0
    for path, data in before.items():
        assert path.read_bytes() == data, path.name
