"""Numbers come from the run, not from the prose (fast, no build: reads the MyST sources).

The accuracy a page reports is whatever its cells computed when the book was built; a figure typed
into the prose goes stale the day the model, the seed or Keras changes. Such figures are pasted
with myst-nb's glue instead: a code cell calls `glue("name", float(value), display=False)` and the
prose says {glue:text}`name:.2f` (or {glue:text}`name:.0%`), in both languages.

The rule for an *unbacked figure*, checked in the prose of every page (Markdown cells, admonitions
and dropdowns included; code cells, code blocks, inline code, $math$, glue roles and figure captions
in cell metadata excluded):

- it stands in the same clause as an accuracy word ("accuracy", "准确率"): a clause ends at . , ; : ! ?
  followed by a space, or at their full-width forms 。，；：！？;
- and it is a measured-looking number: a decimal strictly between 0 and 1 written with at least
  two decimal places (0.82, 0.913), or a percentage that is not a multiple of ten (88%, 91.3 %).

Round levels are not measurements and pass: guessing among ten classes is 0.1 or 10%, "well below
0.9", "100% confidence". So do numbers away from an accuracy word: 28 × 28, a 0.001 learning rate,
1,875 steps, `validation_split=0.2` (code), 20% of the training images (no accuracy word in the
clause). A figure that is really a fixed, chosen number (a threshold in a question) and stands next to
"accuracy" can be written in inline code or math.

Every glue role must also name a key that a code cell of the same page glues, so that the pasted
value exists (the build would only warn about it, late).
"""

import re

import jupytext
import pytest

from book_site import CHAPTERS, ROOT
from test_book_twins import prose_markdown

ACCURACY_WORDS = re.compile(r"accuracy|准确率", re.I)
DECIMAL = re.compile(r"(?<![\d.,])0\.\d{2,}(?![\d])")
PERCENT = re.compile(r"(?<![\d.,])(\d{1,3}(?:\.\d+)?)\s?[%％]")
CLAUSE_END = re.compile(r"(?<=[.,;:!?])\s+|[。，；：！？]")
GLUE_ROLE = re.compile(r"\{glue(?::\w*)?\}`([^`]+)`")
TERM_ROLE = re.compile(r"\{term\}`([^`<]+?)(?:\s*<[^`>]+>)?`")
GLUE_CALL = re.compile(r"""\bglue\(\s*(['"])([^'"]+)\1""")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)


def glue_key(role_content):
    """`test_acc:.2f` -> test_acc; `../06_train/en::acc` -> acc (the page is not checked here)."""
    key = role_content.split("::", 1)[-1]
    return key.rsplit(":", 1)[0] if ":" in key else key


def prose_text(markdown):
    """The paragraphs of a Markdown cell as plain text, one string each: glue roles become ‹glue›,
    {term} roles their text, inline code ‹code›; code blocks and math are dropped."""
    from markdown_it import MarkdownIt
    markdown = GLUE_ROLE.sub("‹glue›", markdown)
    markdown = TERM_ROLE.sub(lambda m: m[1], markdown)
    markdown = MATH.sub(" ‹math› ", prose_markdown(markdown))
    paragraphs = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        if token.type == "inline":
            paragraphs.append("".join(c.content if c.type == "text" else "‹code›" if c.type == "code_inline"
                                      else " " for c in token.children or []))
    return paragraphs


def unbacked_figures(markdown):
    """[(figure, clause)] for every accuracy figure written into the prose instead of glued."""
    found = []
    for paragraph in prose_text(markdown):
        for clause in CLAUSE_END.split(paragraph):
            if not ACCURACY_WORDS.search(clause):
                continue
            found += [(m[0], clause.strip()) for m in DECIMAL.finditer(clause)]
            found += [(m[0], clause.strip()) for m in PERCENT.finditer(clause) if float(m[1]) % 10]
    return found


def page_problems(path):
    """Unbacked figures in the page's prose, and glue roles whose key no code cell of the page glues."""
    nb = jupytext.read(path)
    glued = {m[2] for cell in nb.cells if cell.cell_type == "code" for m in GLUE_CALL.finditer(cell.source)}
    problems = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        problems += [f"{figure!r} in “{clause}”: glue it or point at the printed output"
                     for figure, clause in unbacked_figures(cell.source)]
        problems += [f"{{glue}} role names {glue_key(role)!r}, which no code cell of this page glues"
                     for role in GLUE_ROLE.findall(cell.source)
                     if "::" not in role and glue_key(role) not in glued]
    return problems


