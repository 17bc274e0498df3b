"""What the pages say agrees with what their cells print (fast, no build: reads the MyST sources).

Issue #17 found sentences that the page's own output contradicted. Each is now backed by a cell:
the number is glued from the run (test_book_numbers.py checks that glue keys exist), and a guard,
an `assert` in a code cell, states the wording's condition, so the build fails the day the run no
longer supports the sentence. This module keeps each of those repairs in place, in both languages:

- CLAIMS: for each repaired statement, the glue keys its prose must use, the guard its code must
  contain, and the old wording that may not come back;
- "predict, then run": in the chapters below, a code cell of the Exercises section whose output
  answers the exercise is collapsed (`hide-output`), and every "pause and think" box has its answer
  in a dropdown before the next section.

Each check is shown failing on a planted case at the end.
"""

import re
from dataclasses import dataclass, field

import jupytext
import pytest

from book_site import ROOT
from test_book_numbers import GLUE_ROLE, glue_key

# the chapters of issue #17 this module covers (01-06 have their own owner); add a chapter here
# once its pages follow the rules
CHAPTERS = ["07_evaluate", "07b_overfitting", "08_predict", "09_verify", "10_single_image",
            "11_save_load", "12_mistakes", "13_exercises", "14_instructors", "16_references"]
HIDING_TAGS = {"hide-output", "hide-cell", "remove-cell", "remove-output", "raises-exception"}
EXERCISES = {"en": "Exercises", "zh": "练习"}
PAUSE = {"en": "Pause and think", "zh": "想一想"}


@dataclass(frozen=True)
class Claim:
    """A statement of a page that a cell backs: `glued` keys its prose uses, a `guard` (code a
    code cell contains), and wordings, per language, that contradicted the output once."""
    chapter: str
    what: str
    glued: tuple
    guard: str
    old: dict = field(default_factory=dict)


CLAIMS = [
    Claim("09_verify", "four or more wrong of 15 is about a 10% chance, not rare",
          ("p_four_or_more", "p_five_or_more"), "assert 0.05 < at_least[4] < 0.2 and at_least[5] < 0.05",
          {"en": "would happen only rarely", "zh": "单凭偶然很少会发生"}),
    Claim("11_save_load", "the .weights.h5 file holds the optimizer's variables and is barely smaller",
          ("weights_kb", "keras_kb", "optimizer_numbers"),
          'assert numbers["optimizer"] > numbers["layers"] and weights_kb > 0.95 * keras_kb',
          {"en": "no optimizer state, hence the smaller file", "zh": "也没有优化器状态，所以文件也更小"}),
    Claim("12_mistakes", "(almost) every score is clipped, so the gradients vanish",
          ("clipped_share",), "assert clipped > 0.99",
          {"en": "for most scores", "zh": "对大多数分数"}),
    Claim("08_predict", "the most confident mistakes are less often the frequent confusions",
          ("share_common_all", "share_common_sure"), "assert share_sure < share_all",
          {"en": "They are rarely the shirt and T-shirt mix-ups", "zh": "它们很少是错误里最常见的衬衫和 T恤之争"}),
    Claim("07_evaluate", "shirts are taken for T-shirts/tops far more often than the reverse",
          ("shirt_as_tshirt", "tshirt_as_shirt"), "assert confusion[6, 0] > 2 * confusion[0, 6]",
          {"zh": "一件普通的衬衫看起来像一件典型 T恤的情况"}),
    Claim("09_verify", "the note on older write-ups (zh said: earlier versions of this course)",
          (), "", {"zh": "本课程一些较早的版本"}),
    Claim("10_single_image", "the labels are turned only when the names are too wide (not in zh)",
          (), "rotation = 45 if longest > 8 else 0",
          {"zh": "名称较长，所以旋转 45 度"}),
    Claim("07b_overfitting", "the remedies' effects, as the runs show them",
          ("plain_gap", "dropout_gap", "weight_decay_gap", "early_stopping_epochs", "dropout_test_accuracy"),
          "assert run.final_gap < plain.final_gap / 2"),
]


def notebook(chapter, lang, root=ROOT):
    return jupytext.read(root / "book" / chapter / f"{lang}.md")


def claim_problems(claim, lang, nb):
    problems = []
    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    used = {glue_key(role) for role in GLUE_ROLE.findall(prose)}
    problems += [f"the text no longer quotes {{glue}}`{key}`" for key in claim.glued if key not in used]
    if claim.guard and claim.guard not in code:
        problems.append(f"no cell guards the wording any more ({claim.guard!r})")
    old = claim.old.get(lang)
    if old and old in prose:
        problems.append(f"the old, contradicted wording is back: {old!r}")
    return [f"book/{claim.chapter}/{lang}.md ({claim.what}): {p}" for p in problems]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda claim: f"{claim.chapter}:{claim.what[:30]}")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_repaired_statements_stay_backed(claim, lang):
    assert claim_problems(claim, lang, notebook(claim.chapter, lang)) == []


def test_chinese_class_names_fit_unturned():
    """10's zh text: the longest Chinese class name, T恤/上衣, is 8 columns wide, so the rule of its
    cell leaves the zh labels horizontal and turns the English ones."""
    from course import class_names
    from course.text import display_width
    widths = {lang: max(display_width(name) for name in class_names(lang)) for lang in ("en", "zh")}
    assert widths["zh"] == display_width("T恤/上衣") == 8 < widths["en"]


# --- predict, then run ------------------------------------------------------------------------

