"""Diagrams the book draws at build time, in the page's language.

Both twins of a chapter call the same function with their language code, so their code cells stay
identical but for that string. Call ``course.setup_matplotlib(lang)`` first (the Chinese labels need
its CJK font); each function draws into a new figure and leaves ``plt.show()`` to the page.
"""

import numpy as np

TEXT = {
    "en": {
        "input": "input image\n28 × 28 pixels",
        "flatten": "Flatten\n784 numbers",
        "hidden": "Dense(128), ReLU\n128 units",
        "output": "Dense(10)\n10 logits",
        "params_hidden": "784 × 128 weights\n+ 128 biases\n= 100,480",
        "params_output": "128 × 10 weights\n+ 10 biases\n= 1,290",
        "shown": "(only some of the 784 and 128 circles are drawn)",
        "step_batch": "1  A batch",
        "step_batch_note": "32 images and their labels\n(8 of them shown)",
        "step_predict": "2  Prediction",
        "step_predict_note": "the model's probabilities\nfor the first image",
        "step_loss": "3  Loss",
        "step_loss_text": "loss = {loss:.2f}\n\nminus the log of the\nprobability of the true\nclass, averaged over\nthe 32 images",
        "step_optimizer": "4  Optimizer step",
        "step_optimizer_text": "Adam nudges each of the\n101,770 weights a little\nin the direction that\nlowers this loss",
        "step_loop": "next batch: 1,875 steps make one epoch",
    },
    "zh": {
        "input": "输入图像\n28 × 28 像素",
        "flatten": "Flatten\n784 个数",
        "hidden": "Dense(128)，ReLU\n128 个单元",
        "output": "Dense(10)\n10 个 logits",
        "params_hidden": "784 × 128 个权重\n+ 128 个偏置\n= 100,480",
        "params_output": "128 × 10 个权重\n+ 10 个偏置\n= 1,290",
        "shown": "（784 个和 128 个圆圈只画出了一部分）",
        "step_batch": "1  一个批量",
        "step_batch_note": "32 张图像及其标签\n（图中只画了 8 张）",
        "step_predict": "2  预测",
        "step_predict_note": "模型给第一张图像\n各类别的概率",
        "step_loss": "3  损失",
        "step_loss_text": "损失 = {loss:.2f}\n\n真实类别概率的\n对数取负，\n再对 32 张图像求平均",
        "step_optimizer": "4  优化器更新",
        "step_optimizer_text": "Adam 把 101,770 个\n权重各自朝着\n让损失变小的方向\n挪动一小步",
        "step_loop": "下一个批量：1,875 步为一轮",
    },
}


def _column(ax, x, count, total, color):
    """Draw `count` circles at height 0..1 for a layer of `total` units, with a gap of dots
    in the middle when not all of them are shown. Returns the circles' y positions."""
    ys = list(np.linspace(0.95, 0.05, count))
    if count < total:  # leave room for three dots in the middle
        half = count // 2
        top, bottom = np.linspace(0.95, 0.62, half), np.linspace(0.38, 0.05, count - half)
        ys = list(top) + list(bottom)
        ax.plot([x] * 3, [0.54, 0.5, 0.46], "o", color="#555555", markersize=2.5)
    ax.scatter([x] * len(ys), ys, s=170, color=color, edgecolors="#333333", zorder=3)
    return ys


