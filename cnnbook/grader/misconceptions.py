# ruff: noqa: E501 - one mistake per entry, its edits and sentence on single lines
"""The course's known mistakes: what a student gets wrong, in teaching terms.

Course data, reviewed by course authors: each entry is one realistic mistake in one
answer cell of an assignment, with

* ``id``: a stable identifier (gradebooks and reports keep it; never reuse one);
* ``assignment`` and ``cell``: the answer cell (its nbgrader ``grade_id``) it changes;
* ``name``: a short technical name (what the test catalogue calls it);
* ``functions``: the graded functions whose results it changes (its own, and any
  graded function that calls it);
* ``says``: ONE sentence naming the misconception, without code and without expected
  numbers; it is shown to the student after ``Likely mistake:``;
* ``reread``: the book section that explains the right idea, as (chapter number,
  section title) -- the title of a ``##`` heading of that chapter's page;
* how to make it from the reference answer: text ``edits`` (old -> new, each ``old``
  found exactly once in the answer cell without its ``### BEGIN/END SOLUTION`` lines)
  or a whole replacement cell ``code``;
* ``diagnose``: false for entries that are not misconceptions (importing the
  reference), which the tests use but feedback never names;
* ``priority``: breaks ties when two mistakes behave identically on a test (lower
  first), after "fewest functions changed" (see :mod:`cnnbook.grader.diagnosis`).

Adding a mistake is adding one entry. ``tests/exercise_catalogue.py`` takes its
``MISTAKES`` from here; the judge (:mod:`cnnbook.grader.diagnosis`) names them in the
feedback; ``tools/build_solutions.py`` ships their results on the visible inputs (data,
never code) beside each released notebook. This module holds fragments of the
reference answers: it is instructor-side, never in the sandbox or a release.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from cnnbook.grading import CHAPTERS

SOLUTION_LINES = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.M)


@dataclass(frozen=True)
class Misconception:
    id: str
    assignment: str
    cell: str  # grade_id of the answer cell
    name: str
    functions: tuple[str, ...]
    says: str
    reread: tuple[str, str]  # (chapter number, section title)
    edits: tuple[tuple[str, str], ...] = ()
    code: str | None = None
    diagnose: bool = True
    priority: int = 0

    @property
    def section(self) -> str:
        """Where to reread, for the student: section, chapter title and page."""
        path, title = CHAPTERS[self.reread[0]]
        return f"section '{self.reread[1]}' of '{title}' ({path})"

    @property
    def line(self) -> str:
        """The feedback line naming this misconception."""
        return f"Likely mistake: {self.says} Reread {self.section}."

    def source(self, reference_cell: str) -> str:
        """The answer cell with this mistake, from the reference answer cell's source."""
        if self.code is not None:
            return textwrap.dedent(self.code).strip("\n") + "\n"
        source = SOLUTION_LINES.sub("", reference_cell)
        for old, new in self.edits:
            count = source.count(old)
            if count != 1:
                raise ValueError(
                    f"{self.id}: expected {old!r} exactly once in the answer, found {count}"
                )
            source = source.replace(old, new)
        return source


def _m(assignment, cell, name, *edits, code=None, **teaching) -> Misconception:
    return Misconception(assignment=assignment, cell=cell, name=name, edits=tuple(edits),
                         code=code, **teaching)


PS01 = "ps01_input_tensors"
PS02 = "ps02_convolution"
PS03 = "ps03_pooling"
PS04 = "ps04_activations_dense"
PS05 = "ps05_softmax_cross_entropy"
PS06 = "ps06_backprop"
PS07 = "ps07_training"
PS08 = "ps08_normalization"

