"""The English and the Chinese twin of a page print the same numbers from the same code.

The twins run the same code but for comments and strings (test_book_twins.py), and the chapters that
show untrained or random results are seeded, so every number a code cell prints must be the same in
both languages. A difference means a cell that is not seeded (the two builds drew different random
weights: chapter 04 once printed an untrained loss of 2.348 in English and 2.520 in Chinese) or code
that does not really do the same thing.

What is compared: the text output of each code cell (streams, results and errors; not images), cell
by cell in page order, read from the built site, which is what a reader sees. Within a cell the
numbers are compared as a multiset, so that a Chinese sentence may put them in its own order; they
are taken as printed, so 0.837 and 0.8370 differ. Timings and object identities are not results and are left
out: Keras' fit log (`4s`, `2ms/step`), anything printed with "seconds"/"秒", and the ids of
objects (`model.export()` lists its captures as `139980677419408: TensorSpec(...)`).

The comparison itself is tested on hand-made pages (fast); the built site is checked by the slow
layer, once per session, with a difference planted into a copy of a real page to show it fails.
"""

import re
from collections import Counter

import pytest
from bs4 import BeautifulSoup

from book_site import CHAPTERS, build_site, page

# a number as printed: 101770, 100,480, -2.35, 0.837, 1.2e-08, 79% (the % is kept by the text around)
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?", re.I)
# what is not a result: Keras' timings (" - 4s - 2ms/step", "1s/step", "350us/step"), seconds, and
# object identities (model.export() lists its captures by id(), 139980677419408; reprs show 0x7f3a...)
TIMING = re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|us|µs|s)(?:/step)?\b|\b\d+(?:\.\d+)?\s?(?:seconds?|秒)"
                    r"|(?<![\d.])\d{12,}(?![\d.])|\b0x[0-9a-f]+\b", re.I)


def cell_outputs(html):
    """The text output of every code cell of a built page, in order ('' for a cell without one)."""
    outputs = []
    for cell in BeautifulSoup(html, "html.parser").select("div.cell"):
        shown = cell.select("div.cell_output div.output")
        outputs.append("\n".join(part.get_text() for part in shown
                                 if not part.find("img") and "image" not in " ".join(part["class"])))
    return outputs


def numbers(text):
    return NUMBER.findall(TIMING.sub(" ", text))


def number_differences(en_html, zh_html):
    """['cell 7: only in English [...], only in Chinese [...]', ...] for the code cells (counted from
    1 in page order) whose printed numbers differ."""
    en, zh = cell_outputs(en_html), cell_outputs(zh_html)
    if len(en) != len(zh):
        return [f"{len(en)} code cells in English, {len(zh)} in Chinese"]
    found = []
    for i, (a, b) in enumerate(zip(en, zh), 1):
        a, b = Counter(numbers(a)), Counter(numbers(b))
        if a != b:
            found.append(f"cell {i}: only in English {sorted((a - b).elements())}, "
                         f"only in Chinese {sorted((b - a).elements())}")
    return found


# --- the comparison, on hand-made pages (fast) --------------------------------------------------

def _page(*outputs):
    """A page as myst-nb writes it: one div.cell per code cell, its text in div.output."""
    cells = "".join(
        '<div class="cell docutils container"><div class="cell_input"><pre>code</pre></div>'
        + (f'<div class="cell_output docutils container"><div class="output stream"><pre>{text}</pre>'
           '</div></div>' if text is not None else "") + "</div>"
        for text in outputs)
    return f"<html><body><p>prose 1, 2, 3</p>{cells}</body></html>"


def test_same_numbers_in_other_words_pass():
    en = _page("loss 2.348, accuracy 0.118", None, "Epoch 1/10\n1875/1875 - 4s - 2ms/step - accuracy: 0.8234 - loss: 0.4987",
               "highest score: Sandal\n100480 1290 101770")
    zh = _page("损失 2.348，准确率 0.118", None, "Epoch 1/10\n1875/1875 - 6s - 3ms/step - accuracy: 0.8234 - loss: 0.4987",
               "最高分：凉鞋\n100480 1290 101770")
    assert number_differences(en, zh) == []
    assert numbers("took 12.5 seconds, 用时 3 秒; 1.2e-08 and -0.5, 79%") == ["1.2e-08", "-0.5", "79"]
    assert numbers("Captures:\n  139980677419408: TensorSpec(shape=(), at 0x7f3a2b1c)") == []
    assert numbers("loss 2.3441433906555176") == ["2.3441433906555176"]


def test_planted_difference_fails():
    """Chapter 04's untrained loss before it was seeded: the check names the cell and both numbers."""
    en = _page("(1, 10)", "loss 2.348, accuracy 0.118")
    zh = _page("(1, 10)", "损失 2.520，准确率 0.047")
    assert number_differences(en, zh) == [
        "cell 2: only in English ['0.118', '2.348'], only in Chinese ['0.047', '2.520']"]
    # a Chinese sentence may order the numbers its own way; a number printed twice must stay twice
    assert number_differences(_page("lowest loss 1.937, for a step of 0.2"), _page("步长 0.2 时损失最低：1.937")) == []
    assert number_differences(_page("128 of 128"), _page("共 128 个"))
    # the format counts, and a cell that prints in one language only
    assert number_differences(_page("0.837"), _page("0.8370"))
    assert number_differences(_page("x", None), _page("x", "1"))
    assert number_differences(_page("1"), _page("1", "2")) == ["1 code cells in English, 2 in Chinese"]


def test_images_and_prose_are_not_compared():
    en = _page("3").replace("<p>prose 1, 2, 3</p>", "<p>60,000 images</p>")
    zh = _page("3").replace("<p>prose 1, 2, 3</p>", "<p>6 万张图像</p>")
    image = ('<div class="cell_output docutils container"><div class="output image_png">'
             '<img alt="1 2 3" src="../../_images/abc123.png"/></div></div>')
    assert number_differences(en.replace("</pre></div></div></div>", "</pre></div></div>" + image + "</div>"),
                              zh) == []


# --- the built site (slow: the session's build) -------------------------------------------------

@pytest.fixture(scope="module")
def site():
    build_site()


@pytest.mark.slow
@pytest.mark.parametrize("chapter", [c for c in CHAPTERS if c not in ("00_home", "15_glossary")])
def test_twins_print_the_same_numbers(site, chapter):
    en = page("en", chapter).read_text(encoding="utf-8")
    zh = page("zh", chapter).read_text(encoding="utf-8")
    assert number_differences(en, zh) == [], (
        f"book/{chapter}: the English and Chinese pages print different numbers from the same code "
        "(seed the cell with keras.utils.set_random_seed, or make the code the same)")


@pytest.mark.slow
def test_site_check_fails_on_a_planted_difference(site):
    """A real built page with one printed digit changed: the parameter count of chapter 04."""
    en = page("en", "04_model").read_text(encoding="utf-8")
    zh = page("zh", "04_model").read_text(encoding="utf-8")
    assert "100480 1290 101770" in zh
    planted = zh.replace("100480 1290 101770", "100480 1290 101771", 1)
    differences = number_differences(en, planted)
    assert len(differences) == 1 and "'101771'" in differences[0], differences
