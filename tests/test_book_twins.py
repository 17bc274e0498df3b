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


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"  # CJK ideographs, CJK and full-width punctuation
_FULL_WIDTH_PUNCTUATION = "\u3000-\u303f\uff00-\uffef\u2014\u2018\u2019\u201c\u201d\u2026"  # 。，：“”——…
_FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\s*(\{([\w-]+)\})?")
CODE_DIRECTIVES = {"glossary", "code-cell", "code-block", "code", "sourcecode", "literalinclude", "math", "raw", "eval-rst"}


def prose_markdown(markdown):
    """The page with its code fences kept and the fences of prose directives ({admonition}, {note},
    :::{dropdown}...) and their options blanked out, so their content is read as the Markdown it is."""
    out, stack = [], []  # stack: (fence, is_code)
    lines = markdown.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _FENCE.match(line)
        if stack and stack[-1][1]:  # inside code: only its closing fence matters
            if match and match[1][0] == stack[-1][0][0] and len(match[1]) >= len(stack[-1][0]) \
                    and not match[2] and line.strip() == match[1]:
                stack.pop()
            out.append(line)
        elif match and stack and line.strip() == match[1] and match[1][0] == stack[-1][0][0] \
                and len(match[1]) >= len(stack[-1][0]):
            stack.pop()  # the end of a prose directive
            out.append("")
        elif match and (match[1][0] == ":" or (match[3] and match[3] not in CODE_DIRECTIVES)):
            stack.append((match[1], False))  # a prose directive: drop its fence and options
            out.append("")
            while i + 1 < len(lines) and re.match(r"^\s*:[\w-]+:", lines[i + 1]):
                i += 1
                out.append("")
        elif match and match[1][0] != ":":
            stack.append((match[1], True))
            out.append(line)
        else:
            out.append(line)
        i += 1
    return "\n".join(out)


def _inline_tokens(markdown):
    from markdown_it import MarkdownIt
    _, markdown = re.match(r"(\A---\n.*?\n---\n)?(.*)", markdown, re.S).groups()
    for token in MarkdownIt("commonmark").enable("table").parse(prose_markdown(markdown)):
        if token.type == "inline":
            yield token.children or []


def broken_chinese_lines(markdown):
    """Line breaks inside a Chinese paragraph that the browser shows as a stray space: between two
    Chinese characters, and after full-width punctuation whatever follows (“，\nKeras”)."""
    found = []
    for children in _inline_tokens(markdown):
        for i, child in enumerate(children):
            if child.type != "softbreak":
                continue
            before = "".join(c.content for c in children[:i] if c.type in ("text", "code_inline"))[-1:]
            after = "".join(c.content for c in children[i + 1:] if c.type in ("text", "code_inline"))[:1]
            if (re.match(f"[{_FULL_WIDTH_PUNCTUATION}]", before) and after) or \
                    (re.match(f"[{_CJK}]", before) and re.match(f"[{_CJK}]", after)):
                found.append(f"{before}⏎{after}")
    return found


def straight_quotes(markdown):
    """"...": straight quotes around Chinese words in prose (code spans and blocks are not prose)."""
    found = []
    for children in _inline_tokens(markdown):
        line = "".join(c.content if c.type == "text" else "‹code›" if c.type == "code_inline" else "\n"
                       for c in children)  # a quote may enclose a code span, never one inside code
        found += re.findall(r'"[^"\n]*[\u4e00-\u9fff][^"\n]*"', line)
    return found


