"""Figures the book draws at build time, in the page's language, legible in its column.

Both twins of a chapter call the same function with their language code, so their code cells stay
identical but for that string. Call ``course.setup_matplotlib(lang)`` first (the Chinese labels need
its CJK font).

Legibility: the book's text column is about 700 CSS pixels wide. Figures are drawn about that
wide (``COLUMN_INCHES``), so that their text is shown at its own size, and no text is smaller
than ``MIN_POINTS`` there; ``text_sizes`` measures it (tests/test_figures.py). The two diagrams are
drawings, so they are shown as SVG (sharp at any zoom); plots stay PNG.

No meaning by colour alone: the tutorial's plot helpers colour the predicted bar red and the true
bar blue and the caption blue or red (students write them, graded, so they keep those colours);
``mark_caption``, ``mark_bars`` and ``bar_legend`` add a mark, a hatch and a legend around them.
Colours the lesson does not prescribe come from the Okabe-Ito palette, which stays distinct for
the common colour-vision deficiencies.
"""

import numpy as np

COLUMN_INCHES = 7.0      # the text column, ~700 CSS px, at matplotlib's 100 dpi
MIN_POINTS = 9           # the smallest text size shown at the column's width
# Okabe & Ito (2008), "Color Universal Design": orange, sky blue, bluish green, yellow, blue,
# vermillion, reddish purple, black
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
GREY = "#666666"

TEXT = {
    "en": {
        "input": "input image\n28 × 28 pixels",
        "flatten": "Flatten\n784 numbers",
        "hidden": "Dense(128)\nReLU, 128 units",
        "output": "Dense(10)\n10 logits",
        "params_hidden": "784 × 128 weights\n+ 128 biases = 100,480",
        "params_output": "128 × 10 weights\n+ 10 biases = 1,290",
        "shown": "only some of the 784 and 128 circles are drawn",
        "step_batch": "1  A batch",
        "step_batch_note": "32 images and their labels\n(8 of them shown)",
        "step_predict": "2  Prediction",
        "step_predict_note": "probabilities for the first image",
        "step_true": "true class",
        "step_loss": "3  Loss",
        "step_loss_text": "loss = {loss:.2f}\n\nminus the log of the\nprobability of the true\nclass, averaged over\nthe 32 images",
        "step_optimizer": "4  Optimizer step",
        "step_optimizer_text": "Adam nudges each of\nthe 101,770 weights\na little in the direction\nthat lowers this loss",
        "step_loop": "next batch: 1,875 steps\nmake one epoch",
        "predicted": "predicted (red, hatched)",
        "true": "true class (blue)",
        "right": "✓",
        "wrong": "✗",
        "unit": "unit {unit}",
        "weight_scale": "weight, relative to the unit's largest:\nblue lowers the unit's sum, red raises it",
    },
    "zh": {
        "input": "输入图像\n28 × 28 像素",
        "flatten": "Flatten\n784 个数",
        "hidden": "Dense(128)\nReLU，128 个单元",
        "output": "Dense(10)\n10 个 logits",
        "params_hidden": "784 × 128 个权重\n+ 128 个偏置 = 100,480",
        "params_output": "128 × 10 个权重\n+ 10 个偏置 = 1,290",
        "shown": "784 个和 128 个圆圈只画出了一部分",
        "step_batch": "1  一个批量",
        "step_batch_note": "32 张图像及其标签\n（图中只画了 8 张）",
        "step_predict": "2  预测",
        "step_predict_note": "模型给第一张图像的各类别概率",
        "step_true": "真实类别",
        "step_loss": "3  损失",
        "step_loss_text": "损失 = {loss:.2f}\n\n真实类别概率的\n对数取负，\n再对 32 张图像求平均",
        "step_optimizer": "4  优化器更新",
        "step_optimizer_text": "Adam 把 101,770 个\n权重各自朝着\n让损失变小的方向\n挪动一小步",
        "step_loop": "下一个批量：\n1,875 步为一轮",
        "predicted": "预测类别（红色，带斜线）",
        "true": "真实类别（蓝色）",
        "right": "✓",
        "wrong": "×",  # Noto Sans CJK has no ✗ (U+2717); × is the usual cross in Chinese text
        "unit": "单元 {unit}",
        "weight_scale": "权重（相对于该单元的最大值）：\n蓝色让单元的和变小，红色让它变大",
    },
}


