"""Interactive explorers for the chapters (ipywidgets).

Each function returns one widget (a ``VBox``) that holds its controls, an
``HTML`` line of text and the rendered picture: a PNG drawn with matplotlib,
shown as an ``<img>`` (inside an ``ipywidgets.HTML``) whose alt text
describes the current settings. The first view is therefore a real figure,
with alt text, even in the static HTML book (the executed notebook stores
the widget state); in a live kernel, moving a control re-renders it.

The returned box also carries, for tests and curious readers:

* ``box.controls``: a dict of the control widgets by name,
* ``box.image`` and ``box.info``: the picture and the text,
* ``box.result``: a dict with the numbers behind the current picture, and
  its ``"png"`` bytes and ``"alt"`` text,
* ``box.set(name=value, ...)``: set several controls and redraw once.

The computations use :mod:`cnnbook.layers`, never a private copy.
"""

from __future__ import annotations

import base64
import html

import numpy as np

from cnnbook import layers
from cnnbook.plotting import (
    draw_padded_grid,
    fig_to_png,
    new_figure,
    plot_probabilities,
    show_image,
    to_grayscale,
)

__all__ = [
    "KERNELS",
    "convolution_explorer",
    "padding_stride_explorer",
    "pooling_explorer",
    "softmax_temperature_explorer",
]

#: Hand-made 2-D kernels for the convolution explorer (applied as cross-correlation).
KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    "vertical edges (Sobel x)": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float),
    "horizontal edges (Sobel y)": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=float),
    "all edges (Laplacian)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float),
    "box blur 3x3": np.full((3, 3), 1 / 9),
    "box blur 7x7": np.full((7, 7), 1 / 49),
    "Gaussian blur 5x5": np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
}

_SIGNED = {"vertical edges (Sobel x)", "horizontal edges (Sobel y)", "all edges (Laplacian)"}