@pytest.mark.parametrize("chapter", CHAPTERS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_accuracy_figures_come_from_the_run(chapter, lang):
    problems = page_problems(ROOT / "book" / chapter / f"{lang}.md")
    assert problems == [], f"book/{chapter}/{lang}.md:\n" + "\n".join(problems)


def test_pages_glue_their_figures():
    """The chapters that report the trained model's accuracy do it with glue, in both languages."""
    for chapter in ("06_train", "07_evaluate", "08_predict", "09_verify", "12_mistakes"):
        for lang in ("en", "zh"):
            text = (ROOT / "book" / chapter / f"{lang}.md").read_text(encoding="utf-8")
            assert GLUE_ROLE.search(text) and "from myst_nb import glue" in text, f"{chapter}/{lang}"


def test_typed_figures_are_caught():
    assert unbacked_figures("the accuracy climbs from around 0.82 to around 0.91.") == [
        ("0.82", "the accuracy climbs from around 0.82 to around 0.91."),
        ("0.91", "the accuracy climbs from around 0.82 to around 0.91.")]
    assert [f for f, _ in unbacked_figures("It reaches a test accuracy of about 88% (evaluation).")] == ["88%"]
    assert [f for f, _ in unbacked_figures("模型在测试集上的准确率大约是 88%（见评估）。")] == ["88%"]
    assert [f for f, _ in unbacked_figures("准确率则从 0.82 左右升到 0.91 左右。")] == ["0.82", "0.91"]
    assert [f for f, _ in unbacked_figures("a test {term}`accuracy` of 91.3 %")] == ["91.3 %"]
    assert [f for f, _ in unbacked_figures("```{note}\nThe accuracy is 0.88 here.\n```")] == ["0.88"]
    assert [f for f, _ in unbacked_figures(":::{dropdown} Why\nWith an accuracy of about 0.88, we\n:::")] == ["0.88"]


def test_glued_and_harmless_numbers_pass():
    assert unbacked_figures("the accuracy climbs from {glue:text}`first:.2f` to {glue:text}`last:.0%`.") == []
    assert unbacked_figures("准确率从 {glue:text}`first:.2f` 升到 {glue:}`last`。") == []
    harmless = ("Images are 28 × 28 pixels, and an epoch is 1,875 steps. The learning rate is 0.001 by "
                "default. An untrained model's accuracy is about 0.1, guessing: 10%. The accuracy stays "
                "well below 0.9, and 100% accuracy is rare. `validation_split=0.2` keeps 20% of the "
                "images. The accuracy is `print(0.88)` and $0.88 \\times 100$. Accuracy; 1/255 ≈ 0.004")
    assert unbacked_figures(harmless) == []
    assert unbacked_figures("```python\nprint('accuracy 0.88')\n```") == []
    assert unbacked_figures("A median confidence of 0.97 when right.") == []  # not an accuracy


def test_planted_figure_fails_a_page(tmp_path):
    """The page check can fail: type a number over a glued one, or glue a key no cell glues."""
    for lang, role, typed in (("en", "{glue:text}`test_accuracy:.1%`", "88%"),
                              ("zh", "{glue:text}`test_accuracy:.1%`", "88%")):
        source = (ROOT / "book" / "08_predict" / f"{lang}.md").read_text(encoding="utf-8")
        assert role in source
        assert page_problems(ROOT / "book" / "08_predict" / f"{lang}.md") == []
        planted = tmp_path / f"{lang}.md"
        planted.write_text(source.replace(role, typed, 1), encoding="utf-8")
        problems = page_problems(planted)
        assert len(problems) == 1 and problems[0].startswith("'88%' in"), problems
        planted.write_text(source.replace(role, "{glue:text}`test_acuracy:.1%`", 1), encoding="utf-8")
        assert page_problems(planted) == [
            "{glue} role names 'test_acuracy', which no code cell of this page glues"]