# --- showing a figure ----------------------------------------------------------------------------

def show_svg(fig):
    """Show `fig` in the notebook as SVG (a drawing stays sharp at any zoom), and close it so that
    plt.show() does not show it a second time as PNG. Text is drawn as paths: the reader needs no
    CJK font."""
    import io

    import matplotlib.pyplot as plt
    from IPython.display import SVG, display
    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "path", "svg.hashsalt": "fashion-mnist"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    display(SVG(buffer.getvalue()))
    return fig


def text_sizes(fig, column_inches=COLUMN_INCHES):
    """{text: points at which it is shown} for every visible text of `fig` when the figure is shown
    at most `column_inches` wide (a wider figure is scaled down to the column; a narrower one is
    shown at its own size)."""
    fig.canvas.draw()
    scale = min(1.0, column_inches / fig.get_figwidth())
    sizes = {}
    for text in fig.findobj(lambda artist: hasattr(artist, "get_text") and hasattr(artist, "get_fontsize")):
        if text.get_visible() and text.get_text().strip() and text.get_figure() is not None:
            if text.axes is not None and not text.axes.get_visible():
                continue
            sizes[text.get_text()] = min(sizes.get(text.get_text(), 99), text.get_fontsize() * scale)
    return sizes


def too_small(fig, column_inches=COLUMN_INCHES, minimum=MIN_POINTS):
    """The texts of `fig` shown smaller than `minimum` points at the column's width."""
    return {text: round(float(size), 1) for text, size in text_sizes(fig, column_inches).items()
            if size < minimum - 1e-6}


def report_small_text(stream=None):
    """From now on, whenever any figure is rendered (shown inline, saved), write to ``stream``
    (stderr) which of its texts are shown below MIN_POINTS at the column's width. The book's build
    fails on a chapter that writes to stderr, so every figure the book draws is measured at the
    size it is shown. Written, not warned: Python shows a warning once per place, and every figure
    must be named."""
    from matplotlib.backend_bases import FigureCanvasBase
    if getattr(FigureCanvasBase.print_figure, "reports_small_text", False):
        return
    show = FigureCanvasBase.print_figure

    def print_figure(canvas, *args, **kwargs):
        small = too_small(canvas.figure)
        if small:
            import sys
            texts = sorted(small.items(), key=lambda item: item[1])
            named = ", ".join(f"{text!r} {size:.1f} pt" for text, size in texts[:6])
            print(f"warning: figure text below {MIN_POINTS} pt at the {COLUMN_INCHES:g}-inch column "
                  f"(figure {canvas.figure.get_figwidth():g} × {canvas.figure.get_figheight():g} in): "
                  f"{named}{' and more' if len(texts) > 6 else ''}; draw it at most "
                  f"{COLUMN_INCHES:g} inches wide or enlarge the text",
                  file=stream or sys.stderr)
        return show(canvas, *args, **kwargs)
    print_figure.reports_small_text, print_figure.original = True, show
    FigureCanvasBase.print_figure = print_figure


# --- the two diagrams ----------------------------------------------------------------------------

def _column(ax, x, count, total, color):
    """Draw `count` circles at height 0..1 for a layer of `total` units, with three dots in the
    middle when not all of them are shown. Returns the circles' y positions."""
    ys = list(np.linspace(0.95, 0.05, count))
    if count < total:  # leave room for three dots in the middle
        half = count // 2
        top, bottom = np.linspace(0.95, 0.62, half), np.linspace(0.38, 0.05, count - half)
        ys = list(top) + list(bottom)
        ax.plot([x] * 3, [0.54, 0.5, 0.46], "o", color="#444444", markersize=3)
    ax.scatter([x] * len(ys), ys, s=150, color=color, edgecolors="#333333", zorder=3)
    return ys