MISCONCEPTIONS: list[Misconception] = [
    # ---------------------------------------------------------------- ps01
    _m(PS01, "image_to_tensor", "reshape instead of transpose to (C, H, W)",
       ("image.transpose(2, 0, 1)", "image.reshape(image.shape[2], image.shape[0], image.shape[1])"),
       id='ps01.image_to_tensor.reshape-instead-of-transpose-to-c-h-w',
       functions=('image_to_tensor',),
       says='A reshape only regroups the numbers in memory order; moving the channel axis to the front needs a transpose.',
       reread=('01', '(H, W, C) or (C, H, W)?')),
    _m(PS01, "image_to_tensor", "not scaled to [0, 1]",
       ("return image.transpose(2, 0, 1).astype(np.float64) / 255.0",
        "return image.transpose(2, 0, 1).astype(np.float64)"),
       id='ps01.image_to_tensor.not-scaled-to-0-1',
       functions=('image_to_tensor',),
       says='The pixel values are kept in 0 to 255 instead of being scaled to the range 0 to 1.',
       reread=('01', 'A grayscale image is a matrix')),
    _m(PS01, "image_to_tensor", "integer division by 255",
       ("return image.transpose(2, 0, 1).astype(np.float64) / 255.0",
        "return image.transpose(2, 0, 1) // 255"),
       id='ps01.image_to_tensor.integer-division-by-255',
       functions=('image_to_tensor',),
       says='Integer division by 255 turns every pixel into 0 or 1: the scaling must be done in floating point.',
       reread=('01', 'A grayscale image is a matrix')),
    _m(PS01, "image_to_tensor", "divided by 256",
       ("/ 255.0", "/ 256.0"),
       id='ps01.image_to_tensor.divided-by-256',
       functions=('image_to_tensor',),
       says='The pixels are divided by 256 instead of by the largest pixel value, 255, so white does not become 1.',
       reread=('01', 'A grayscale image is a matrix')),
    _m(PS01, "image_to_tensor", "grayscale images not given a channel axis",
       ("    if image.ndim == 2:\n        image = image[:, :, np.newaxis]\n", ""),
       id='ps01.image_to_tensor.grayscale-images-not-given-a-channel-axis',
       functions=('image_to_tensor',),
       says='A grayscale image still needs a channel axis (of length one) to become a (C, H, W) tensor.',
       reread=('01', 'Batches: (N, C, H, W)')),
    _m(PS01, "image_to_tensor", "transposed to (C, W, H)",
       ("image.transpose(2, 0, 1)", "image.transpose(2, 1, 0)"),
       id='ps01.image_to_tensor.transposed-to-c-w-h',
       functions=('image_to_tensor',),
       says='The transpose puts width before height: the axes must come out as channel, height, width.',
       reread=('01', '(H, W, C) or (C, H, W)?')),
    _m(PS01, "stack_batch", "concatenated along the channel axis",
       code="""
def stack_batch(tensors):
    return np.concatenate(tensors, axis=0)
""",
       id='ps01.stack_batch.concatenated-along-the-channel-axis',
       functions=('stack_batch',),
       says='The tensors are joined along an existing axis instead of stacked along a new batch axis in front.',
       reread=('01', 'Batches: (N, C, H, W)')),
    _m(PS01, "channel_mean_std", "sample standard deviation (ddof=1)",
       ("std[c] = x[:, c].std()", "std[c] = x[:, c].std(ddof=1)"),
       id='ps01.channel_mean_std.sample-standard-deviation-ddof-1',
       functions=('channel_mean_std',),
       says='The standard deviation is the sample estimate (dividing by one less than the count) instead of the plain one over all values.',
       reread=('01', 'Per-channel standardization')),
    _m(PS01, "channel_mean_std", "statistics over the wrong axes",
       code="""
def channel_mean_std(x):
    return x.mean(axis=(0, 1)).mean(axis=0)[: x.shape[1]], x.std(axis=(2, 3)).mean(axis=0)
""",
       id='ps01.channel_mean_std.statistics-over-the-wrong-axes',
       functions=('channel_mean_std',),
       says="The statistics are taken over the wrong axes: each channel's mean and spread pool every image and every pixel of that channel.",
       reread=('01', 'Per-channel standardization')),
    _m(PS01, "channel_mean_std", "statistics of the first image only",
       ("mean[c] = x[:, c].mean()", "mean[c] = x[0, c].mean()"),
       id='ps01.channel_mean_std.statistics-of-the-first-image-only',
       functions=('channel_mean_std',),
       says='The statistics come from the first image only instead of from every image of the batch.',
       reread=('01', 'Per-channel standardization')),
    _m(PS01, "normalize_channels", "mean and std broadcast along the width axis",
       code="""
def normalize_channels(x, mean, std):
    return (x - mean) / std
""",
       id='ps01.normalize_channels.mean-and-std-broadcast-along-the-width-axis',
       functions=('normalize_channels',),
       says='The per-channel mean and spread are lined up with the last (width) axis instead of the channel axis when broadcasting.',
       reread=('01', 'Per-channel standardization')),
    _m(PS01, "normalize_channels", "multiplied by std instead of divided",
       ("(x[:, c] - mean[c]) / std[c]", "(x[:, c] - mean[c]) * std[c]"),
       id='ps01.normalize_channels.multiplied-by-std-instead-of-divided',
       functions=('normalize_channels',),
       says="Normalizing multiplies by the channel's spread instead of dividing by it.",
       reread=('01', 'Per-channel standardization')),
    _m(PS01, "normalize_channels", "normalized in place (the caller's x is modified)",
       code="""
def normalize_channels(x, mean, std):
    for c in range(x.shape[1]):
        x[:, c] -= mean[c]
        x[:, c] /= std[c]
    return x
""",
       id='ps01.normalize_channels.normalized-in-place',
       functions=('normalize_channels',),
       says="The images are standardized in place: the caller's batch is overwritten instead of a new array being returned.",
       reread=('01', 'Per-channel standardization')),
    _m(PS01, "to_grayscale", "channel axis dropped (N, H, W)",
       code="""
def to_grayscale(x, weights=(0.299, 0.587, 0.114)):
    return np.tensordot(np.asarray(weights), x, axes=([0], [1]))
""",
       id='ps01.to_grayscale.channel-axis-dropped-n-h-w',
       functions=('to_grayscale',),
       says='The grayscale batch loses its channel axis: it must keep one channel of length one.',
       reread=('01', 'A colour image has three channels')),
    _m(PS01, "to_grayscale", "weights applied in BGR order",
       ("out[:, 0] += weights[c] * x[:, c]", "out[:, 0] += weights[C - 1 - c] * x[:, c]"),
       id='ps01.to_grayscale.weights-applied-in-bgr-order',
       functions=('to_grayscale',),
       says='The colour weights are applied in reverse channel order (blue, green, red) instead of red, green, blue.',
       reread=('01', 'A colour image has three channels')),
    _m(PS01, "to_grayscale", "plain average of the channels, weights ignored",
       ("out[:, 0] += weights[c] * x[:, c]", "out[:, 0] += x[:, c] / C"),
       id='ps01.to_grayscale.plain-average-of-the-channels-weights-ignored',
       functions=('to_grayscale',),
       says='The channels are averaged equally instead of weighted by how bright each colour looks.',
       reread=('01', 'A grayscale image is a matrix')),
    _m(PS01, "image_to_tensor", "the reference imported instead of written",
       code="""
from cnnbook.tensors import image_to_tensor
""",
       id='ps01.image_to_tensor.the-reference-imported-instead-of-written',
       functions=('image_to_tensor',),
       says="The course's reference implementation is imported instead of written.",
       reread=('01', 'Graded assignment'),
       diagnose=False),
    # ---------------------------------------------------------------- ps02
    _m(PS02, "conv_output_size", "output size with the ceiling instead of the floor",
       ("return (n + 2 * pad - f) // stride + 1", "return -(-(n + 2 * pad - f) // stride) + 1"),
       id='ps02.conv_output_size.output-size-with-the-ceiling-instead-of-the-floo',
       functions=('conv_output_size', 'conv2d_forward'),
       says='The output size rounds up, keeping a window that sticks out past the edge, instead of rounding down.',
       reread=('03', 'The output size')),
    _m(PS02, "conv_output_size", "output size returned as a float (true division)",
       ("return (n + 2 * pad - f) // stride + 1", "return (n + 2 * pad - f) / stride + 1"),
       id='ps02.conv_output_size.output-size-returned-as-a-float-true-division',
       functions=('conv_output_size', 'conv2d_forward'),
       says='The output size comes from true division and is a float; a size is a whole number, rounded down.',
       reread=('03', 'The output size')),
    _m(PS02, "conv_output_size", "output size as int(...) of true division, then rounded",
       ("return (n + 2 * pad - f) // stride + 1", "return round((n + 2 * pad - f) / stride + 1)"),
       id='ps02.conv_output_size.output-size-as-int-of-true-division-then-rounded',
       functions=('conv_output_size', 'conv2d_forward'),
       says='The output size is rounded to the nearest whole number instead of rounded down.',
       reread=('03', 'The output size')),
    _m(PS02, "conv_output_size", "padding counted on one side only",
       ("return (n + 2 * pad - f) // stride + 1", "return (n + pad - f) // stride + 1"),
       id='ps02.conv_output_size.padding-counted-on-one-side-only',
       functions=('conv_output_size', 'conv2d_forward'),
       says='The padding is counted on one side of the image only; it is added on both sides.',
       reread=('03', 'The output size')),
    _m(PS02, "conv_output_size", "forgot the + 1",
       ("return (n + 2 * pad - f) // stride + 1", "return (n + 2 * pad - f) // stride"),
       id='ps02.conv_output_size.forgot-the-1',
       functions=('conv_output_size', 'conv2d_forward'),
       says='The output size forgets to count the window at the starting position.',
       reread=('03', 'The output size')),
    _m(PS02, "zero_pad", "padding the batch and channel axes too",
       code="""
def zero_pad(x, pad):
    return np.pad(x, pad, mode="constant")
""",
       id='ps02.zero_pad.padding-the-batch-and-channel-axes-too',
       functions=('zero_pad', 'conv2d_forward'),
       says='Zero padding is added to the batch and channel axes too, instead of only around the height and width.',
       reread=('03', 'Valid, same and full padding')),
    _m(PS02, "zero_pad", "padding only the bottom and right",
       ("out[:, :, pad:pad + H, pad:pad + W] = x", "out[:, :, :H, :W] = x"),
       id='ps02.zero_pad.padding-only-the-bottom-and-right',
       functions=('zero_pad', 'conv2d_forward'),
       says='The padding goes only at the bottom and right instead of equally on all four sides.',
       reread=('03', 'Valid, same and full padding')),
    _m(PS02, "conv_single_step", "missing bias",
       ("return float(total + b)", "return float(total)"),
       id='ps02.conv_single_step.missing-bias',
       functions=('conv_single_step', 'conv2d_forward'),
       says='The bias is left out of the value at one output position.',
       reread=('02', 'The sliding dot product, by hand')),
    _m(PS02, "conv_single_step", "bias added to every product",
       code="""
def conv_single_step(x_slice, w, b):
    return float(np.sum(x_slice * w + b))
""",
       id='ps02.conv_single_step.bias-added-to-every-product',
       functions=('conv_single_step', 'conv2d_forward'),
       says='The bias is added to every product of the window instead of once to their sum.',
       reread=('02', 'The sliding dot product, by hand')),
    _m(PS02, "conv_single_step", "returns an array instead of a float",
       ("return float(total + b)", "return np.array([total + b])"),
       id='ps02.conv_single_step.returns-an-array-instead-of-a-float',
       functions=('conv_single_step', 'conv2d_forward'),
       says='The value at one output position is returned as an array instead of a single number.',
       reread=('02', 'The sliding dot product, by hand')),
    _m(PS02, "conv2d_forward", "flipped kernel (true convolution)",
       ("conv_single_step(window, w[f], b[f])", "conv_single_step(window, w[f, :, ::-1, ::-1], b[f])"),
       id='ps02.conv2d_forward.flipped-kernel-true-convolution',
       functions=('conv2d_forward',),
       says='The filter is flipped before sliding (a true convolution); CNN layers compute a cross-correlation, without the flip.',
       reread=('02', '"Convolution" in CNNs is cross-correlation')),
    _m(PS02, "conv2d_forward", "ignored stride (windows start at i, j)",
       ("top, left = i * stride, j * stride", "top, left = i, j"),
       id='ps02.conv2d_forward.ignored-stride-windows-start-at-i-j',
       functions=('conv2d_forward',),
       says='The window moves by one position instead of by the stride.',
       reread=('03', 'Stride')),
    _m(PS02, "conv2d_forward", "missing bias",
       ("conv_single_step(window, w[f], b[f])", "conv_single_step(window, w[f], 0.0)"),
       id='ps02.conv2d_forward.missing-bias',
       functions=('conv2d_forward',),
       says="The filters' biases are left out of the output.",
       reread=('02', 'Several filters, bias and parameter count')),
    _m(PS02, "conv2d_forward", "swapped H and W",
       ("N, C, H, W = x.shape", "N, C, W, H = x.shape"),
       id='ps02.conv2d_forward.swapped-h-and-w',
       functions=('conv2d_forward',),
       says="Height and width are swapped when reading the input's shape.",
       reread=('01', 'Batches: (N, C, H, W)')),
    _m(PS02, "conv2d_forward", "output size computed without the padding",
       ("Ho = conv_output_size(H, HH, pad, stride)\n    Wo = conv_output_size(W, WW, pad, stride)",
        "Ho = conv_output_size(H, HH, 0, stride)\n    Wo = conv_output_size(W, WW, 0, stride)"),
       id='ps02.conv2d_forward.output-size-computed-without-the-padding',
       functions=('conv2d_forward',),
       says='The output size ignores the padding, so the padded border produces no output positions.',
       reread=('03', 'The output size')),
    _m(PS02, "conv2d_forward", "one bias for all filters",
       ("conv_single_step(window, w[f], b[f])", "conv_single_step(window, w[f], b[0])"),
       id='ps02.conv2d_forward.one-bias-for-all-filters',
       functions=('conv2d_forward',),
       says="Every filter uses the first filter's bias instead of its own.",
       reread=('02', 'Several filters, bias and parameter count')),
    _m(PS02, "conv2d_forward", "height stride used for the width offset only",
       ("top, left = i * stride, j * stride", "top, left = i, j * stride"),
       id='ps02.conv2d_forward.height-stride-used-for-the-width-offset-only',
       functions=('conv2d_forward',),
       says='The window moves by the stride along the width but only one row at a time along the height.',
       reread=('03', 'Stride')),
    _m(PS02, "conv2d_forward", "the reference imported instead of written",
       code="""
from cnnbook.layers import conv2d_forward
""",
       id='ps02.conv2d_forward.the-reference-imported-instead-of-written',
       functions=('conv2d_forward',),
       says="The course's reference implementation is imported instead of written.",
       reread=('02', 'Graded assignment'),
       diagnose=False),
    # ---------------------------------------------------------------- ps03
    _m(PS03, "maxpool2d_forward", "window size taken as the stride",
       ("np.max(x[n, c, top:top + size, left:left + size])",
        "np.max(x[n, c, top:top + stride, left:left + stride])"),
       id='ps03.maxpool2d_forward.window-size-taken-as-the-stride',
       functions=('maxpool2d_forward',),
       says="The window's size is taken to be the stride: each window is as large as the step between windows.",
       reread=('04', 'Output size and parameters')),
    _m(PS03, "maxpool2d_forward", "ignored stride (windows start at i, j)",
       ("top, left = i * stride, j * stride", "top, left = i, j"),
       id='ps03.maxpool2d_forward.ignored-stride-windows-start-at-i-j',
       functions=('maxpool2d_forward',),
       says='The pooling window moves by one position instead of by the stride.',
       reread=('04', 'Output size and parameters')),
    _m(PS03, "maxpool2d_forward", "output size H // size (assumes stride == size)",
       ("Ho = (H - size) // stride + 1\n    Wo = (W - size) // stride + 1",
        "Ho = H // size\n    Wo = W // size"),
       id='ps03.maxpool2d_forward.output-size-h-size-assumes-stride-size',
       functions=('maxpool2d_forward',),
       says='The output size assumes that the stride equals the window size.',
       reread=('04', 'Output size and parameters')),
    _m(PS03, "maxpool2d_forward", "maximum taken over all channels at once",
       ("np.max(x[n, c, top:top + size, left:left + size])",
        "np.max(x[n, :, top:top + size, left:left + size])"),
       id='ps03.maxpool2d_forward.maximum-taken-over-all-channels-at-once',
       functions=('maxpool2d_forward',),
       says='The maximum is taken across all channels at once instead of in each channel on its own.',
       reread=('04', 'Max and average pooling, by hand')),
    _m(PS03, "maxpool2d_forward", "output size with the ceiling (partial windows kept)",
       ("Ho = (H - size) // stride + 1\n    Wo = (W - size) // stride + 1",
        "Ho = -(-(H - size) // stride) + 1\n    Wo = -(-(W - size) // stride) + 1"),
       id='ps03.maxpool2d_forward.output-size-with-the-ceiling-partial-windows-kep',
       functions=('maxpool2d_forward',),
       says='Partial windows at the edge are kept instead of dropped: the output size rounds up.',
       reread=('04', 'Output size and parameters')),
    _m(PS03, "avgpool2d_forward", "average divided by size instead of size**2",
       ("return out / (size * size)", "return out / size"),
       id='ps03.avgpool2d_forward.average-divided-by-size-instead-of-size-2',
       functions=('avgpool2d_forward',),
       says="The average divides by the window's side instead of by its number of entries (its area).",
       reread=('04', 'Max and average pooling, by hand')),
    _m(PS03, "avgpool2d_forward", "sum instead of average",
       ("return out / (size * size)", "return out"),
       id='ps03.avgpool2d_forward.sum-instead-of-average',
       functions=('avgpool2d_forward',),
       says="The window's entries are summed but not averaged.",
       reread=('04', 'Max and average pooling, by hand')),
    _m(PS03, "avgpool2d_forward", "swapped H and W",
       ("N, C, H, W = x.shape", "N, C, W, H = x.shape"),
       id='ps03.avgpool2d_forward.swapped-h-and-w',
       functions=('avgpool2d_forward',),
       says="Height and width are swapped when reading the input's shape.",
       reread=('01', 'Batches: (N, C, H, W)')),
    _m(PS03, "avgpool2d_forward", "divided by the number of windows instead of the window area",
       ("return out / (size * size)", "return out / (Ho * Wo)"),
       id='ps03.avgpool2d_forward.divided-by-the-number-of-windows-instead-of-the',
       functions=('avgpool2d_forward',),
       says="The window's sum is divided by the number of windows instead of by the number of entries in one window.",
       reread=('04', 'Max and average pooling, by hand')),
    # ---------------------------------------------------------------- ps04
    _m(PS04, "relu_forward", "modifies the input in place",
       ("out = x.copy()\n    out[out < 0] = 0", "out = x\n    out[out < 0] = 0"),
       id='ps04.relu_forward.modifies-the-input-in-place',
       functions=('relu_forward',),
       says='The layer changes its input array in place; it must return a new array and leave its input as it was.',
       reread=('05', 'ReLU and its derivative')),
    _m(PS04, "relu_forward", "clips to [0, 1] instead of [0, inf)",
       code="""
def relu_forward(x):
    return np.clip(x, 0, 1)
""",
       id='ps04.relu_forward.clips-to-0-1-instead-of-0-inf',
       functions=('relu_forward',),
       says='ReLU caps large values at 1; it only sets the negative values to zero.',
       reread=('05', 'ReLU and its derivative')),
    _m(PS04, "relu_forward", "returns the derivative mask instead of the values",
       code="""
def relu_forward(x):
    return (x > 0).astype(float)
""",
       id='ps04.relu_forward.returns-the-derivative-mask-instead-of-the-value',
       functions=('relu_forward',),
       says="The forward pass returns ReLU's derivative (which entries are positive) instead of its values.",
       reread=('05', 'ReLU and its derivative')),
    _m(PS04, "affine_forward", "missing bias", ("return X @ w + b", "return X @ w"),
       id='ps04.affine_forward.missing-bias',
       functions=('affine_forward',),
       says='The bias is left out of the fully connected layer.',
       reread=('05', 'The dense layer is a matrix product')),
    _m(PS04, "affine_forward", "flattened channels-last (NHWC order)",
       ("X = x.reshape(N, -1)", "X = np.moveaxis(x, 1, -1).reshape(N, -1)"),
       id='ps04.affine_forward.flattened-channels-last-nhwc-order',
       functions=('affine_forward',),
       says='Each image is flattened in channels-last order instead of the (C, H, W) order the weights expect.',
       reread=('05', 'Flatten')),
    _m(PS04, "affine_forward", "no flattening", ("X = x.reshape(N, -1)", "X = x"),
       id='ps04.affine_forward.no-flattening',
       functions=('affine_forward',),
       says='The images are not flattened into one row of features per sample before the matrix product.',
       reread=('05', 'Flatten')),
    _m(PS04, "affine_forward", "flattened with the batch axis last",
       ("X = x.reshape(N, -1)", "X = x.reshape(-1, N).T"),
       id='ps04.affine_forward.flattened-with-the-batch-axis-last',
       functions=('affine_forward',),
       says='The flattening mixes the numbers of different samples: each row must hold one whole image.',
       reread=('05', 'Flatten')),
    # ---------------------------------------------------------------- ps05
    _m(PS05, "softmax", "softmax without the max shift",
       ("shifted = z - np.max(z, axis=1, keepdims=True)", "shifted = z"),
       id='ps05.softmax.softmax-without-the-max-shift',
       functions=('softmax',),
       says='The exponentials are taken without first subtracting the largest score, so large scores overflow.',
       reread=('06', 'Numerical stability')),
    _m(PS05, "softmax", "shifted in place (the caller's z is modified)",
       code="""
def softmax(z):
    z -= np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=1, keepdims=True)
""",
       id='ps05.softmax.shifted-in-place',
       functions=('softmax',),
       says="The stabilizing shift by the row maximum is subtracted from the caller's scores in place, so the input is changed.",
       reread=('06', 'Numerical stability')),
    _m(PS05, "softmax", "softmax over the wrong axis (columns)",
       code="""
def softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)
""",
       id='ps05.softmax.softmax-over-the-wrong-axis-columns',
       functions=('softmax',),
       says='Softmax normalizes down the columns (across samples) instead of along each row (across classes).',
       reread=('06', 'Softmax')),
    _m(PS05, "softmax", "shift by the global maximum instead of each row's",
       ("shifted = z - np.max(z, axis=1, keepdims=True)", "shifted = z - np.max(z)"),
       id='ps05.softmax.shift-by-the-global-maximum-instead-of-each-row',
       functions=('softmax',),
       says="The scores are shifted by the largest score of the whole batch instead of by each row's own largest.",
       reread=('06', 'Numerical stability')),
    _m(PS05, "softmax", "normalized by the sum of the whole batch",
       ("return e / np.sum(e, axis=1, keepdims=True)", "return e / np.sum(e)"),
       id='ps05.softmax.normalized-by-the-sum-of-the-whole-batch',
       functions=('softmax',),
       says="The probabilities are normalized by the sum over the whole batch instead of by each sample's own sum.",
       reread=('06', 'Softmax')),
    _m(PS05, "softmax", "max without keepdims (broadcasts against the wrong axis)",
       ("shifted = z - np.max(z, axis=1, keepdims=True)", "shifted = z - np.max(z, axis=1)"),
       id='ps05.softmax.max-without-keepdims-broadcasts-against-the-wron',
       functions=('softmax',),
       says='The row maxima lose their axis and broadcast against the wrong axis when they are subtracted.',
       reread=('06', 'Numerical stability')),
    _m(PS05, "softmax_cross_entropy", "logits shifted in place (the caller's logits are modified)",
       ("shifted = logits - np.max(logits, axis=1, keepdims=True)",
        "logits -= np.max(logits, axis=1, keepdims=True)\n    shifted = logits"),
       id='ps05.softmax_cross_entropy.logits-shifted-in-place',
       functions=('softmax_cross_entropy',),
       says="The stabilizing shift is subtracted from the caller's logits in place, so the input is changed.",
       reread=('06', 'Numerical stability')),
    _m(PS05, "softmax_cross_entropy", "loss summed over the batch instead of averaged",
       ("loss = -np.mean(log_probs[rows, y])", "loss = -np.sum(log_probs[rows, y])"),
       id='ps05.softmax_cross_entropy.loss-summed-over-the-batch-instead-of-averaged',
       functions=('softmax_cross_entropy',),
       says='The loss is summed over the batch instead of averaged.',
       reread=('06', 'Cross-entropy')),
    _m(PS05, "softmax_cross_entropy", "gradient not divided by N",
       ("    dlogits /= N\n", ""),
       id='ps05.softmax_cross_entropy.gradient-not-divided-by-n',
       functions=('softmax_cross_entropy',),
       says='The gradient is not divided by the batch size, although the loss is averaged over the batch.',
       reread=('06', 'The gradient: $\\hat y - y$')),
    _m(PS05, "softmax_cross_entropy", "gradient with the wrong sign (onehot - probs)",
       ("dlogits /= N", "dlogits /= -N"),
       id='ps05.softmax_cross_entropy.gradient-with-the-wrong-sign-onehot-probs',
       functions=('softmax_cross_entropy',),
       says='The gradient has the wrong sign: the labels minus the probabilities instead of the probabilities minus the labels.',
       reread=('06', 'The gradient: $\\hat y - y$')),
    _m(PS05, "softmax_cross_entropy", "loss as -log(softmax) (log of 0 for large scores)",
       code="""
def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    probs = softmax(logits)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dlogits = probs.copy()
    dlogits[np.arange(N), y] -= 1
    return float(loss), dlogits / N
""",
       id='ps05.softmax_cross_entropy.loss-as-log-softmax-log-of-0-for-large-scores',
       functions=('softmax_cross_entropy',),
       says='The loss takes the logarithm of the probabilities, which underflow to zero for large scores; compute it from the scores with log-sum-exp.',
       reread=('06', 'Numerical stability')),
    _m(PS05, "softmax_cross_entropy", "labels indexed as probs[:, y]",
       ("loss = -np.mean(log_probs[rows, y])", "loss = -np.mean(log_probs[:, y])"),
       id='ps05.softmax_cross_entropy.labels-indexed-as-probs-y',
       functions=('softmax_cross_entropy',),
       says="Each sample's loss uses the probabilities of every sample's label instead of only its own label.",
       reread=('06', 'Cross-entropy')),
    # ---------------------------------------------------------------- ps06
    _m(PS06, "relu_backward", "derivative 1 at x == 0 (x >= 0)",
       ("return dout * (x > 0)", "return dout * (x >= 0)"),
       id='ps06.relu_backward.derivative-1-at-x-0-x-0',
       functions=('relu_backward',),
       says="ReLU's derivative is taken as one at zero; the course's convention is zero there.",
       reread=('07', 'Dense and ReLU backward')),
    _m(PS06, "relu_backward", "returns the mask without multiplying by dout",
       ("return dout * (x > 0)", "return (x > 0).astype(float)"),
       id='ps06.relu_backward.returns-the-mask-without-multiplying-by-dout',
       functions=('relu_backward',),
       says="The backward pass returns ReLU's derivative without multiplying it by the upstream gradient (the chain rule).",
       reread=('07', 'Dense and ReLU backward')),
    _m(PS06, "relu_backward", "mask taken from dout instead of x",
       ("return dout * (x > 0)", "return dout * (dout > 0)"),
       id='ps06.relu_backward.mask-taken-from-dout-instead-of-x',
       functions=('relu_backward',),
       says="The gradient is let through where the upstream gradient is positive instead of where the layer's input was positive.",
       reread=('07', 'Dense and ReLU backward')),
    _m(PS06, "relu_backward", "dout zeroed in place and returned",
       code="""
def relu_backward(dout, x):
    dout[x <= 0] = 0
    return dout
""",
       id='ps06.relu_backward.dout-zeroed-in-place',
       functions=('relu_backward',),
       says="The upstream gradient is zeroed in place and returned, changing the caller's array instead of computing a new one.",
       reread=('07', 'Dense and ReLU backward')),
    _m(PS06, "affine_backward", "dx not reshaped to the input's shape",
       ("dx = (dout @ w.T).reshape(x.shape)", "dx = dout @ w.T"),
       id='ps06.affine_backward.dx-not-reshaped-to-the-input-s-shape',
       functions=('affine_backward',),
       says="The input gradient is not reshaped back to the shape of the layer's input.",
       reread=('07', 'Dense and ReLU backward')),
    _m(PS06, "affine_backward", "db averaged over the batch",
       ("db = dout.sum(axis=0)", "db = dout.mean(axis=0)"),
       id='ps06.affine_backward.db-averaged-over-the-batch',
       functions=('affine_backward',),
       says='The bias gradient is averaged over the batch instead of summed.',
       reread=('07', 'Dense and ReLU backward')),
    _m(PS06, "affine_backward", "dw divided by N a second time",
       ("dw = X.T @ dout", "dw = X.T @ dout / N"),
       id='ps06.affine_backward.dw-divided-by-n-a-second-time',
       functions=('affine_backward',),
       says='The weight gradient is divided by the batch size again, although the upstream gradient already carries the average.',
       reread=('07', 'Dense and ReLU backward')),
    _m(PS06, "affine_backward", "dw transposed (dout.T @ X)",
       ("dw = X.T @ dout", "dw = dout.T @ X"),
       id='ps06.affine_backward.dw-transposed-dout-t-x',
       functions=('affine_backward',),
       says="The weight gradient is transposed: a parameter's gradient has the parameter's own shape.",
       reread=('07', 'Dense and ReLU backward')),
    _m(PS06, "conv2d_backward", "db averaged instead of summed",
       ("db = dout.sum(axis=(0, 2, 3))", "db = dout.mean(axis=(0, 2, 3))"),
       id='ps06.conv2d_backward.db-averaged-instead-of-summed',
       functions=('conv2d_backward',),
       says='The bias gradient is averaged over samples and positions instead of summed.',
       reread=('07', 'Convolution backward is a convolution')),
    _m(PS06, "conv2d_backward", "db from the first sample only",
       ("db = dout.sum(axis=(0, 2, 3))", "db = dout[0].sum(axis=(1, 2))"),
       id='ps06.conv2d_backward.db-from-the-first-sample-only',
       functions=('conv2d_backward',),
       says='The bias gradient uses only the first sample instead of the whole batch.',
       reread=('07', 'Convolution backward is a convolution')),
    _m(PS06, "conv2d_backward", "dw with = instead of +=",
       ("dw[f] += g * xp", "dw[f] = g * xp"),
       id='ps06.conv2d_backward.dw-with-instead-of',
       functions=('conv2d_backward',),
       says='The filter gradient is overwritten at each position instead of accumulated over all positions and samples.',
       reread=('07', 'Convolution backward is a convolution')),
    _m(PS06, "conv2d_backward", "dw from the last sample only",
       ("for n in range(N):\n", "for n in range(N):\n        dw = np.zeros(w.shape)\n"),
       id='ps06.conv2d_backward.dw-from-the-last-sample-only',
       functions=('conv2d_backward',),
       says="The filter gradient is reset for each sample, so only the last sample's contribution remains.",
       reread=('07', 'Convolution backward is a convolution')),
    _m(PS06, "conv2d_backward", "dx with = instead of +=",
       ("dxp[n, :, top:top + HH, left:left + WW] += g * w[f]",
        "dxp[n, :, top:top + HH, left:left + WW] = g * w[f]"),
       id='ps06.conv2d_backward.dx-with-instead-of',
       functions=('conv2d_backward',),
       says='The input gradient is overwritten where windows overlap instead of accumulated.',
       reread=('07', 'Convolution backward is a convolution')),
    _m(PS06, "conv2d_backward", "padding not cut off dx",
       ("dx = dxp[:, :, pad:pad + H, pad:pad + W]", "dx = dxp"),
       id='ps06.conv2d_backward.padding-not-cut-off-dx',
       functions=('conv2d_backward',),
       says="The input gradient keeps the padded border instead of being cut back to the input's size.",
       reread=('07', 'Convolution backward is a convolution')),
    _m(PS06, "conv2d_backward", "padding cut off one side only",
       ("dx = dxp[:, :, pad:pad + H, pad:pad + W]", "dx = dxp[:, :, :H, :W]"),
       id='ps06.conv2d_backward.padding-cut-off-one-side-only',
       functions=('conv2d_backward',),
       says='The padded border is cut from one side only (bottom and right) instead of from all four sides.',
       reread=('07', 'Convolution backward is a convolution')),
    _m(PS06, "conv2d_backward", "ignored stride in the backward pass",
       ("top, left = i * stride, j * stride", "top, left = i, j"),
       id='ps06.conv2d_backward.ignored-stride-in-the-backward-pass',
       functions=('conv2d_backward',),
       says='The backward pass moves the window by one position instead of by the stride.',
       reread=('07', 'Convolution backward is a convolution')),
    _m(PS06, "conv2d_backward", "dx with the flipped kernel",
       ("+= g * w[f]", "+= g * w[f, :, ::-1, ::-1]"),
       id='ps06.conv2d_backward.dx-with-the-flipped-kernel',
       functions=('conv2d_backward',),
       says="The input gradient spreads each window's gradient with the flipped filter; window by window it uses the filter as it is.",
       reread=('07', 'Convolution backward is a convolution')),
    _m(PS06, "conv2d_backward", "dw from the unpadded input",
       ("dw[f] += g * xp[n", "dw[f] += g * x[n"),
       id='ps06.conv2d_backward.dw-from-the-unpadded-input',
       functions=('conv2d_backward',),
       says='The filter gradient is computed from the unpadded input instead of the padded input the forward pass used.',
       reread=('07', 'Convolution backward is a convolution')),
    _m(PS06, "maxpool2d_backward", "= instead of += (overlapping windows)",
       ("dx[n, c, top + di, left + dj] += dout[n, c, i, j]",
        "dx[n, c, top + di, left + dj] = dout[n, c, i, j]"),
       id='ps06.maxpool2d_backward.instead-of-overlapping-windows',
       functions=('maxpool2d_backward',),
       says='Where pooling windows overlap, gradients routed to the same input overwrite each other instead of adding up.',
       reread=('07', 'Max-pool backward: routing to the maximum')),
    _m(PS06, "maxpool2d_backward", "gradient to every maximum of a window (ties)",
       code="""
def maxpool2d_backward(dout, x, size=2, stride=2):
    N, C, Ho, Wo = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    top, left = i * stride, j * stride
                    window = x[n, c, top:top + size, left:left + size]
                    mask = window == np.max(window)
                    dx[n, c, top:top + size, left:left + size] += mask * dout[n, c, i, j]
    return dx
""",
       id='ps06.maxpool2d_backward.gradient-to-every-maximum-of-a-window-ties',
       functions=('maxpool2d_backward',),
       says='Max-pool backward sends the gradient to every maximum of a window instead of to the one position the forward pass picked.',
       reread=('07', 'Max-pool backward: routing to the maximum')),
    _m(PS06, "maxpool2d_backward", "routes 1 instead of dout",
       ("+= dout[n, c, i, j]", "+= 1"),
       id='ps06.maxpool2d_backward.routes-1-instead-of-dout',
       functions=('maxpool2d_backward',),
       says='Max-pool backward routes a gradient of one to the maximum instead of the upstream gradient.',
       reread=('07', 'Max-pool backward: routing to the maximum')),
    _m(PS06, "maxpool2d_backward", "argmax position decoded with the image width",
       ("di, dj = divmod(int(np.argmax(window)), size)",
        "di, dj = divmod(int(np.argmax(window)), x.shape[3])"),
       id='ps06.maxpool2d_backward.argmax-position-decoded-with-the-image-width',
       functions=('maxpool2d_backward',),
       says="The position of the maximum inside the window is turned into a row and column with the image's width instead of the window's.",
       reread=('07', 'Max-pool backward: routing to the maximum')),
    _m(PS06, "avgpool2d_backward", "not dividing by the window area",
       ("share = dout[n, c, i, j] / (size * size)", "share = dout[n, c, i, j]"),
       id='ps06.avgpool2d_backward.not-dividing-by-the-window-area',
       functions=('avgpool2d_backward',),
       says='Average-pool backward gives every input of the window the whole upstream gradient instead of an equal share of it.',
       reread=('07', 'Average-pool backward: sharing equally')),
    _m(PS06, "avgpool2d_backward", "dividing by size instead of size**2",
       ("share = dout[n, c, i, j] / (size * size)", "share = dout[n, c, i, j] / size"),
       id='ps06.avgpool2d_backward.dividing-by-size-instead-of-size-2',
       functions=('avgpool2d_backward',),
       says="Average-pool backward divides the upstream gradient by the window's side instead of by its number of entries.",
       reread=('07', 'Average-pool backward: sharing equally')),
    _m(PS06, "avgpool2d_backward", "= instead of += (overlapping windows)",
       ("left:left + size] += share", "left:left + size] = share"),
       id='ps06.avgpool2d_backward.instead-of-overlapping-windows',
       functions=('avgpool2d_backward',),
       says='Where average-pooling windows overlap, the shares overwrite each other instead of adding up.',
       reread=('07', 'Average-pool backward: sharing equally')),
    _m(PS06, "conv2d_backward", "the reference imported instead of written",
       code="""
from cnnbook import layers

conv2d_backward = layers.conv2d_backward
""",
       id='ps06.conv2d_backward.the-reference-imported-instead-of-written',
       functions=('conv2d_backward',),
       says="The course's reference implementation is imported instead of written.",
       reread=('07', 'Graded assignment'),
       diagnose=False),
    # ---------------------------------------------------------------- ps07
    _m(PS07, "model_backward", "ReLU skipped in the backward pass",
       ("da1 = relu_backward(dr1, a1)", "da1 = dr1"),
       id='ps07.model_backward.relu-skipped-in-the-backward-pass',
       functions=('model_backward', 'train'),
       says='The backward pass skips the ReLU: the gradient must be stopped where the forward ReLU cut values to zero.',
       reread=('07', 'Dense and ReLU backward')),
    _m(PS07, "model_forward", "ReLU left out of the forward pass",
       ("r1 = relu_forward(a1)", "r1 = a1"),
       id='ps07.model_forward.relu-left-out-of-the-forward-pass',
       functions=('model_forward', 'train'),
       says='The network leaves out the ReLU after the convolution.',
       reread=('08', 'The network')),
    _m(PS07, "model_forward", "average pooling instead of max pooling",
       ("p1 = maxpool2d_forward(r1, size=2, stride=2)",
        "from cnnbook.layers import avgpool2d_forward\n    p1 = avgpool2d_forward(r1, size=2, stride=2)"),
       id='ps07.model_forward.average-pooling-instead-of-max-pooling',
       functions=('model_forward', 'train'),
       says='The network uses average pooling where its design has max pooling.',
       reread=('08', 'The network')),
    _m(PS07, "sgd_step", "gradient ascent (+= instead of -=)",
       ("params[key] -= lr * grads[key]", "params[key] += lr * grads[key]"),
       id='ps07.sgd_step.gradient-ascent-instead-of',
       functions=('sgd_step', 'train'),
       says='The parameters move along the gradient instead of against it (gradient ascent).',
       reread=('07', 'Gradient descent and the learning rate')),
    _m(PS07, "sgd_step", "new arrays bound to a local name, params never updated",
       code="""
def sgd_step(params, grads, lr):
    params = {key: params[key] - lr * grads[key] for key in params}
""",
       id='ps07.sgd_step.new-arrays-bound-to-a-local-name-params-never-up',
       functions=('sgd_step', 'train'),
       says="The update builds new arrays under a local name, so the caller's parameters never change; update them in place.",
       reread=('07', 'Gradient descent and the learning rate')),
    _m(PS07, "train", "the same first mini-batch at every step",
       ("batch = order[start:start + batch_size]", "batch = np.arange(batch_size)"),
       id='ps07.train.the-same-first-mini-batch-at-every-step',
       functions=('train',),
       says='Every step trains on the same first mini-batch instead of moving through the shuffled training set.',
       reread=('08', 'Iterations and epochs')),
    _m(PS07, "train", "learning rate far too large",
       ("lr=0.2", "lr=50.0"),
       id='ps07.train.learning-rate-far-too-large',
       functions=('train',),
       says='The learning rate is far too large, so the loss blows up instead of going down.',
       reread=('07', 'Gradient descent and the learning rate')),
    # ---------------------------------------------------------------- ps08
    _m(PS08, "batchnorm_forward", "unbiased variance (ddof=1)",
       ("var = x.var(axis=0)", "var = x.var(axis=0, ddof=1)"),
       id='ps08.batchnorm_forward.unbiased-variance-ddof-1',
       functions=('batchnorm_forward',),
       says="The batch's variance divides by the batch size minus one instead of by the batch size.",
       reread=('10', 'Batch normalization, forward')),
    _m(PS08, "batchnorm_forward", "statistics over the features of each sample (axis 1)",
       ("mu = x.mean(axis=0)\n        var = x.var(axis=0)",
        "mu = x.mean(axis=1, keepdims=True)\n        var = x.var(axis=1, keepdims=True)"),
       id='ps08.batchnorm_forward.statistics-over-the-features-of-each-sample-axi',
       functions=('batchnorm_forward',),
       says='The mean and variance are taken over the features of each sample instead of over the samples of the batch for each feature.',
       reread=('10', 'Batch normalization, forward')),
    _m(PS08, "batchnorm_forward", "eps added outside the square root",
       ("xhat = (x - mu) / np.sqrt(var + eps)", "xhat = (x - mu) / (np.sqrt(var) + eps)"),
       id='ps08.batchnorm_forward.eps-added-outside-the-square-root',
       functions=('batchnorm_forward',),
       says='The small constant is added to the standard deviation instead of to the variance under the square root, which matters for features that barely vary.',
       reread=('10', 'Batch normalization, forward')),
    _m(PS08, "batchnorm_forward", "momentum weighs the new statistics (reversed)",
       ("new_mean = momentum * running_mean + (1 - momentum) * mu\n        new_var = momentum * running_var + (1 - momentum) * var",
        "new_mean = (1 - momentum) * running_mean + momentum * mu\n        new_var = (1 - momentum) * running_var + momentum * var"),
       id='ps08.batchnorm_forward.momentum-weighs-the-new-statistics-reversed',
       functions=('batchnorm_forward',),
       says="The momentum weighs the batch's statistics instead of the old running values when the running statistics are updated.",
       reread=('10', 'Train and eval: running statistics')),
    _m(PS08, "batchnorm_forward", "running variance updated with the standard deviation",
       ("new_var = momentum * running_var + (1 - momentum) * var",
        "new_var = momentum * running_var + (1 - momentum) * np.sqrt(var)"),
       id='ps08.batchnorm_forward.running-variance-updated-with-the-standard-devi',
       functions=('batchnorm_forward',),
       says='The running variance is updated with the standard deviation of the batch instead of its variance.',
       reread=('10', 'Train and eval: running statistics')),
    _m(PS08, "batchnorm_forward", "eval mode normalizes with the batch statistics",
       ("        mu, var = running_mean, running_var\n",
        "        mu, var = x.mean(axis=0), x.var(axis=0)\n"),
       id='ps08.batchnorm_forward.eval-mode-normalizes-with-the-batch-statistics',
       functions=('batchnorm_forward',),
       says='In eval mode the batch is normalized with its own statistics instead of the running statistics learned in training.',
       reread=('10', 'Train and eval: running statistics')),
    _m(PS08, "batchnorm_forward", "running statistics updated in eval mode",
       ("        new_mean, new_var = running_mean.copy(), running_var.copy()\n",
        "        new_mean = momentum * running_mean + (1 - momentum) * x.mean(axis=0)\n"
        "        new_var = momentum * running_var + (1 - momentum) * x.var(axis=0)\n"),
       id='ps08.batchnorm_forward.running-statistics-updated-in-eval-mode',
       functions=('batchnorm_forward',),
       says='In eval mode the running statistics are still moved towards the batch, so evaluating the model changes it.',
       reread=('10', 'Train and eval: running statistics')),
    _m(PS08, "batchnorm_forward", "gamma and beta swapped",
       ("return gamma * xhat + beta,", "return beta * xhat + gamma,"),
       id='ps08.batchnorm_forward.gamma-and-beta-swapped',
       functions=('batchnorm_forward',),
       says='The normalized values are multiplied by the shift and offset by the scale: the scale and the shift are swapped.',
       reread=('10', 'Batch normalization, forward')),
    _m(PS08, "batchnorm_backward", "mean and variance treated as constants",
       ("dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std",
        "dx = dxhat / std"),
       id='ps08.batchnorm_backward.mean-and-variance-treated-as-constants',
       functions=('batchnorm_backward',),
       says="The input gradient treats the batch's mean and variance as constants, but both depend on every sample of the batch.",
       reread=('10', 'Batch normalization, backward')),
    _m(PS08, "batchnorm_backward", "the path through the variance left out",
       ("dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std",
        "dx = (dxhat - dxhat.mean(axis=0)) / std"),
       id='ps08.batchnorm_backward.the-path-through-the-variance-left-out',
       functions=('batchnorm_backward',),
       says="The input gradient flows back through the batch's mean but not through its variance.",
       reread=('10', 'Batch normalization, backward')),
    _m(PS08, "batchnorm_backward", "gamma left out of dx",
       ("dxhat = dout * gamma", "dxhat = dout"),
       id='ps08.batchnorm_backward.gamma-left-out-of-dx',
       functions=('batchnorm_backward',),
       says='The upstream gradient is not multiplied by the scale on its way back to the normalized values.',
       reread=('10', 'Batch normalization, backward')),
    _m(PS08, "batchnorm_backward", "dbeta and dgamma averaged over the batch",
       ("dbeta = dout.sum(axis=0)\n    dgamma = (dout * xhat).sum(axis=0)",
        "dbeta = dout.mean(axis=0)\n    dgamma = (dout * xhat).mean(axis=0)"),
       id='ps08.batchnorm_backward.dbeta-and-dgamma-averaged-over-the-batch',
       functions=('batchnorm_backward',),
       says='The gradients of the scale and the shift average the contributions of the samples instead of adding them up.',
       reread=('10', 'Batch normalization, backward')),
    _m(PS08, "spatial_batchnorm_forward", "statistics per image and channel (over H, W only)",
       ("axes = (0, 2, 3)", "axes = (2, 3)"),
       id='ps08.spatial_batchnorm_forward.statistics-per-image-and-channel-over-h-w-only',
       functions=('spatial_batchnorm_forward',),
       says='Each image is normalized with its own statistics per channel instead of statistics over the whole batch and every position.',
       reread=('10', 'Spatial batch normalization')),
    _m(PS08, "spatial_batchnorm_forward", "reshaped to (N*H*W, C) without moving the channel axis",
       code="""
def spatial_batchnorm_forward(x, gamma, beta, running_mean, running_var, mode="train",
                              momentum=0.9, eps=1e-5):
    N, C, H, W = x.shape
    rows = x.reshape(-1, C)
    out, new_mean, new_var = batchnorm_forward(rows, gamma, beta, running_mean, running_var,
                                               mode, momentum, eps)
    return out.reshape(N, C, H, W), new_mean, new_var
""",
       id='ps08.spatial_batchnorm_forward.reshaped-to-n-h-w-c-without-moving-the-channel',
       functions=('spatial_batchnorm_forward',),
       says='The maps are reshaped into rows of C values without first moving the channel axis last, so each column mixes several channels.',
       reread=('10', 'Spatial batch normalization')),
    _m(PS08, "spatial_batchnorm_backward", "the count per channel taken as N instead of N*H*W",
       ("M = N * H * W  # values per channel", "M = N  # values per channel"),
       id='ps08.spatial_batchnorm_backward.the-count-per-channel-taken-as-n-instead-of-n-h',
       functions=('spatial_batchnorm_backward',),
       says='The backward pass counts the samples of a channel as the batch size, but every position of every image is one of its values.',
       reread=('10', 'Spatial batch normalization')),
    _m(PS08, "spatial_batchnorm_backward", "dgamma and dbeta summed over the batch only",
       ("dbeta = dout.sum(axis=axes)\n    dgamma = (dout * xhat).sum(axis=axes)",
        "dbeta = dout.sum(axis=0)\n    dgamma = (dout * xhat).sum(axis=0)"),
       id='ps08.spatial_batchnorm_backward.dgamma-and-dbeta-summed-over-the-batch-only',
       functions=('spatial_batchnorm_backward',),
       says='The gradients of the scale and the shift add up over the images only, but each channel shares them across every position too.',
       reread=('10', 'Spatial batch normalization')),
    _m(PS08, "dropout_forward", "kept units not scaled by 1/(1 - p)",
       ("return x * mask / (1 - p)", "return x * mask"),
       id='ps08.dropout_forward.kept-units-not-scaled-by-1-1-p',
       functions=('dropout_forward',),
       says='The kept units are not scaled up, so in training the expected value of each unit shrinks by the keep probability.',
       reread=('10', 'Dropout')),
    _m(PS08, "dropout_forward", "p taken as the keep probability",
       ("return x * mask / (1 - p)", "return x * mask / p"),
       id='ps08.dropout_forward.p-taken-as-the-keep-probability',
       functions=('dropout_forward',),
       says='The kept units are divided by the drop probability instead of by the keep probability.',
       reread=('10', 'Dropout')),
    _m(PS08, "dropout_forward", "eval mode scales by the keep probability",
       ("return x.copy()", "return x * (1 - p)"),
       id='ps08.dropout_forward.eval-mode-scales-by-the-keep-probability',
       functions=('dropout_forward',),
       says='In eval mode the activations are scaled down although inverted dropout already scaled them during training.',
       reread=('10', 'Dropout')),
    _m(PS08, "dropout_forward", "units dropped in eval mode too",
       ("    if mode == \"eval\":\n        return x.copy()\n", ""),
       id='ps08.dropout_forward.units-dropped-in-eval-mode-too',
       functions=('dropout_forward',),
       says='Units are still dropped in eval mode, where the network must use all of them.',
       reread=('10', 'Dropout')),
    _m(PS08, "dropout_backward", "the mask left out of the backward pass",
       ("return dout * mask / (1 - p)", "return dout / (1 - p)"),
       id='ps08.dropout_backward.the-mask-left-out-of-the-backward-pass',
       functions=('dropout_backward',),
       says='The gradient also reaches the units that the forward pass dropped, whose outputs did not depend on them.',
       reread=('10', 'Dropout')),
    _m(PS08, "dropout_backward", "the backward pass not scaled by 1/(1 - p)",
       ("return dout * mask / (1 - p)", "return dout * mask"),
       id='ps08.dropout_backward.the-backward-pass-not-scaled-by-1-1-p',
       functions=('dropout_backward',),
       says='The backward pass forgets the scaling of the kept units that the forward pass applied.',
       reread=('10', 'Dropout')),
    _m(PS08, "adam_step", "no bias correction",
       ("mhat = m / (1 - beta1**t)\n    vhat = v / (1 - beta2**t)", "mhat = m\n    vhat = v"),
       id='ps08.adam_step.no-bias-correction',
       functions=('adam_step',),
       says='The moving averages are used without the bias correction that undoes their start at zero.',
       reread=('10', 'Adam')),
    _m(PS08, "adam_step", "bias correction with the step count starting at 0",
       ("mhat = m / (1 - beta1**t)\n    vhat = v / (1 - beta2**t)",
        "mhat = m / (1 - beta1**(t - 1))\n    vhat = v / (1 - beta2**(t - 1))"),
       id='ps08.adam_step.bias-correction-with-the-step-count-starting-at-0',
       functions=('adam_step',),
       says='The bias correction counts steps from zero, so the first update divides by zero.',
       reread=('10', 'Adam')),
    _m(PS08, "adam_step", "eps inside the square root",
       ("np.sqrt(vhat) + eps", "np.sqrt(vhat + eps)"),
       id='ps08.adam_step.eps-inside-the-square-root',
       functions=('adam_step',),
       says='The small constant is added under the square root instead of to it, which changes the step of parameters with tiny gradients.',
       reread=('10', 'Adam')),
    _m(PS08, "adam_step", "beta1 and beta2 swapped",
       ("m = beta1 * m + (1 - beta1) * dw\n    v = beta2 * v + (1 - beta2) * dw**2",
        "m = beta2 * m + (1 - beta2) * dw\n    v = beta1 * v + (1 - beta1) * dw**2"),
       id='ps08.adam_step.beta1-and-beta2-swapped',
       functions=('adam_step',),
       says='The decay rate of the gradient average and that of the squared-gradient average are swapped.',
       reread=('10', 'Adam')),
    _m(PS08, "adam_step", "the bias-corrected moments stored for the next step",
       ("return w - lr * mhat / (np.sqrt(vhat) + eps), m, v",
        "return w - lr * mhat / (np.sqrt(vhat) + eps), mhat, vhat"),
       id='ps08.adam_step.the-bias-corrected-moments-stored-for-the-next-s',
       functions=('adam_step',),
       says='The bias-corrected moments are stored for the next step instead of the raw moving averages, so the correction is applied again and again.',
       reread=('10', 'Adam')),
    _m(PS08, "batchnorm_backward", "the reference imported instead of written",
       code="""
from cnnbook import layers

batchnorm_backward = layers.batchnorm_backward
""",
       id='ps08.batchnorm_backward.the-reference-imported-instead-of-written',
       functions=('batchnorm_backward',),
       says="The course's reference implementation is imported instead of written.",
       reread=('10', 'Graded assignment'),
       diagnose=False),
]

BY_ID: dict[str, Misconception] = {m.id: m for m in MISCONCEPTIONS}


def for_assignment(assignment: str, diagnosable: bool = True) -> list[Misconception]:
    """The entries of one assignment, in catalogue order (only diagnosable ones by default)."""
    return [
        m for m in MISCONCEPTIONS
        if m.assignment == assignment and (m.diagnose or not diagnosable)
    ]  # fmt: skip