def _box(controls: dict, image, info, result: dict, update):
    """Wire the controls to ``update``, draw once, and pack everything into a VBox."""
    import ipywidgets as widgets

    paused = [False]

    def on_change(change):
        if not paused[0]:
            update()

    for control in controls.values():
        control.observe(on_change, names="value")
    update()

    def set_values(**values):
        """Set several controls at once (by name) and redraw once."""
        unknown = sorted(set(values) - set(controls))
        if unknown:
            raise ValueError(f"unknown controls {unknown}; choose from {list(controls)}")
        paused[0] = True
        try:
            for name, value in values.items():
                controls[name].value = value
        finally:
            paused[0] = False
        update()

    row = widgets.HBox(list(controls.values()),
                       layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
    box = widgets.VBox([row, info, image])
    box.controls = controls
    box.image = image
    box.info = info
    box.result = result
    box.set = set_values
    return box


def _blank_figure(figsize):
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _image_widget():
    import ipywidgets as widgets

    return widgets.HTML(layout=widgets.Layout(max_width="100%"))


def _show(image, fig, alt: str, result: dict) -> None:
    """Render ``fig`` into the ``image`` widget as a PNG ``<img>`` with alt text."""
    png = fig_to_png(fig)
    data = base64.b64encode(png).decode("ascii")
    image.value = (f'<img class="widget-image cnnbook-explorer-image" '
                   f'style="max-width: 100%; height: auto" alt="{html.escape(alt)}" '
                   f'src="data:image/png;base64,{data}">')
    result.update(png=png, alt=alt)


# --------------------------------------------------------------------------
# (1) Convolution on a photo
# --------------------------------------------------------------------------


def convolve_gray(gray, kernel) -> np.ndarray:
    """Convolve a grayscale image with one 2-D kernel using :func:`cnnbook.layers.conv2d_forward`.

    'Same' padding ``(f - 1) // 2`` keeps the size for odd kernels.

    Args:
        gray: ``(H, W)`` image.
        kernel: ``(f, f)`` kernel.

    Returns:
        ``(H', W')`` feature map (``H' = H`` for odd ``f``).
    """
    gray = np.asarray(gray, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    x = gray[np.newaxis, np.newaxis]  # (1, 1, H, W)
    w = kernel[np.newaxis, np.newaxis]  # (1, 1, f, f)
    out = layers.conv2d_forward(x, w, np.zeros(1), stride=1, pad=(kernel.shape[0] - 1) // 2)
    return out[0, 0]


def convolution_figure(gray, kernel_name: str, fig=None):
    """Input, kernel and output of one convolution side by side.

    Returns:
        ``(fig, out)``: the figure and the ``(H, W)`` feature map.
    """
    kernel = KERNELS[kernel_name]
    out = convolve_gray(gray, kernel)
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(9, 3), layout="constrained")
    axes = fig.subplots(1, 3, width_ratios=[4, 1.3, 4])
    show_image(gray, ax=axes[0], title=f"input {gray.shape[0]}x{gray.shape[1]}")
    from cnnbook.plotting import show_matrix

    show_matrix(kernel, ax=axes[1], fmt="{:.2g}" if kernel.shape[0] <= 3 else "",
                cmap="cividis", title=f"kernel {kernel.shape[0]}x{kernel.shape[1]}",
                fontsize=8)
    show_image(out, ax=axes[2], symmetric=kernel_name in _SIGNED,
               title=f"output {out.shape[0]}x{out.shape[1]}")
    return fig, out


def convolution_explorer(photo: str = "china", kernel: str = "vertical edges (Sobel x)",
                         downsample: int = 2):
    """Explorer (1): convolve a real photo with a kernel chosen from :data:`KERNELS`.

    The photo is turned to grayscale, shrunk by ``downsample`` (keeps the widget
    fast) and convolved with :func:`cnnbook.layers.conv2d_forward`.
    ``box.result`` holds ``"input"``, ``"kernel"`` and ``"output"``.
    """
    import ipywidgets as widgets

    from cnnbook.data import SAMPLE_PHOTOS, load_sample_photo

    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of {list(KERNELS)}")
    grays = {}

    def gray_of(name):
        if name not in grays:
            grays[name] = to_grayscale(load_sample_photo(name))[::downsample, ::downsample] / 255
        return grays[name]

    controls = {
        "photo": widgets.Dropdown(options=list(SAMPLE_PHOTOS), value=photo, description="photo"),
        "kernel": widgets.Dropdown(options=list(KERNELS), value=kernel, description="kernel",
                                   layout=widgets.Layout(width="320px")),
    }
    image, info, result = _image_widget(), widgets.HTML(), {}

    def update():
        gray = gray_of(controls["photo"].value)
        fig, out = convolution_figure(gray, controls["kernel"].value, fig=_blank_figure((9, 3)))
        result.update(input=gray, kernel=KERNELS[controls["kernel"].value], output=out)
        info.value = (f"output range {out.min():.2f} .. {out.max():.2f}; "
                      f"shape {gray.shape} &rarr; {out.shape}")
        alt = (f"Three panels: the grayscale {controls['photo'].value} photo "
               f"({gray.shape[0]}x{gray.shape[1]}), the {controls['kernel'].value} kernel, "
               f"and the {out.shape[0]}x{out.shape[1]} output of the convolution.")
        _show(image, fig, alt, result)

    return _box(controls, image, info, result, update)


# --------------------------------------------------------------------------
# (2) Padding and stride
# --------------------------------------------------------------------------


def padding_stride_explorer(n: int = 7, f: int = 3, pad: int = 0, stride: int = 2):
    """Explorer (2): sliders for n, f, p, s; draws the padded grid and the window positions.

    The output size comes from :func:`cnnbook.layers.conv_output_size`. A window
    larger than the padded input (``f > n + 2p``) shows a message instead.
    ``box.result`` holds ``"out"`` (an int, or ``None`` when the window does not fit)
    and ``"error"`` (``None`` or the message).
    """
    import ipywidgets as widgets

    style = {"description_width": "20px"}
    lay = widgets.Layout(width="300px")
    controls = {
        "n": widgets.IntSlider(value=n, min=1, max=12, description="n", style=style, layout=lay),
        "f": widgets.IntSlider(value=f, min=1, max=9, description="f", style=style, layout=lay),
        "pad": widgets.IntSlider(value=pad, min=0, max=4, description="p", style=style,
                                 layout=lay),
        "stride": widgets.IntSlider(value=stride, min=1, max=5, description="s", style=style,
                                    layout=lay),
    }
    image, info, result = _image_widget(), widgets.HTML(), {}

    def update():
        n, f, p, s = (controls[k].value for k in ("n", "f", "pad", "stride"))
        fig, ax = new_figure(figsize=(7, 4))
        out = draw_padded_grid(n, f, p, s, ax=ax)
        if out is None:
            error = (f"The {f}x{f} window does not fit: the padded input is only "
                     f"n + 2p = {n + 2 * p} wide. Increase n or p, or decrease f.")
            info.value = f"<b>No output.</b> {html.escape(error)}"
        else:
            error = None
            info.value = (f"output size = &lfloor;(n + 2p &minus; f) / s&rfloor; + 1 = "
                          f"&lfloor;({n} + {2 * p} &minus; {f}) / {s}&rfloor; + 1 = "
                          f"<b>{out}</b>")
        result.update(out=out, error=error, n=n, f=f, pad=p, stride=s)
        alt = (f"A {n}x{n} input grid padded by {p} to {n + 2 * p}x{n + 2 * p}. "
               + (f"The {f}x{f} window does not fit." if out is None else
                  f"Dots mark the {out * out} positions of a {f}x{f} window moved by stride "
                  f"{s}; the output grid is {out}x{out}."))
        _show(image, fig, alt, result)

    return _box(controls, image, info, result, update)


# --------------------------------------------------------------------------
# (3) Pooling
# --------------------------------------------------------------------------


def pool(x, mode: str, size: int, stride: int) -> np.ndarray:
    """Max, average or min pooling of an ``(N, C, H, W)`` array with :mod:`cnnbook.layers`.

    Min pooling is ``-maxpool(-x)``.
    """
    if mode == "max":
        return layers.maxpool2d_forward(x, size, stride)
    if mode == "average":
        return layers.avgpool2d_forward(x, size, stride)
    if mode == "min":
        return -layers.maxpool2d_forward(-np.asarray(x), size, stride)
    raise ValueError(f"mode must be 'max', 'average' or 'min', got {mode!r}")


def _pool_inputs():
    from cnnbook.data import load_digits, load_sample_photo

    digits = load_digits()
    photo = to_grayscale(load_sample_photo("china"))[::4, ::4] / 255.0  # 107 x 160
    return {
        "digit (8x8)": digits.x_test[0, 0].astype(np.float64),
        "photo (107x160)": photo,
    }


def pooling_explorer(image: str = "digit (8x8)", mode: str = "max", size: int = 2,
                     stride: int = 2):
    """Explorer (3): max / average / min pooling of a digit or a photo.

    ``box.result`` holds ``"input"`` ``(H, W)``, ``"output"`` ``(H', W')`` or
    ``None``, and ``"error"``.
    """
    import ipywidgets as widgets

    inputs = _pool_inputs()
    if image not in inputs:
        raise ValueError(f"unknown image {image!r}; choose one of {list(inputs)}")
    style = {"description_width": "50px"}
    controls = {
        "image": widgets.Dropdown(options=list(inputs), value=image, description="image",
                                  style=style, layout=widgets.Layout(width="260px")),
        "mode": widgets.ToggleButtons(options=["max", "average", "min"], value=mode,
                                      style={"button_width": "80px"}),
        "size": widgets.IntSlider(value=size, min=1, max=8, description="size", style=style,
                                  layout=widgets.Layout(width="300px")),
        "stride": widgets.IntSlider(value=stride, min=1, max=8, description="stride",
                                    style=style, layout=widgets.Layout(width="300px")),
    }
    img_widget, info, result = _image_widget(), widgets.HTML(), {}

    def update():
        x2d = inputs[controls["image"].value]
        m, k, s = controls["mode"].value, controls["size"].value, controls["stride"].value
        fig, axes = new_figure(1, 2, figsize=(8, 3.4))
        show_image(x2d, ax=axes[0], title=f"input {x2d.shape[0]}x{x2d.shape[1]}")
        if k > min(x2d.shape):
            out, error = None, f"A {k}x{k} window is larger than the {x2d.shape} input."
            axes[1].axis("off")
            axes[1].text(0.5, 0.5, "window larger\nthan the input", ha="center", va="center")
            info.value = f"<b>No output.</b> {html.escape(error)}"
        else:
            error = None
            out = pool(x2d[np.newaxis, np.newaxis], m, k, s)[0, 0]
            show_image(out, ax=axes[1], vmin=x2d.min(), vmax=x2d.max(),
                       title=f"{m} pool {k}x{k}, stride {s}: {out.shape[0]}x{out.shape[1]}")
            overlap = " (windows overlap)" if s < k else (" (pixels skipped)" if s > k else "")
            (h, w), (ho, wo) = x2d.shape, out.shape
            info.value = (f"input {h}x{w} &rarr; output {ho}x{wo}: "
                          f"&lfloor;({h} &minus; {k}) / {s}&rfloor; + 1 = {ho} rows, "
                          f"&lfloor;({w} &minus; {k}) / {s}&rfloor; + 1 = {wo} columns"
                          f"{overlap}; no learnable parameters")
        result.update(input=x2d, output=out, error=error, mode=m, size=k, stride=s)
        name = controls["image"].value.split(" (")[0]
        alt = (f"The {name} ({x2d.shape[0]}x{x2d.shape[1]}) and "
               + ("no output: the window is larger than the input." if out is None else
                  f"its {m} pooling with a {k}x{k} window and stride {s}, "
                  f"{out.shape[0]}x{out.shape[1]} pixels."))
        _show(img_widget, fig, alt, result)

    return _box(controls, img_widget, info, result, update)


# --------------------------------------------------------------------------
# (4) Softmax temperature
# --------------------------------------------------------------------------

DEFAULT_LOGITS = (2.0, 1.0, 0.1, -1.0, 3.0)


def softmax_with_temperature(logits, temperature: float) -> np.ndarray:
    """``softmax(z / T)`` with :func:`cnnbook.layers.softmax`; ``T > 0``."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    return layers.softmax(np.asarray(logits, dtype=np.float64) / temperature)


def softmax_temperature_explorer(logits=DEFAULT_LOGITS, labels=None, temperature: float = 1.0):
    """Explorer (4): probabilities ``softmax(z / T)`` of fixed logits, with a slider for ``T``.

    Small ``T`` sharpens the distribution towards the largest logit (one-hot as
    ``T -> 0``); large ``T`` flattens it towards uniform. The ranking never changes.
    ``box.result`` holds ``"logits"``, ``"temperature"``, ``"probs"`` and ``"entropy"``.
    """
    import ipywidgets as widgets

    logits = np.asarray(logits, dtype=np.float64).ravel()
    labels = [f"class {k}" for k in range(len(logits))] if labels is None else list(labels)
    if len(labels) != len(logits):
        raise ValueError(f"{len(labels)} labels for {len(logits)} logits")
    controls = {
        "temperature": widgets.FloatLogSlider(value=temperature, base=10, min=-1, max=1,
                                              step=0.05, description="T",
                                              readout_format=".2f",
                                              layout=widgets.Layout(width="360px")),
    }
    image, info, result = _image_widget(), widgets.HTML(), {}

    def update():
        t = controls["temperature"].value
        probs = softmax_with_temperature(logits, t)
        entropy = float(-(probs * np.log(np.clip(probs, 1e-300, None))).sum())
        fig, ax = new_figure(figsize=(6, 3))
        plot_probabilities(probs, labels, ax=ax, highlight=int(np.argmax(logits)),
                           title=f"softmax(z / T), T = {t:.2f}")
        zs = ", ".join(f"{z:g}" for z in logits)
        info.value = (f"logits z = [{zs}]; sum of probabilities = {probs.sum():.3f}; "
                      f"entropy = {entropy:.3f} nats (uniform: {np.log(len(logits)):.3f})")
        result.update(logits=logits, temperature=t, probs=probs, entropy=entropy)
        alt = (f"Bar chart of the probabilities softmax(z / T) at temperature {t:.2f}: "
               + ", ".join(f"{lab} {q:.2f}" for lab, q in zip(labels, probs, strict=True))
               + ".")
        _show(image, fig, alt, result)

    return _box(controls, image, info, result, update)
