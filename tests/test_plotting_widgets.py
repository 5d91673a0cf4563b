"""Tests of cnnbook.plotting and cnnbook.widgets (the explorers the chapters embed)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.signal import correlate2d  # noqa: E402

from cnnbook import layers, plotting, widgets  # noqa: E402
from cnnbook.data import load_sample_photo  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------
# plotting
# --------------------------------------------------------------------------


def test_to_grayscale_uses_luminance_weights():
    photo = np.zeros((2, 3, 3), dtype=np.uint8)
    photo[..., 0] = 100  # red only
    photo[0, 0] = (255, 255, 255)
    gray = plotting.to_grayscale(photo)
    assert gray.shape == (2, 3)
    assert gray[0, 0] == pytest.approx(255.0)
    assert gray[1, 2] == pytest.approx(29.9)
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        plotting.to_grayscale(np.zeros((4, 4)))


@pytest.mark.parametrize(
    "n, f, pad, stride", [(7, 3, 0, 1), (7, 3, 0, 2), (8, 3, 0, 2), (5, 4, 1, 3), (6, 6, 0, 1)]
)
def test_draw_padded_grid_returns_conv_output_size(n, f, pad, stride):
    fig, ax = plotting.new_figure()
    assert plotting.draw_padded_grid(n, f, pad, stride, ax=ax) == layers.conv_output_size(
        n, f, pad, stride
    )


def test_draw_padded_grid_window_too_large_returns_none():
    fig, ax = plotting.new_figure()
    assert plotting.draw_padded_grid(3, 7, 1, 1, ax=ax) is None
    assert "does not fit" in ax.get_title()


def test_show_matrix_writes_every_number():
    a = np.arange(12).reshape(3, 4)
    ax = plotting.show_matrix(a)
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(v) for v in a.ravel())


def test_show_images_grid_shape_and_fig_to_png():
    fig = plotting.show_images([np.eye(4)] * 5, titles=list("abcde"), ncols=3)
    assert len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes[:5]] == list("abcde")
    assert plotting.fig_to_png(fig).startswith(PNG_MAGIC)


def test_show_feature_maps_one_panel_per_channel():
    maps = np.random.default_rng(0).standard_normal((1, 5, 6, 7))
    fig = plotting.show_feature_maps(maps, ncols=3)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:5] == [f"channel {c}" for c in range(5)]
    np.testing.assert_array_equal(fig.axes[2].images[0].get_array(), maps[0, 2])
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        plotting.show_feature_maps(np.zeros((2, 3, 4, 4)))


def test_plot_probabilities_one_bar_per_class():
    ax = plotting.plot_probabilities([0.2, 0.5, 0.3], labels=["a", "b", "c"])
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, [0.2, 0.5, 0.3])


# --------------------------------------------------------------------------
# (1) convolution explorer
# --------------------------------------------------------------------------


def test_convolve_gray_matches_scipy_correlate2d():
    rng = np.random.default_rng(0)
    gray = rng.random((9, 11))
    for name in ("vertical edges (Sobel x)", "Gaussian blur 5x5"):
        k = widgets.KERNELS[name]
        np.testing.assert_allclose(
            widgets.convolve_gray(gray, k), correlate2d(gray, k, mode="same"), atol=1e-12
        )


def test_convolution_explorer_shows_conv2d_forward_of_the_photo():
    box = widgets.convolution_explorer(photo="china", kernel="sharpen", downsample=4)
    assert box.result["png"].startswith(PNG_MAGIC)
    for kernel in ("vertical edges (Sobel x)", "box blur 7x7"):
        old_png, old_html = box.result["png"], box.image.value
        box.controls["kernel"].value = kernel  # the callback re-renders
        assert box.result["png"] != old_png and box.image.value != old_html
        assert f"the {kernel} kernel" in box.result["alt"]
        gray = plotting.to_grayscale(load_sample_photo("china"))[::4, ::4] / 255
        k = widgets.KERNELS[kernel]
        expected = layers.conv2d_forward(
            gray[None, None], k[None, None], np.zeros(1), pad=(k.shape[0] - 1) // 2
        )[0, 0]
        np.testing.assert_allclose(box.result["input"], gray)
        np.testing.assert_allclose(box.result["output"], expected)
        assert box.result["output"].shape == gray.shape


def test_convolution_explorer_rejects_unknown_kernel():
    with pytest.raises(ValueError, match="unknown kernel"):
        widgets.convolution_explorer(kernel="emboss")


# --------------------------------------------------------------------------
# (2) padding and stride explorer
# --------------------------------------------------------------------------


def test_padding_explorer_reports_conv_output_size():
    box = widgets.padding_stride_explorer()
    c = box.controls
    for n, f, p, s in [(7, 3, 0, 1), (7, 3, 0, 2), (8, 3, 0, 2), (5, 5, 2, 1), (12, 4, 1, 3)]:
        box.set(n=n, f=f, pad=p, stride=s)
        assert (c["n"].value, c["f"].value, c["pad"].value, c["stride"].value) == (n, f, p, s)
        expected = layers.conv_output_size(n, f, p, s)
        assert box.result["out"] == expected
        assert box.result["error"] is None
        assert f"<b>{expected}</b>" in box.info.value


def test_padding_explorer_impossible_setting_shows_message():
    box = widgets.padding_stride_explorer(n=3, f=3, pad=0, stride=1)
    box.controls["f"].value = 6  # 6 > n + 2p = 3
    assert box.result["out"] is None
    assert "does not fit" in box.result["error"]
    assert "No output" in box.info.value
    assert box.result["png"].startswith(PNG_MAGIC)
    assert "does not fit" in box.result["alt"]
    box.controls["pad"].value = 2  # fits again: 3 + 4 - 6 + 1 = 2
    assert box.result["out"] == 2 and box.result["error"] is None
    with pytest.raises(ValueError, match="unknown controls"):
        box.set(kernel=3)


# --------------------------------------------------------------------------
# (3) pooling explorer
# --------------------------------------------------------------------------


def test_pool_modes_match_layers():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 7))
    np.testing.assert_array_equal(widgets.pool(x, "max", 3, 2), layers.maxpool2d_forward(x, 3, 2))
    np.testing.assert_allclose(widgets.pool(x, "average", 2, 2), layers.avgpool2d_forward(x, 2, 2))
    windows = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(2, 3))[:, :, ::2, ::2]
    np.testing.assert_array_equal(widgets.pool(x, "min", 3, 2), windows.min(axis=(4, 5)))
    with pytest.raises(ValueError, match="mode"):
        widgets.pool(x, "median", 2, 2)


def test_pooling_explorer_output_and_error():
    box = widgets.pooling_explorer()
    x = box.result["input"]
    assert x.shape == (8, 8)
    expected = layers.maxpool2d_forward(x[None, None])[0, 0]
    np.testing.assert_array_equal(box.result["output"], expected)
    box.set(mode="average", size=3)
    np.testing.assert_allclose(
        box.result["output"], layers.avgpool2d_forward(x[None, None], 3, 2)[0, 0]
    )
    assert box.result["output"].shape == (3, 3)
    assert "3 rows" in box.info.value and "(windows overlap)" in box.info.value
    box.set(image="photo (107x160)", mode="min", size=8)
    photo = box.result["input"]
    assert box.result["output"].shape == (layers.conv_output_size(107, 8, 0, 2),
                                          layers.conv_output_size(160, 8, 0, 2))
    np.testing.assert_array_equal(
        box.result["output"], -layers.maxpool2d_forward(-photo[None, None], 8, 2)[0, 0]
    )


def test_pooling_explorer_window_larger_than_input():
    box = widgets.pooling_explorer(size=2)
    # the slider stops at 8 = the digit's size; ask for more through the API
    box.controls["size"].max = 9
    box.controls["size"].value = 9
    assert box.result["output"] is None and "larger" in box.result["error"]
    assert "No output" in box.info.value


# --------------------------------------------------------------------------
# (4) softmax temperature explorer
# --------------------------------------------------------------------------


def test_softmax_explorer_sums_to_one_and_flattens_with_temperature():
    box = widgets.softmax_temperature_explorer(logits=[2.0, 1.0, 0.1, -1.0, 3.0])
    slider = box.controls["temperature"]
    maxima, entropies = [], []
    for t in [0.1, 1.0, 3.0, 10.0]:
        slider.value = t
        probs = box.result["probs"]
        assert probs.sum() == pytest.approx(1.0)
        assert np.argmax(probs) == 4  # the ranking never changes
        np.testing.assert_allclose(probs, layers.softmax(np.array([2, 1, 0.1, -1, 3]) / t))
        maxima.append(probs.max())
        entropies.append(box.result["entropy"])
    assert all(a > b for a, b in zip(maxima[:-1], maxima[1:], strict=True))
    assert all(a < b for a, b in zip(entropies[:-1], entropies[1:], strict=True))
    assert maxima[0] > 0.99  # T = 0.1: almost one-hot
    assert entropies[-1] > 0.95 * np.log(5)  # T = 10: almost uniform


def test_explorers_show_png_with_alt_text():
    import base64
    import html

    for box in (widgets.padding_stride_explorer(), widgets.softmax_temperature_explorer()):
        value = box.image.value
        assert value.startswith("<img ") and 'alt="' in value
        assert html.escape(box.result["alt"]) in value
        data = value.split("base64,")[1].split('"')[0]
        assert base64.b64decode(data) == box.result["png"]
    assert "output grid is 3x3" in widgets.padding_stride_explorer(n=7, f=3).result["alt"]


def test_softmax_with_temperature_rejects_nonpositive():
    with pytest.raises(ValueError, match="temperature"):
        widgets.softmax_with_temperature([1.0, 2.0], 0.0)