def chinese_markdown():
    """(name, Markdown) of every Chinese text written as Markdown: the book's pages, the Chinese
    README and the Markdown cells of the Chinese exercise notebook."""
    import nbformat
    texts = [(f"book/{chapter}/zh.md", cell.source) for chapter in CHAPTERS
             for cell in jupytext.read(ROOT / "book" / chapter / "zh.md").cells if cell.cell_type == "markdown"]
    texts.append(("README.zh-CN.md", (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")))
    notebook = nbformat.read(ROOT / "exercises" / "fashion_mnist_zh" / "fashion_mnist.ipynb", as_version=4)
    texts += [(f"exercises/fashion_mnist_zh/fashion_mnist.ipynb cell {n}", cell.source)
              for n, cell in enumerate(notebook.cells, 1) if cell.cell_type == "markdown"]
    return texts


def test_chinese_paragraphs_are_not_wrapped():
    found = [(name, broken) for name, text in chinese_markdown() if (broken := broken_chinese_lines(text))]
    assert found == [], "join these lines (no line break inside a Chinese paragraph):\n" + "\n".join(map(str, found))


def test_chinese_prose_has_full_width_quotes():
    found = [(name, quoted) for name, text in chinese_markdown() if (quoted := straight_quotes(text))]
    assert found == [], "write “…” around Chinese words, not \"…\":\n" + "\n".join(map(str, found))


def test_wrapped_chinese_is_caught():
    assert broken_chinese_lines("第一行写到这里，\n第二行接着写。") != []
    assert broken_chinese_lines("第一行写到这里\n第二行接着写。") != []
    assert broken_chinese_lines("先导入模块。\nKeras 随后") == ["。⏎K"]  # after full-width punctuation
    assert broken_chinese_lines("引号“测试”\nKeras 随后") == ["”⏎K"]
    assert broken_chinese_lines("第一段。\n\n第二段。") == []
    assert broken_chinese_lines("如下：\n\n- 第一项\n- 第二项") == []
    assert broken_chinese_lines("```python\nx = 1  # 注释，\n第二行 = 2\n```") == []
    # the content of a directive is prose; its fence and options are not
    assert broken_chinese_lines("```{admonition} 想一想\n:class: tip\n\n第一行，\n第二行。\n```") != []
    assert broken_chinese_lines(":::{dropdown} 参考答案\n答案在这里。\n:::") == []
    assert broken_chinese_lines("see\nthe English") == []


def test_straight_quotes_are_caught():
    assert straight_quotes('下方写着"预测类别"') == ['"预测类别"']
    assert straight_quotes("下方写着“预测类别”，代码 `print(\"预测\")`") == []
    assert straight_quotes('```python\nprint("训练图像")\n```') == []
    assert straight_quotes('读成了"起一个叫 `tffrom` 的别名"') == ['"起一个叫 ‹code› 的别名"']


# --- columns of Chinese text ----------------------------------------------------------------

def character_padded_columns(source):
    """f-string fields padded by a width ({name:12}, {name:<12s}): that counts characters, and a
    Chinese character takes two columns, so a column of Chinese names comes out ragged."""
    return re.findall(r"\{[^{}:!]+:[<>^]?\d+s?\}", source)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_printed_columns_are_padded_by_display_width(chapter):
    nb = jupytext.read(ROOT / "book" / chapter / "zh.md")
    found = [hit for cell in nb.cells if cell.cell_type == "code" for hit in character_padded_columns(cell.source)]
    assert found == [], f"{chapter}: use course.text.table(rows, headers) instead of {found}"


def test_padding_counts_display_columns():
    from course.text import display_width, table
    assert character_padded_columns('print(f"{name:12s} {accuracy:.3f} {x:8} {y:<10}")') == \
        ["{name:12s}", "{x:8}", "{y:<10}"]
    assert character_padded_columns('table(rows, headers=["类别", "准确率"])') == []
    assert display_width("T恤/上衣") == 8 and display_width("Ankle boot") == 10
    lines = str(table([("运动鞋", "0.9"), ("T恤/上衣", "0.8"), ("Sneaker", "0.7")], ["类别", "准确率"])).splitlines()
    assert len({display_width(line) for line in lines}) == 1, lines


# --- stale translations -----------------------------------------------------------------------

def _load(name, path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


twins_tool = _load("twins_tool", ROOT / "tools" / "twins.py")
twins_ext = twins_tool._rules  # book/_ext/twins.py, the Sphinx extension


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_translation_is_not_stale(chapter):
    status = twins_ext.twin_status(ROOT / "book" / chapter)
    assert not status["zh"], (f"book/{chapter}/zh.md is stale: the English page changed since it was "
                              f"translated. Update the translation, then run: python tools/twins.py sync book/{chapter}")


def _chapter_copy(tmp_path, chapter="06_train"):
    folder = tmp_path / "book" / chapter
    folder.mkdir(parents=True)
    for lang in ("en", "zh"):
        (folder / f"{lang}.md").write_text((ROOT / "book" / chapter / f"{lang}.md").read_text(encoding="utf-8"),
                                           encoding="utf-8")
    twins_tool.sync(folder)
    return folder


def test_stale_translation_is_caught(tmp_path):
    folder = _chapter_copy(tmp_path)
    assert twins_ext.twin_status(folder) == {"zh": False, "en": False}
    en = folder / "en.md"
    text = en.read_text(encoding="utf-8")
    # re-wrapping a paragraph or changing code (not its comments or strings) changes nothing
    en.write_text(text.replace("Everything is in place: ", "Everything is in place:\n", 1)
                  .replace("```{code-cell} ipython3\nimport course\n", "```{code-cell} ipython3\nimport course\nx = [1, 2]\n", 1),
                  encoding="utf-8")
    assert twins_ext.twin_status(folder) == {"zh": False, "en": False}
    # new English prose: the Chinese page is stale, until the translator syncs
    en.write_text(text.replace("Everything is in place", "Everything is now in place", 1), encoding="utf-8")
    assert twins_ext.twin_status(folder) == {"zh": True, "en": False}
    problems = twins_tool.stale_pages(tmp_path)
    assert problems == ["book/06_train/zh.md: the English changed since it was translated"]
    assert twins_tool.sync(folder) and twins_ext.twin_status(folder) == {"zh": False, "en": False}
    # a new English comment in a code cell counts too
    en.write_text(en.read_text(encoding="utf-8").replace("```{code-cell} ipython3\n", "```{code-cell} ipython3\n# new\n", 1),
                  encoding="utf-8")
    assert twins_ext.twin_status(folder)["zh"]
    twins_tool.sync(folder)
    # the Chinese changed on its own: the English page is the one to look at
    zh = folder / "zh.md"
    zh.write_text(zh.read_text(encoding="utf-8").replace("# 训练模型", "# 训练模型（新）", 1), encoding="utf-8")
    assert twins_ext.twin_status(folder) == {"zh": False, "en": True}


def test_sync_writes_the_hashes_into_the_front_matter(tmp_path):
    folder = _chapter_copy(tmp_path)
    zh = (folder / "zh.md").read_text(encoding="utf-8")
    front, _ = twins_ext.split_front_matter(zh)
    assert front["translation"]["source_hash"] == twins_ext.text_hash((folder / "en.md").read_text(encoding="utf-8"))
    assert front["kernelspec"]["name"] == "python3"  # the rest of the front matter is kept
    assert twins_tool.sync(folder) == []  # nothing to do the second time
    assert twins_tool.with_hash("# page\n", "source_hash", "abc") == "---\ntranslation:\n  source_hash: abc\n---\n\n# page\n"


def test_stale_page_shows_a_note(tmp_path):
    """The Sphinx extension puts the note on the built page (tested on a hand-made doctree)."""
    from docutils import nodes
    from types import SimpleNamespace
    folder = _chapter_copy(tmp_path)
    app = SimpleNamespace(srcdir=str(tmp_path))

    def built(lang):
        doctree = nodes.document(None, None)
        doctree += nodes.section("", nodes.title("", "Title"))
        twins_ext.add_twin_link(app, doctree, f"book/06_train/{lang}")
        return [p.astext() for p in doctree.findall(nodes.paragraph) if "twin-stale" in p["classes"]]

    assert built("zh") == [] and built("en") == []
    en = folder / "en.md"
    en.write_text(en.read_text(encoding="utf-8").replace("Everything is in place", "All is in place", 1), encoding="utf-8")
    assert built("zh") == ["英文版在此译文之后有改动：本页可能还没有反映这些改动，请同时参阅英文版。"]
    twins_tool.sync(folder)
    zh = folder / "zh.md"
    zh.write_text(zh.read_text(encoding="utf-8").replace("# 训练模型", "# 训练模型（新）", 1), encoding="utf-8")
    assert built("zh") == [] and built("en")[0].startswith("The Chinese version has changed")