def _sections(nb):
    """(heading, [(cell_type, text)]) for each `## ` section of the page (and the part before the
    first); a Markdown cell that contains a heading is split there."""
    sections, heading, parts = [], "", []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            parts.append((cell, cell.source))
            continue
        lines = []
        for line in cell.source.splitlines():
            if line.startswith("## "):
                parts.append((cell, "\n".join(lines)))
                sections.append((heading, parts))
                heading, parts, lines = line[3:].strip(), [], []
            else:
                lines.append(line)
        parts.append((cell, "\n".join(lines)))
    sections.append((heading, parts))
    return sections


def _prints(source):
    return bool(re.search(r"\bprint\(|plt\.show\(\)", source))


def unhidden_answers(nb, lang):
    """Code cells of the Exercises section that show their output (the answer) uncollapsed."""
    found = []
    for heading, cells in _sections(nb):
        if heading != EXERCISES[lang]:
            continue
        for cell, _ in cells:
            if cell.cell_type == "code" and _prints(cell.source) \
                    and not HIDING_TAGS & set(cell.metadata.get("tags", [])):
                found.append(cell.source.splitlines()[0])
    return found


def unanswered_pauses(nb, lang):
    """'Pause and think' boxes with no dropdown after them in their section."""
    found = []
    for heading, cells in _sections(nb):
        text = "\n".join(text for cell, text in cells if cell.cell_type == "markdown")
        for match in re.finditer(r"\{admonition\} " + PAUSE[lang], text):
            if not re.search(r"\{dropdown\}", text[match.end():]):
                found.append(heading)
    return found


@pytest.mark.parametrize("chapter", CHAPTERS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_answers_wait_for_the_reader(chapter, lang):
    nb = notebook(chapter, lang)
    assert unhidden_answers(nb, lang) == [], f"tag these cells hide-output in book/{chapter}/{lang}.md"
    assert unanswered_pauses(nb, lang) == [], f"give these boxes an answer in a dropdown: book/{chapter}/{lang}.md"


def test_chapters_exist():
    for chapter in CHAPTERS:
        for lang in ("en", "zh"):
            assert (ROOT / "book" / chapter / f"{lang}.md").is_file(), (chapter, lang)


# --- the checks can fail ----------------------------------------------------------------------

def _planted(tmp_path, chapter, lang, *replacements):
    text = (ROOT / "book" / chapter / f"{lang}.md").read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / f"{chapter}_{lang}.md"
    path.write_text(text, encoding="utf-8")
    return jupytext.read(path)


@pytest.mark.parametrize("lang,sentence", [
    ("en", "Four or more would happen only rarely by chance."),
    ("zh", "错到 4 张或更多，单凭偶然很少会发生。")])
def test_the_old_binomial_answer_fails(tmp_path, lang, sentence):
    claim = CLAIMS[0]
    marker = "{glue:text}`p_four_or_more:.1%`"
    nb = _planted(tmp_path, claim.chapter, lang, (marker, sentence))
    problems = claim_problems(claim, lang, nb)
    assert any("p_four_or_more" in p for p in problems) and any("old, contradicted" in p for p in problems)


def test_a_removed_guard_fails(tmp_path):
    claim = CLAIMS[1]
    nb = _planted(tmp_path, claim.chapter, "en", (claim.guard, "pass"))
    assert claim_problems(claim, "en", nb) == [
        f"book/11_save_load/en.md ({claim.what}): no cell guards the wording any more ({claim.guard!r})"]


@pytest.mark.parametrize("claim,lang,anchor", [
    (CLAIMS[2], "en", "The gradients do\nnot point the wrong way; they vanish"),
    (CLAIMS[2], "zh", "梯度并没有指错方向，而是消失了"),
    (CLAIMS[4], "zh", "差得很多："),
    (CLAIMS[5], "zh", "这一课较早的一些写法"),
    (CLAIMS[6], "zh", "名称能不能并排放下"),
])
def test_each_old_wording_fails(tmp_path, claim, lang, anchor):
    nb = _planted(tmp_path, claim.chapter, lang, (anchor, claim.old[lang] + anchor))
    assert any("old, contradicted" in p for p in claim_problems(claim, lang, nb))


def test_a_shown_answer_fails(tmp_path):
    """08 exercise 3 printed '5127 images, accuracy 0.995' under its question: untagged, it fails."""
    nb = notebook("08_predict", "en")
    assert unhidden_answers(nb, "en") == []
    planted = _planted(tmp_path, "08_predict", "en", (":tags: [hide-output]\n\nsure = ", "sure = "))
    assert unhidden_answers(planted, "en") == ["sure = predictions.max(axis=1) > 0.99"]


def test_an_unanswered_pause_fails(tmp_path):
    planted = _planted(tmp_path, "08_predict", "zh", (":::{dropdown} “想一想”的答案", "：：："))
    assert len(unanswered_pauses(planted, "zh")) == 1
    assert unanswered_pauses(notebook("08_predict", "zh"), "zh") == []


def test_a_hash_of_digits_only_is_still_a_hash(tmp_path):
    """book/12_mistakes once hashed to 725754207905, which YAML reads as an integer: the twins
    looked stale forever, however often they were synced."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("twins_rules", ROOT / "book" / "_ext" / "twins.py")
    rules = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rules)
    page = "---\ntranslation:\n  twin_hash: 725754207905\n---\n\n# Page\n"
    assert rules.recorded_hash(page, "en") == "725754207905"
    assert rules.recorded_hash("# no front matter\n", "en") is None
