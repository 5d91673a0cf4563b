"""Plotting helpers shared by the chapters and the widgets.

Every function draws with matplotlib and takes an optional ``ax`` (or
returns a new figure), so the same picture appears as a plain figure in a
chapter and inside an interactive explorer of :mod:`cnnbook.widgets`.

Colour maps are chosen to stay readable when printed in grayscale:
``gray`` for images and feature maps, ``cividis``/``viridis`` for values,
never ``jet`` or red/green pairs.
"""

from __future__ import annotations

import io

import numpy as np

from cnnbook import tensors

__all__ = [
    "to_grayscale",
    "fig_to_png",
    "figure_markdown",
    "new_figure",
    "show_image",
    "show_images",
    "show_feature_maps",
    "show_matrix",
    "draw_padded_grid",
    "plot_probabilities",
]

#: Colours that differ in lightness as well as hue (readable in grayscale).
DARK = "#1b1b3a"
ACCENT = "#e69f00"  # orange (Okabe-Ito)
ACCENT2 = "#0072b2"  # blue (Okabe-Ito)


# --------------------------------------------------------------------------
# Small conversions
# --------------------------------------------------------------------------


def to_grayscale(photo) -> np.ndarray:
    """Luminance of one RGB photo as loaded from a file, on the photo's own scale.

    ``gray = 0.299 R + 0.587 G + 0.114 B``, computed by
    :func:`cnnbook.tensors.to_grayscale` (the batch version, whose weights
    these are).

    Args:
        photo: ``(H, W, 3)`` image, uint8 0..255 or floats.

    Returns:
        ``(H, W)`` float64 array on the input's scale (0..255 for uint8).
    """
    photo = np.asarray(photo)
    if photo.ndim != 3 or photo.shape[2] != 3:
        raise ValueError(f"photo must have shape (H, W, 3), got {photo.shape}")
    batch = photo.transpose(2, 0, 1)[np.newaxis].astype(np.float64)  # (1, 3, H, W)
    return tensors.to_grayscale(batch)[0, 0]


