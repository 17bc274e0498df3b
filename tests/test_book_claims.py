"""What the pages say agrees with what their cells print (fast, no build: reads the MyST sources).

Issue #17 found sentences that the page's own output contradicted. Each is now backed by a cell:
the number is glued from the run (test_book_numbers.py checks that glue keys exist), and a guard,
an `assert` in a code cell, states the wording's condition, so the build fails the day the run no
longer supports the sentence. This module keeps each of those repairs in place, in both languages:

- CLAIMS: for each repaired statement, the glue keys its prose must use, the guard its code must
  contain, and the old wording that may not come back;
- issue #25's corrections: 05's gradient sign, 07's definitions of overfitting and underfitting
  and its shirts answer, the logits numbered z_0..z_9 everywhere (LOGIT_INDICES), 07b's rule that no
  remedy is chosen on test figures (set_rule_problems), and no "epoch" in chapters 02-05 before 05
  defines it;
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
    old: dict = field(default_factory=dict)   # {lang: wording or tuple of wordings that may not return}
    new: dict = field(default_factory=dict)   # {lang: wording or tuple of wordings the page must hold}


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
          ("plain_gap", "dropout_gap", "weight_decay_gap", "early_stopping_epochs", "chosen_test_accuracy"),
          "assert run.final_gap < plain.final_gap / 2",
          {"en": "also gives the best test accuracy", "zh": "的测试准确率也是四者中最高的"}),
    Claim("05_compile", "p - y is negative at the true class; the step against it raises that score (#25)",
          (), "",
          {"en": "the gradient pushes the true class's score up", "zh": "梯度把真实类别的分数往上推"},
          {"en": ("Its entry for the true class, $p_y - 1$, is negative", "The step that does this goes against the gradient"),
           "zh": ("真实类别那一项是 $p_y - 1$，是负的", "真正去调整分数的那一步是逆着梯度走的")}),
    Claim("07_evaluate", "the gap is a symptom of overfitting; underfitting defined; shirts underfit (#25)",
          ("train_accuracy", "test_accuracy"), "",
          {"en": ("This gap is called **overfitting**", "mistakes are not a lack of training"),
           "zh": ("这种差距叫作**过拟合**", "这些错误并不是训练不够造成的")},
          {"en": ("The gap is a symptom of **{term}`overfitting`**", "**{term}`underfitting`**",
                  "for this class the model underfits"),
           "zh": ("这个差距是{term}`过拟合 <过拟合（overfitting）>`的表现", "{term}`欠拟合 <欠拟合（underfitting）>`",
                  "而是模型在这一类上欠拟合")}),
]


def _wordings(value):
    return (value,) if isinstance(value, str) else tuple(value or ())


def notebook(chapter, lang, root=ROOT):
    return jupytext.read(root / "book" / chapter / f"{lang}.md")


def claim_problems(claim, lang, nb):
    problems = []
    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    flat = " ".join(prose.split())  # a wording may be wrapped anywhere in the source
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    used = {glue_key(role) for role in GLUE_ROLE.findall(prose)}
    problems += [f"the text no longer quotes {{glue}}`{key}`" for key in claim.glued if key not in used]
    if claim.guard and claim.guard not in code:
        problems.append(f"no cell guards the wording any more ({claim.guard!r})")
    for old in _wordings(claim.old.get(lang)):
        if old in flat:
            problems.append(f"the old, contradicted wording is back: {old!r}")
    for new in _wordings(claim.new.get(lang)):
        if new not in flat:
            problems.append(f"the corrected wording is gone: {new!r}")
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


# --- issue #25: notation, the test-set rule, terms before their definition --------------------

# the logits are numbered like the labels, z_0 ... z_9 (05 and 08 once differed)
LOGIT_INDICES = re.compile(r"z_\{?10\}?(?![\d])|z_1\s*,\s*\\dots|\\sum_\{j\s*=\s*1\}\^\{?10\}?")


def logit_index_problems(text):
    """Places where a page numbers the ten logits 1..10 instead of 0..9."""
    return [text[max(0, m.start() - 30):m.end() + 10].replace("\n", " ") for m in LOGIT_INDICES.finditer(text)]


def test_logits_are_numbered_from_zero_everywhere():
    pages = sorted((ROOT / "book").glob("*/*.md")) + [ROOT / "book" / "terminology.yml"]
    found = {str(path.relative_to(ROOT)): logit_index_problems(path.read_text(encoding="utf-8")) for path in pages}
    assert {path: hits for path, hits in found.items() if hits} == {}
    assert "z_0, \\dots, z_9" in (ROOT / "book" / "08_predict" / "en.md").read_text(encoding="utf-8")


def test_logits_numbered_from_one_fail():
    assert logit_index_problems(r"For the logits $z_1, \dots, z_{10}$ of one image") != []
    assert logit_index_problems(r"\frac{e^{z_k}}{\sum_{j=1}^{10} e^{z_j}}") != []
    assert logit_index_problems(r"logits $z_0, \dots, z_9$, \sum_{j=0}^{9} e^{z_j}, z_{12}") == []


TEST_FIGURES_ALLOWED = {"chosen_test_accuracy", "full_test_accuracy"}
CHOICE_ON_VALIDATION = "chosen = min(val_loss, key=val_loss.get)"
KEPT_WEIGHTS = "run, kept = runs[remedy], kept_epoch(remedy)"


def set_rule_problems(nb):
    """07b's rule, chapter 07's own: remedies are ranked on validation figures and only the chosen
    one is measured on the test set. Problems: the prose quotes another run's test figure, a visible
    table has a test column, no cell makes the choice on the validation loss, or the table's rows
    are not those of the weights each run keeps (early stopping's restored best epoch)."""
    problems = []
    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    for key in sorted({glue_key(role) for role in GLUE_ROLE.findall(prose)}):
        if "test" in key and key not in TEST_FIGURES_ALLOWED:
            problems.append(f"the text quotes a test figure of a run not chosen: {key}")
    visible = [cell.source for cell in nb.cells if cell.cell_type == "code"
               and not HIDING_TAGS & set(cell.metadata.get("tags", []))]
    for source in visible:
        for header in re.findall(r"table\(rows,\s*(\[[^\]]*\])", source):
            if re.search(r"[\"'](?:test|测试)[\"']", header):
                problems.append(f"a results table with a test column: {header}")
    code = "\n".join(visible)
    if CHOICE_ON_VALIDATION not in code:
        problems.append("no visible cell chooses on the validation loss")
    if KEPT_WEIGHTS not in code:
        problems.append("the results table does not describe the weights each run keeps")
    return problems


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_remedy_is_chosen_on_test_figures(lang):
    assert set_rule_problems(notebook("07b_overfitting", lang)) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_choosing_on_test_figures_fails(tmp_path, lang):
    """The old 07b: a test column, and a sentence that quotes dropout's test accuracy."""
    header = {"en": '"then up by"]', "zh": '"此后回升"]'}[lang]   # the table's last column
    planted = _planted(tmp_path, "07b_overfitting", lang,
                       ("chosen_test_accuracy:.1%", "dropout_test_accuracy:.1%"),
                       (header, header[:-1] + ', "test"]' if lang == "en" else header[:-1] + ', "测试"]'),
                       (CHOICE_ON_VALIDATION, "chosen = max(runs, key=lambda r: runs[r].test_accuracy)"),
                       (KEPT_WEIGHTS, "run, kept = runs[remedy], runs[remedy].epochs_trained"))
    problems = set_rule_problems(planted)
    assert len(problems) == 4, problems


EARLY_CHAPTERS = ["02_explore", "03_preprocess", "04_model", "05_compile"]
EPOCH_DEFINED = "*{term}`epoch`*"


def epoch_before_definition(nb):
    """Prose sentences of an English page that say "epoch" before the page defines it."""
    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    prose = re.sub(r"`[^`]*`", "", prose.replace(EPOCH_DEFINED, "\x00"))
    defined = prose.find("\x00")
    before = prose if defined < 0 else prose[:defined]
    return [before[max(0, m.start() - 40):m.end() + 20].replace("\n", " ")
            for m in re.finditer(r"\bepochs?\b", before, re.I)]


@pytest.mark.parametrize("chapter", EARLY_CHAPTERS)
def test_no_epoch_before_chapter_05_defines_it(chapter):
    """Chapter 06 trains for epochs; before it, a page may say "epoch" only after defining it
    (05 does, where its optional part first needs the word)."""
    assert epoch_before_definition(notebook(chapter, "en")) == []


def test_an_undefined_epoch_fails(tmp_path):
    planted = _planted(tmp_path, "03_preprocess", "en",
                       ("trained with a single pass over", "trained for a single epoch on"))
    assert epoch_before_definition(planted) != []
    planted = _planted(tmp_path, "05_compile", "en", (EPOCH_DEFINED, "epoch"))
    assert epoch_before_definition(planted) != []


def test_old_wrong_sign_fails(tmp_path):
    claim = next(c for c in CLAIMS if c.chapter == "05_compile")
    nb = _planted(tmp_path, "05_compile", "en",
                  ("The predicted probabilities minus the right answer. Its entry for the true class, $p_y - 1$, is\nnegative",
                   "The predicted probabilities minus the right answer: the gradient pushes the true class's score up\nby $1 - p_y$"))
    problems = claim_problems(claim, "en", nb)
    assert any("old, contradicted" in p for p in problems) and any("corrected wording is gone" in p for p in problems)