def network_diagram(image, class_names, lang="en", svg=True):
    """The tutorial's network: a 28×28 image, Flatten to 784, Dense 128 with ReLU, Dense 10, one
    output per class, with the parameter counts of the two Dense layers."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    text = TEXT[lang]
    fig = plt.figure(figsize=(COLUMN_INCHES, 5.2))
    picture = fig.add_axes([0.0, 0.4, 0.15, 0.22])
    picture.imshow(image, cmap=plt.cm.binary)
    picture.set_xticks([])
    picture.set_yticks([])
    picture.set_title(text["input"], fontsize=10)

    ax = fig.add_axes([0.2, 0.17, 0.58, 0.64])
    ax.set_xlim(-0.1, 2.5)
    ax.set_ylim(0, 1)
    ax.axis("off")
    columns = [(0.0, 10, 784, "#DDDDDD"), (1.1, 8, 128, OKABE_ITO[1]), (2.2, 10, 10, OKABE_ITO[0])]
    positions = [_column(ax, x, count, total, color) for x, count, total, color in columns]
    for (x0, *_), (x1, *_), left, right in zip(columns, columns[1:], positions, positions[1:]):
        for y0 in left:
            for y1 in right:
                ax.plot([x0, x1], [y0, y1], color="#AAAAAA", linewidth=0.4, zorder=1)
    for y, name in zip(positions[2], class_names):
        ax.text(2.32, y, name, va="center", fontsize=10)
    for (x, *_), key in zip(columns, ["flatten", "hidden", "output"]):
        ax.text(x, -0.05, text[key], ha="center", va="top", fontsize=10)
    for x, key in [(0.55, "params_hidden"), (1.65, "params_output")]:
        ax.text(x, 1.04, text[key], ha="center", va="bottom", fontsize=10, color="#333333")
    # the picture is unrolled into the first column
    fig.patches.append(FancyArrowPatch((0.155, 0.51), (0.2, 0.51), transform=fig.transFigure,
                                       arrowstyle="-|>", mutation_scale=16, color="#333333"))
    fig.text(0.5, 0.0, text["shown"], ha="center", va="bottom", fontsize=10, color="#444444")
    return show_svg(fig) if svg else fig


def training_step(images, probabilities, true_label, loss, class_names, lang="en", svg=True):
    """One step of `fit`, as four panels going round clockwise: a batch goes through the model
    (1, 2), the loss compares the predictions with the labels (3), the optimizer changes the
    weights (4); then the next batch.

    `images` are a few images of the batch, `probabilities` the model's ten probabilities for the
    first of them, `true_label` its label and `loss` the loss of the whole batch."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    text = TEXT[lang]
    fig = plt.figure(figsize=(COLUMN_INCHES, 7.2))
    # panels: 1 top left, 2 top right, 3 bottom right, 4 bottom left
    left, right, top, bottom, width, height = 0.03, 0.6, 0.62, 0.03, 0.36, 0.3

    batch = fig.add_axes([left, top + 0.03, width, height - 0.03])
    rows = [np.hstack(list(images[row * 4:row * 4 + 4])) for row in range(2)]
    batch.imshow(np.vstack(rows), cmap=plt.cm.binary)
    batch.set_xticks([])
    batch.set_yticks([])
    batch.set_title(text["step_batch"], fontsize=12, loc="left", fontweight="bold")
    batch.set_xlabel(text["step_batch_note"], fontsize=10)

    bars = fig.add_axes([right, top, 0.36, height])
    true_bar = bars.barh(range(10), probabilities, color=GREY)
    true_bar[true_label].set_color(OKABE_ITO[4])
    true_bar[true_label].set_hatch("///")
    true_bar[true_label].set_edgecolor("white")
    bars.set_yticks(range(10), class_names, fontsize=9.5)
    bars.get_yticklabels()[true_label].set_fontweight("bold")
    bars.invert_yaxis()
    bars.set_xlim(0, 1)
    bars.tick_params(axis="x", labelsize=9.5)
    bars.text(probabilities[true_label] + 0.03, true_label, "◀ " + text["step_true"], va="center",
              fontsize=10, color=OKABE_ITO[4])
    bars.set_title(text["step_predict"], fontsize=12, loc="left", fontweight="bold")
    bars.set_xlabel(text["step_predict_note"], fontsize=10)

    for x, title, body in [(right - 0.14, "step_loss", text["step_loss_text"].format(loss=loss)),
                           (left, "step_optimizer", text["step_optimizer_text"])]:
        box = fig.add_axes([x, bottom, width + 0.1 if title == "step_loss" else width, height])
        box.axis("off")
        box.add_patch(FancyBboxPatch((0.03, 0.03), 0.94, 0.94, boxstyle="round,pad=0.02",
                                     facecolor="#F4F4F4", edgecolor="#888888"))
        box.text(0.5, 0.5, body, ha="center", va="center", fontsize=11, linespacing=1.4)
        box.set_title(text[title], fontsize=12, loc="left", fontweight="bold")

    def arrow(start, end, **style):
        fig.patches.append(FancyArrowPatch(start, end, transform=fig.transFigure, arrowstyle="-|>",
                                           mutation_scale=20, color="#333333", linewidth=1.5, **style))

    arrow((left + width + 0.01, top + height / 2), (right - 0.13, top + height / 2))          # 1 -> 2
    arrow((right + 0.18, top - 0.1), (right + 0.18, bottom + height + 0.06))                  # 2 -> 3
    arrow((right - 0.15, bottom + height / 2), (left + width + 0.01, bottom + height / 2))    # 3 -> 4
    arrow((left + width / 2, bottom + height + 0.06), (left + width / 2, top - 0.1))          # 4 -> 1
    fig.text(left + width / 2 + 0.02, (top + bottom + height) / 2, text["step_loop"], ha="left",
             va="center", fontsize=10, color="#333333")
    return show_svg(fig) if svg else fig


