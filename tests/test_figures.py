"""The book's shared figures (course/figures.py) and tables (course/text.py), without a build: text
legible at the column's width in both languages, no meaning by colour alone, real tables."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import course  # noqa: E402
from course import figures  # noqa: E402
from course.text import display_width, table  # noqa: E402

RNG = np.random.default_rng(0)
IMAGES = RNG.random((8, 28, 28))
PROBABILITIES = np.full(10, 0.02)
PROBABILITIES[3] = 0.82


def drawn(lang):
    course.setup_matplotlib(lang)
    names = course.class_names(lang)
    return {
        "network": figures.network_diagram(IMAGES[0], names, lang, svg=False),
        "training step": figures.training_step(IMAGES, PROBABILITIES, 3, 2.41, names, lang, svg=False),
        "weights": figures.weights_grid(RNG.normal(size=(784, 128)), lang),
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_figure_text_is_legible_at_the_column_width(lang):
    for name, fig in drawn(lang).items():
        try:
            assert figures.too_small(fig) == {}, name
            assert fig.get_figwidth() <= figures.COLUMN_INCHES + 1e-9, name
            # horizontal text only
            rotated = [t.get_text() for t in fig.findobj(matplotlib.text.Text)
                       if t.get_text().strip() and t.get_visible() and t.get_rotation() not in (0, 360)]
            assert rotated == [], (name, rotated)
        finally:
            plt.close(fig)


def test_legibility_check_can_fail():
    fig = plt.figure(figsize=(13, 4))  # the old training-step figure's size, scaled to the column
    fig.text(0.5, 0.5, "ten points", fontsize=10)
    assert figures.too_small(fig) == {"ten points": pytest.approx(10 * 7 / 13, abs=0.1)}
    plt.close(fig)


def test_the_book_reports_every_figure_with_small_text():
    """report_small_text (run first in every book kernel: book/_ext/kernel_startup.py) reports each
    rendered figure whose text is too small (the build fails on the warning); a figure at the
    column's width passes; the student package's set-up measures nothing."""
    import io

    import fashion_mnist_student
    from matplotlib.backend_bases import FigureCanvasBase
    reported = io.StringIO()
    show = FigureCanvasBase.print_figure
    try:
        FigureCanvasBase.print_figure = getattr(show, "original", show)  # afresh, whatever ran before
        fashion_mnist_student.setup_matplotlib("en")
        assert not getattr(FigureCanvasBase.print_figure, "reports_small_text", False)
        figures.report_small_text(reported)
        assert "warning: figure text" not in reported.getvalue()
        for width, label in [(12, "wide"), (7, "column"), (10, "also wide")]:
            fig = plt.figure(figsize=(width, 3))
            plt.plot([0, 1])
            plt.title(label)
            fig.savefig(io.BytesIO(), format="png")
            plt.close(fig)
    finally:
        FigureCanvasBase.print_figure = show
    said = reported.getvalue().splitlines()
    # tick labels of 10 pt at 7/12 and 7/10 of their size; the 7-inch figure is not named
    assert len(said) == 2 and "'0.0' 5.8 pt" in said[0] and "'0.0' 7.0 pt" in said[1], said
    assert "12 × 3 in" in said[0] and "at most 7 inches wide" in said[0]


def test_diagrams_are_shown_as_svg(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    course.setup_matplotlib("zh")
    figures.network_diagram(IMAGES[0], course.class_names("zh"), "zh")
    assert len(shown) == 1 and shown[0].data.lstrip().startswith(("<?xml", "<svg"))
    assert plt.get_fignums() == []  # closed: plt.show() does not show it again as PNG


def test_predictions_are_marked_by_more_than_colour():
    course.setup_matplotlib("en")
    fig = plt.figure()
    plt.subplot(1, 2, 1)
    plt.imshow(IMAGES[0])
    plt.xlabel("Dress 82% (Dress)", color="blue")
    figures.mark_caption(PROBABILITIES, 3)
    assert plt.gca().get_xlabel() == "✓ Dress 82% (Dress)"
    plt.xlabel("Dress 82% (Coat)", color="red")
    figures.mark_caption(PROBABILITIES, 4)
    assert plt.gca().get_xlabel().startswith("✗ ") and plt.gca().xaxis.label.get_color() == "red"
    plt.xlabel("T-shirt/top 58% (Ankle boot)", color="red")  # wider than a grid's picture: two lines
    figures.mark_caption(PROBABILITIES, 4)
    assert plt.gca().get_xlabel() == "✗ T-shirt/top 58%\n(Ankle boot)"
    plt.subplot(1, 2, 2)
    plt.xticks(range(10))
    bars = plt.bar(range(10), PROBABILITIES, color="#777777")
    figures.mark_bars(PROBABILITIES, 4)
    assert bars[3].get_hatch() and not bars[4].get_hatch()
    assert plt.gca().get_xticklabels()[4].get_fontweight() == "bold"
    figures.bar_legend("zh")
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["预测类别（红色，带斜线）", "真实类别（蓝色）"]
    plt.close(fig)


def test_weights_grid_has_a_colour_bar():
    course.setup_matplotlib("en")
    fig = figures.weights_grid(RNG.normal(size=(784, 128)), "en", units=32)
    images = [ax for ax in fig.axes if ax.images]
    colorbars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(images) == 32 and len(colorbars) == 1
    assert "red raises" in colorbars[0].get_xlabel()
    plt.close(fig)


def test_table_is_a_real_table_and_lines_up_in_text():
    result = table([("T恤/上衣", "0.812"), ("Trouser", "0.975")], ["类别", "准确率"], caption="每个类别的准确率")
    page = result._repr_html_()
    assert page.startswith('<table class="table course-table"><caption>每个类别的准确率</caption>')
    assert '<th scope="col" style="text-align:right">准确率</th>' in page and "<td>T恤/上衣</td>" in page
    lines = str(result).splitlines()
    assert len({display_width(line) for line in lines[1:]}) == 1, lines  # aligned by display width
    with pytest.raises(ValueError):
        table([("a", "b", "c")], ["one", "two"])
