"""English and Chinese chapters are twins: same cells, same code but for comments and strings.

No build needed: this reads the MyST notebooks as jupytext does.
"""

import io
import re
import tokenize
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(path.parent.name for path in (ROOT / "book").glob("*/en.md"))


def code_shape(source):
    """The code's tokens without comments, with every string literal replaced by one placeholder."""
    tokens = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                          tokenize.DEDENT, tokenize.ENDMARKER):
            continue
        if token.type == tokenize.STRING or token.type in _FSTRING_PARTS:
            tokens.append("<str>")
        else:
            tokens.append(token.string)
    # an f-string is several tokens: collapse runs of placeholders and their insides
    return re.sub(r"(<str> ?)+", "<str> ", " ".join(tokens))


_FSTRING_PARTS = {getattr(tokenize, name) for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
                  if hasattr(tokenize, name)}


def cells(path):
    """Every cell as (type, tags, code shape); markdown cells keep only their type and tags."""
    nb = jupytext.read(path)
    return [(cell.cell_type, sorted(cell.metadata.get("tags", [])),
             code_shape(cell.source) if cell.cell_type == "code" else None)
            for cell in nb.cells]


def twin_problems(en_path, zh_path):
    en, zh = cells(en_path), cells(zh_path)
    if len(en) != len(zh):
        return [f"{len(en)} cells in English, {len(zh)} in Chinese"]
    return [f"cell {i + 1} ({a[0]}) differs" for i, (a, b) in enumerate(zip(en, zh)) if a != b]


def test_every_chapter_has_both_languages():
    for folder in (ROOT / "book").iterdir():
        if folder.is_dir() and folder.name[:2].isdigit():
            assert {p.name for p in folder.glob("*.md")} == {"en.md", "zh.md"}, folder.name
    assert len(CHAPTERS) >= 14


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chinese_twin_has_the_same_code(chapter):
    folder = ROOT / "book" / chapter
    assert twin_problems(folder / "en.md", folder / "zh.md") == []


def test_twin_check_can_fail(tmp_path):
    source = (ROOT / "book" / "05_compile" / "zh.md").read_text(encoding="utf-8")
    changed = tmp_path / "zh.md"
    changed.write_text(source.replace("optimizer='adam'", "optimizer='sgd'", 1).replace(
        "metrics=['accuracy']", "metrics=['accuracy', 'mse']", 1), encoding="utf-8")
    problems = twin_problems(ROOT / "book" / "05_compile" / "en.md", changed)
    assert problems and all("(code) differs" in p for p in problems)


def test_twin_check_sees_tags_and_cell_counts(tmp_path):
    en = ROOT / "book" / "12_mistakes" / "en.md"
    source = (ROOT / "book" / "12_mistakes" / "zh.md").read_text(encoding="utf-8")
    untagged = tmp_path / "untagged.md"
    untagged.write_text(source.replace(":tags: [raises-exception]\n", "", 1), encoding="utf-8")
    assert twin_problems(en, untagged)
    extra = tmp_path / "extra.md"
    extra.write_text(source + "\n+++\n\n多出来的一段。\n", encoding="utf-8")
    count = len(cells(en))
    assert twin_problems(en, extra) == [f"{count} cells in English, {count + 1} in Chinese"]


def test_comments_and_strings_may_differ():
    assert code_shape('plt.title("Loss")  # the loss\n') == code_shape("plt.title('损失')  # 损失\n")
    assert code_shape('print(f"acc {a:.2f}")') == code_shape('print(f"准确率 {a:.2f}")')
    assert code_shape("x = 1") != code_shape("x = 2")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_toc_lists_every_chapter_in_order(lang):
    toc = yaml.safe_load((ROOT / ("_toc.yml" if lang == "en" else "_toc.zh.yml")).read_text())
    assert toc["root"] == f"book/00_home/{lang}"
    assert [entry["file"] for entry in toc["chapters"]] == [f"book/{c}/{lang}" for c in CHAPTERS
                                                            if c != "00_home"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_hot_linked_pictures_and_no_input_shape(chapter):
    for lang in ("en", "zh"):
        text = (ROOT / "book" / chapter / f"{lang}.md").read_text(encoding="utf-8")
        assert not re.search(r"!\[[^\]]*\]\(https?://|<img[^>]+src=\"https?://", text), chapter
        assert "input_shape=" not in text or chapter == "12_mistakes", chapter


def unrendered_emphasis(markdown):
    """Bold or italic markers CommonMark leaves as literal asterisks, e.g. `**说明：**正文`: a closing
    `**` after full-width punctuation needs a space or punctuation after it, which Chinese lacks."""
    from markdown_it import MarkdownIt
    html = MarkdownIt("commonmark").render(markdown)
    text = re.sub(r"<code>.*?</code>|<pre>.*?</pre>", "", html, flags=re.S)
    return re.findall(r".{0,12}\*\*.{0,12}", text)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_bold_text_renders(chapter):
    for lang in ("en", "zh"):
        nb = jupytext.read(ROOT / "book" / chapter / f"{lang}.md")
        found = [hit for cell in nb.cells if cell.cell_type == "markdown"
                 for hit in unrendered_emphasis(cell.source)]
        assert found == [], f"{chapter}/{lang}.md: write **说明**：… not **说明：**… ({found[:3]})"


def test_unrendered_emphasis_is_found():
    assert unrendered_emphasis("**怎么读：**最后一行")
    assert unrendered_emphasis("**怎么读**：最后一行 `a**b`") == []


_CJK = "[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"


def broken_chinese_lines(text):
    """Prose lines that end and start in Chinese: the browser shows a stray space between them."""
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    return re.findall(f"{_CJK}\n{_CJK}", prose)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chinese_paragraphs_are_not_wrapped(chapter):
    text = (ROOT / "book" / chapter / "zh.md").read_text(encoding="utf-8")
    assert broken_chinese_lines(text) == [], chapter


def test_wrapped_chinese_is_caught():
    assert broken_chinese_lines("第一行写到这里，\n第二行接着写。") != []
    assert broken_chinese_lines("第一段。\n\n第二段。") == []