# --- non-colour cues around the tutorial's plot helpers ------------------------------------------

CAPTION_COLUMNS = 20  # wider captions ("T-shirt/top 58% (Ankle boot)") overflow a grid's picture


def mark_caption(predictions_array, true_label, lang="en", ax=None):
    """After plot_image: put ✓ (right) or ✗ (wrong) before the blue or red caption, and put its
    "(true class)" on a line of its own when the caption is wider than a picture of a grid holds
    at a legible size (CAPTION_COLUMNS display columns)."""
    import matplotlib.pyplot as plt

    from .text import display_width
    ax = ax or plt.gca()
    right = int(np.argmax(predictions_array)) == int(true_label)
    label = ax.xaxis.label
    text = f"{TEXT[lang]['right' if right else 'wrong']} {label.get_text()}"
    if display_width(text) > CAPTION_COLUMNS and " (" in text:
        text = "\n(".join(text.rsplit(" (", 1))
    ax.set_xlabel(text, color=label.get_color())


def mark_bars(predictions_array, true_label, ax=None):
    """After plot_value_array: hatch the predicted bar, so that predicted and true differ by more
    than their colour (a right answer is one bar, blue and hatched), and write the class numbers
    under the bars in bold for the true class."""
    import matplotlib.pyplot as plt
    ax = ax or plt.gca()
    bars = ax.patches[-10:]
    predicted = int(np.argmax(predictions_array))
    bars[predicted].set_hatch("////")
    bars[predicted].set_edgecolor("white")
    if hasattr(bars[predicted], "set_hatchcolor"):  # matplotlib 3.10+: set_color() also set the hatch's
        bars[predicted].set_hatchcolor("white")
    for number, tick in enumerate(ax.get_xticklabels()):
        if number == int(true_label):
            tick.set_fontweight("bold")


def bar_legend(lang="en", fig=None):
    """One legend for the figure's bar charts: what red and hatched, and blue, stand for."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    fig = fig or plt.gcf()
    text = TEXT[lang]
    handles = [Patch(facecolor="red", edgecolor="white", hatch="////", label=text["predicted"]),
               Patch(facecolor="blue", label=text["true"])]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, fontsize=10,
               frameon=False)


def weights_grid(kernel, lang="en", units=32, columns=8):
    """The first `units` columns of a Dense kernel as 28 × 28 pictures, each on its own symmetric
    scale (white is 0), with one colour bar that says what the colours mean."""
    import matplotlib.pyplot as plt
    rows = -(-units // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(COLUMN_INCHES, 0.95 * rows + 1.4),
                             layout="constrained")
    image = None
    for unit, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if unit >= units:
            ax.set_visible(False)
            continue
        weights = kernel[:, unit].reshape(28, 28)
        limit = np.abs(weights).max() or 1.0
        image = ax.imshow(weights / limit, cmap=plt.cm.RdBu_r, vmin=-1, vmax=1)
        ax.set_title(TEXT[lang]["unit"].format(unit=unit), fontsize=9, pad=2)
    bar = fig.colorbar(image, ax=axes, location="bottom", shrink=0.6, aspect=40, ticks=[-1, 0, 1])
    bar.ax.tick_params(labelsize=10)
    bar.set_label(TEXT[lang]["weight_scale"], fontsize=10)
    return fig