def fig_to_png(fig, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes (for an ``ipywidgets.Image``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def figure_markdown(fig, name: str, caption: str, alt: str, dpi: int = 100):
    """A numbered book figure whose caption and alt text are computed with the data.

    Cell metadata can only hold fixed alt text; a chapter whose alt text or
    caption states numbers builds them with f-strings from the data it plots
    and shows the figure with this function, in a code cell with the metadata
    ``mystnb: {markdown_format: myst}``. The figure is closed and embedded as
    a PNG data URI in a MyST ``{figure}`` directive, so ``{numref}`` works.

    Args:
        fig: a matplotlib figure (closed afterwards).
        name: the figure's label, e.g. ``"fig-ch6-ce-vs-mse-gradient"``.
        caption: MyST Markdown (math allowed), one paragraph.
        alt: plain text for readers who cannot see the picture.
        dpi: resolution of the PNG.

    Returns:
        An ``IPython.display.Markdown`` object.
    """
    import base64

    import matplotlib.pyplot as plt
    from IPython.display import Markdown

    png = fig_to_png(fig, dpi=dpi)
    plt.close(fig)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    alt = " ".join(alt.split())
    caption = " ".join(caption.split())
    return Markdown(f":::{{figure}} {uri}\n:name: {name}\n:alt: {alt}\n\n{caption}\n:::\n")


def new_figure(nrows: int = 1, ncols: int = 1, figsize=(6, 3), **kwargs):
    """A figure that is *not* registered with pyplot (never shown twice in a notebook).

    Returns:
        ``(fig, axes)`` like :func:`matplotlib.pyplot.subplots`.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True, **kwargs)
    return fig, axes


def _axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


# --------------------------------------------------------------------------
# Images and feature maps
# --------------------------------------------------------------------------


def show_image(img, ax=None, title: str | None = None, cmap: str = "gray", vmin=None,
               vmax=None, symmetric: bool = False, colorbar: bool = False):
    """Show one image or feature map without axis ticks.

    Args:
        img: ``(H, W)`` values, or ``(H, W, 3)`` RGB (uint8 or floats in [0, 1]).
        ax: axes to draw into; a new figure if ``None``.
        title: axes title.
        cmap: colour map for a 2-D image (``gray`` by default).
        vmin, vmax: colour limits; by default the data's range.
        symmetric: centre the limits on 0 (``-m .. m`` with ``m`` the 99th
            percentile of ``|img|``), for signed feature maps such as edges.
        colorbar: add a colour bar.

    Returns:
        The ``AxesImage``.
    """
    img = np.asarray(img)
    fig, ax = _axes(ax, (4, 3))
    if symmetric and img.ndim == 2:
        m = float(np.percentile(np.abs(img), 99)) or 1.0
        vmin, vmax = -m, m
    kwargs = {} if img.ndim == 3 else {"cmap": cmap, "vmin": vmin, "vmax": vmax}
    im = ax.imshow(img, interpolation="nearest", **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    if colorbar and img.ndim == 2:
        fig.colorbar(im, ax=ax, shrink=0.8)
    return im


def show_images(images, titles=None, ncols: int | None = None, cmap: str = "gray",
                size: float = 2.5, symmetric: bool = False, fig=None):
    """A grid of images, one per panel.

    Args:
        images: a sequence of ``(H, W)`` or ``(H, W, 3)`` arrays.
        titles: one title per image (optional).
        ncols: panels per row (default: all in one row, at most 6).
        cmap, symmetric: as in :func:`show_image`.
        size: panel size in inches.
        fig: an existing figure to draw into (e.g. from :func:`new_figure`).

    Returns:
        The figure.
    """
    images = list(images)
    n = len(images)
    if n == 0:
        raise ValueError("images is empty")
    ncols = ncols or min(n, 6)
    nrows = -(-n // ncols)
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(size * ncols, size * nrows * 0.9 + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for k, ax in enumerate(axes):
        if k < n:
            show_image(images[k], ax=ax, title=None if titles is None else titles[k], cmap=cmap,
                       symmetric=symmetric)
        else:
            ax.axis("off")
    return fig


def show_feature_maps(maps, ncols: int | None = None, title: str = "channel",
                      cmap: str = "gray", symmetric: bool = False, size: float = 2.0):
    """Show every channel of a ``(C, H, W)`` (or ``(1, C, H, W)``) array.

    Returns:
        The figure.
    """
    maps = np.asarray(maps)
    if maps.ndim == 4:
        if maps.shape[0] != 1:
            raise ValueError(f"give one image, (C, H, W) or (1, C, H, W); got {maps.shape}")
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(f"maps must have shape (C, H, W), got {maps.shape}")
    titles = [f"{title} {c}" for c in range(maps.shape[0])]
    return show_images(list(maps), titles=titles, ncols=ncols, cmap=cmap, size=size,
                       symmetric=symmetric)


def show_matrix(a, ax=None, fmt: str = "{:g}", cmap: str = "gray_r", title: str | None = None,
                highlight=None, fontsize: float = 9, vmin=None, vmax=None):
    """Draw a small 2-D array as a grid of shaded cells with its numbers written in.

    Args:
        a: ``(H, W)`` array (keep it small: up to about 16 x 16).
        ax: axes to draw into; a new figure if ``None``.
        fmt: format of each number.
        cmap: shading of the cells (the text switches between black and white
            to stay readable).
        title: axes title.
        highlight: ``(row, col, height, width)`` of a rectangle to outline, e.g.
            the window of a convolution.
        fontsize: size of the numbers.

    Returns:
        The axes.
    """
    a = np.asarray(a, dtype=float)
    if a.ndim != 2:
        raise ValueError(f"a must be 2-D, got shape {a.shape}")
    fig, ax = _axes(ax, (0.45 * a.shape[1] + 0.5, 0.45 * a.shape[0] + 0.5))
    lo = np.nanmin(a) if vmin is None else vmin
    hi = np.nanmax(a) if vmax is None else vmax
    if hi == lo:
        hi = lo + 1
    ax.imshow(a, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
    shade = (a - lo) / (hi - lo)
    dark_text = cmap.endswith("_r")
    for (i, j), v in np.ndenumerate(a):
        light_cell = shade[i, j] < 0.5 if dark_text else shade[i, j] >= 0.5
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize,
                color="black" if light_cell else "white")
    ax.set_xticks(np.arange(-0.5, a.shape[1], 1), minor=True)
    ax.set_yticks(np.arange(-0.5, a.shape[0], 1), minor=True)
    ax.grid(which="minor", color="0.6", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if highlight is not None:
        from matplotlib.patches import Rectangle

        r, c, h, w = highlight
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), w, h, fill=False, edgecolor=ACCENT,
                               linewidth=3))
    if title:
        ax.set_title(title)
    return ax


# --------------------------------------------------------------------------
# Padding, stride and window positions
# --------------------------------------------------------------------------


def draw_padded_grid(n: int, f: int, pad: int = 0, stride: int = 1, ax=None,
                     show_output: bool = True):
    """Draw an ``n x n`` input, its zero padding and where the ``f x f`` windows land.

    Input cells are shaded, padding cells are white with a dashed edge. The
    first window is outlined in orange and the last in blue; a dot marks the
    top-left corner of every window position. Cells that no window reaches
    (the remainder dropped by the floor in the output-size formula) are
    hatched. To the right, the ``out x out`` output grid is drawn.

    Args:
        n: input height and width.
        f: window (kernel) size.
        pad: zeros added on each side.
        stride: step between windows.
        ax: axes to draw into; a new figure if ``None``.
        show_output: also draw the output grid.

    Returns:
        The output size ``floor((n + 2*pad - f) / stride) + 1``, or ``None`` if the
        window does not fit (``f > n + 2*pad``; the grid is drawn with a message).
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    from cnnbook.layers import conv_output_size

    size = n + 2 * pad
    fig, ax = _axes(ax, (6, 3.5))
    cells = {True: [], False: []}  # inside the input / padding
    for i in range(size):
        for j in range(size):
            inside = pad <= i < pad + n and pad <= j < pad + n
            cells[inside].append(Rectangle((j, i), 1, 1))
    ax.add_collection(PatchCollection(cells[False], facecolor="white", edgecolor="0.45",
                                      linewidth=0.8, linestyle=(0, (2, 2))))
    ax.add_collection(PatchCollection(cells[True], facecolor="0.78", edgecolor="0.45",
                                      linewidth=0.8))
    ax.set_aspect("equal")
    ax.axis("off")
    if f > size:
        ax.set_xlim(-0.5, size + 0.5)
        ax.set_ylim(size + 0.5, -1.5)
        ax.set_title(f"f = {f} does not fit in n + 2p = {size}", color=DARK)
        return None
    out = conv_output_size(n, f, pad, stride)
    covered = (out - 1) * stride + f  # rows/cols reached by some window
    if covered < size:  # the remainder dropped by the floor: bottom rows, right columns
        for xy, w, h in (((covered, 0), size - covered, size), ((0, covered), covered,
                                                                size - covered)):
            ax.add_patch(Rectangle(xy, w, h, fill=False, hatch="///", edgecolor="0.35",
                                   linewidth=0))
    starts = np.arange(out) * stride
    for i in starts:
        ax.plot(starts + 0.5, np.full(out, i + 0.5), "o", color=DARK, markersize=4)
    last = starts[-1]
    ax.add_patch(Rectangle((last, last), f, f, fill=False, edgecolor=ACCENT2, linewidth=3,
                           linestyle="--"))
    ax.add_patch(Rectangle((0, 0), f, f, fill=False, edgecolor=ACCENT, linewidth=3))
    right = size
    if show_output:
        x0 = size + 1.5
        ax.add_collection(PatchCollection(
            [Rectangle((x0 + j, i), 1, 1) for i in range(out) for j in range(out)],
            facecolor="0.55", edgecolor="white", linewidth=1))
        ax.text(x0 + out / 2, -0.4, f"output {out}x{out}", ha="center", va="bottom",
                fontsize=10)
        right = x0 + out
    ax.text(size / 2, -0.4, f"padded input {size}x{size}", ha="center", va="bottom",
            fontsize=10)
    ax.set_xlim(-0.5, right + 0.5)
    ax.set_ylim(max(size, out if show_output else 0) + 0.5, -1.5)
    return out


# --------------------------------------------------------------------------
# Probabilities
# --------------------------------------------------------------------------


def plot_probabilities(probs, labels=None, ax=None, title: str | None = None,
                       highlight: int | None = None):
    """Bar chart of class probabilities, y axis fixed to [0, 1].

    Args:
        probs: ``(K,)`` probabilities.
        labels: ``K`` class names (default ``0 .. K-1``).
        ax: axes to draw into; a new figure if ``None``.
        title: axes title.
        highlight: index of a bar to draw in the accent colour (e.g. the true class).

    Returns:
        The axes.
    """
    probs = np.asarray(probs, dtype=float).ravel()
    fig, ax = _axes(ax, (5, 2.8))
    labels = [str(k) for k in range(len(probs))] if labels is None else [str(s) for s in labels]
    colors = [ACCENT if k == highlight else ACCENT2 for k in range(len(probs))]
    bars = ax.bar(labels, probs, color=colors, edgecolor=DARK)
    for bar, p in zip(bars, probs, strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, p + 0.02, f"{p:.2f}", ha="center",
                va="bottom", fontsize=8)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("probability")
    if title:
        ax.set_title(title)
    return ax