def network_diagram(image, class_names, lang="en"):
    """The tutorial's network: a 28×28 image, Flatten to 784, Dense 128 with ReLU, Dense 10."""
    import matplotlib.pyplot as plt

    text = TEXT[lang]
    fig = plt.figure(figsize=(11, 6))
    picture = fig.add_axes([0.01, 0.36, 0.16, 0.3])
    picture.imshow(image, cmap=plt.cm.binary)
    picture.set_xticks([])
    picture.set_yticks([])
    picture.set_title(text["input"], fontsize=10)

    ax = fig.add_axes([0.2, 0.2, 0.7, 0.64])
    ax.set_xlim(-0.05, 3.0)
    ax.set_ylim(-0.02, 1.0)
    ax.axis("off")
    columns = [(0.0, 10, 784, "#dddddd"), (1.2, 8, 128, "#9ecae1"), (2.4, 10, 10, "#fdae6b")]
    positions = [_column(ax, x, count, total, color) for x, count, total, color in columns]
    for (x0, *_), (x1, *_), left, right in zip(columns, columns[1:], positions, positions[1:]):
        for y0 in left:
            for y1 in right:
                ax.plot([x0, x1], [y0, y1], color="#999999", linewidth=0.3, zorder=1)
    for y, name in zip(positions[2], class_names):
        ax.text(2.5, y, name, va="center", fontsize=9)
    for (x, *_), key in zip(columns, ["flatten", "hidden", "output"]):
        ax.text(x, -0.04, text[key], ha="center", va="top", fontsize=10)
    for x, key in [(0.6, "params_hidden"), (1.8, "params_output")]:
        ax.text(x, 1.03, text[key], ha="center", va="bottom", fontsize=9, color="#444444")
    # the picture is unrolled into the first column
    fig.patches.append(plt.matplotlib.patches.FancyArrowPatch(
        (0.175, 0.51), (0.205, 0.51), transform=fig.transFigure, arrowstyle="-|>",
        mutation_scale=15, color="#333333"))
    fig.text(0.5, 0.005, text["shown"], ha="center", va="bottom", fontsize=9, color="#666666")
    return fig


def training_step(images, probabilities, true_label, loss, class_names, lang="en"):
    """One step of `fit`: a batch goes through the model, the loss compares the predictions with
    the labels, the optimizer changes the weights; then the next batch.

    `images` are a few images of the batch, `probabilities` the model's ten probabilities for the
    first of them, `true_label` its label and `loss` the loss of the whole batch."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    text = TEXT[lang]
    fig = plt.figure(figsize=(13, 4.6))
    width, gap, bottom, height = 0.19, 0.06, 0.32, 0.56
    lefts = [0.02 + i * (width + gap) for i in range(4)]

    batch = fig.add_axes([lefts[0], bottom, width, height])
    rows = [np.hstack(list(images[row * 4:row * 4 + 4])) for row in range(2)]
    batch.imshow(np.vstack(rows), cmap=plt.cm.binary)
    batch.set_xticks([])
    batch.set_yticks([])
    batch.set_title(text["step_batch"], fontsize=12, loc="left")
    batch.set_xlabel(text["step_batch_note"], fontsize=9)

    bars = fig.add_axes([lefts[1] + 0.07, bottom, width - 0.07, height])
    colors = ["#1f77b4" if label == true_label else "#999999" for label in range(10)]
    bars.barh(range(10), probabilities, color=colors)
    bars.set_yticks(range(10), class_names, fontsize=8)
    bars.invert_yaxis()
    bars.set_xlim(0, 1)
    bars.set_title(text["step_predict"], fontsize=12, loc="left")
    bars.set_xlabel(text["step_predict_note"], fontsize=9)

    for left, title, body in [(lefts[2], "step_loss", text["step_loss_text"].format(loss=loss)),
                              (lefts[3], "step_optimizer", text["step_optimizer_text"])]:
        box = fig.add_axes([left, bottom, width, height])
        box.axis("off")
        box.add_patch(FancyBboxPatch((0.03, 0.03), 0.94, 0.94, boxstyle="round,pad=0.02",
                                     facecolor="#f4f4f4", edgecolor="#888888"))
        box.text(0.5, 0.5, body, ha="center", va="center", fontsize=10, linespacing=1.4)
        box.set_title(text[title], fontsize=12, loc="left")

    def arrow(start, end, **style):
        fig.patches.append(FancyArrowPatch(start, end, transform=fig.transFigure, arrowstyle="-|>",
                                           mutation_scale=18, color="#333333", **style))

    middle = bottom + height / 2
    for left in lefts[1:]:
        arrow((left - gap + 0.005, middle), (left - 0.005, middle))
    # and round again, with the next batch
    arrow((lefts[3] + width / 2, 0.1), (lefts[0] + width / 2, 0.1))
    fig.text(0.5, 0.02, text["step_loop"], ha="center", fontsize=10, color="#444444")
    return fig
