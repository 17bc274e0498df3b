"""The course's terminology (book/terminology.yml) and what is generated from it.

    python tools/terminology.py          # write the glossary pages and the jieba dictionary
    python tools/terminology.py --check  # exit 1 if they differ from what would be written
    python tools/terminology.py --lint   # list rejected Chinese variants used on Chinese pages

Generated: book/15_glossary/en.md and zh.md (MyST `{glossary}` pages; on the Chinese page each
term is followed by its English one, 张量（tensor）) and book/_ext/jieba_dict.txt, the user
dictionary of the Chinese search (`html_search_options` in _config.zh.yml), so that jieba keeps
过拟合, 损失函数... whole. The functions below are also used by tests/test_terminology.py.
"""

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TERMINOLOGY = ROOT / "book" / "terminology.yml"
GLOSSARY = ROOT / "book" / "15_glossary"
JIEBA_DICT = ROOT / "book" / "_ext" / "jieba_dict.txt"
CJK = re.compile(r"[\u4e00-\u9fff]")

GENERATED = "generated from book/terminology.yml by tools/terminology.py; edit that file, then run the script"
PAGE = {
    "en": ("Glossary", "The terms this course uses, with the Chinese term the Chinese pages use for each. "
                       "A term linked in a chapter leads here."),
    "zh": ("术语表", "本课程使用的术语，括号中是对应的英文术语。章节中带链接的术语都指向这里。"
                    "中文译名以《动手学深度学习》（d2l-zh）的术语表为准，个别例外在 `book/terminology.yml` 中说明了理由。"),
}


def load(path=TERMINOLOGY):
    terms = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["terms"]
    for term in terms:
        term.setdefault("rejected", [])
        term.setdefault("allow", [])
        term.setdefault("search", [])
    return terms


def label(term, lang):
    """The glossary entry's name: `tensor` on the English page, `张量（tensor）` on the Chinese one."""
    if lang == "en" or term["zh"] == term["en"]:
        return term["en"] if lang == "en" else term["zh"]
    return f"{term['zh']}（{term['en']}）"


def pinyin_key(text):
    """How a Chinese index sorts `text`: by its pinyin, letter by letter (Latin-script terms such as
    softmax under their own letters), then by tones and characters to break ties."""
    from pypinyin import Style, lazy_pinyin
    plain = " ".join(lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: list(chars))).lower()
    tones = " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True,
                                 errors=lambda chars: list(chars))).lower()
    return plain, tones, text


def sorted_for(terms, lang):
    """The glossary's order: English alphabetical on the English page, pinyin on the Chinese one."""
    if lang == "en":
        return sorted(terms, key=lambda term: term["en"].lower())
    return sorted(terms, key=lambda term: pinyin_key(term["zh"]))


def other_language(text, lang):
    """`text` marked up as being in `lang` (book/_ext/a11y.py's {lang} role writes lang=...), so a
    screen reader reads 张量 on an English page in Chinese."""
    return f"{{lang}}`{lang}:{text}`"


def glossary_page(terms, lang):
    title, intro = PAGE[lang]
    lines = [f"% {GENERATED}", "", f"# {title}", "", intro, "", "```{glossary}"]
    for term in sorted_for(terms, lang):
        definition = term["definition"][lang]
        if lang == "en" and term["zh"] != term["en"]:
            definition += f" Chinese: {other_language(term['zh'], 'zh-CN')}."
        if lang == "zh" and term.get("d2l") and term["d2l"] != term["zh"]:
            definition += f"d2l-zh 译作“{term['d2l']}”。"
        name = label(term, lang)
        if lang == "zh" and term["zh"] != term["en"]:  # 张量（tensor）: the English part in English
            name = f"{term['zh']}（{other_language(term['en'], 'en')}）"
        lines += [name, f"  {definition}", ""]
    lines[-1:] = ["```", ""]
    return "\n".join(lines)


def jieba_dictionary(terms):
    """One word a line. Without a frequency, jieba computes one that keeps the word whole.
    (It is generated from book/terminology.yml like the glossary.) One-character words are left out: they need no help, and a boosted 层 would cut words apart."""
    words = []
    for term in terms:
        for word in [term["zh"], *term["search"]]:
            if CJK.search(word) and len(word) > 1 and word not in words:
                words.append(word)
    return "".join(f"{word}\n" for word in words)  # jieba reads no comments


def outputs(terms=None):
    """{path: text} of every generated file; the glossary pages carry the twins' alignment hashes."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("twins_tool", ROOT / "tools" / "twins.py")
    twins = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(twins)
    KEY, text_hash, with_hash = twins.KEY, twins.text_hash, twins.with_hash
    terms = load() if terms is None else terms
    en, zh = glossary_page(terms, "en"), glossary_page(terms, "zh")
    return {
        GLOSSARY / "en.md": with_hash(en, KEY["en"], text_hash(zh)),
        GLOSSARY / "zh.md": with_hash(zh, KEY["zh"], text_hash(en)),
        JIEBA_DICT: jieba_dictionary(terms),
    }


def drift(terms=None):
    """Generated files that differ from what the generator writes now."""
    return [path for path, text in outputs(terms).items()
            if not path.is_file() or path.read_text(encoding="utf-8") != text]


# --- rejected variants ------------------------------------------------------------------------

def _without_code(text):
    text = re.sub(r"^(```|~~~).*?^\1[ \t]*$", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def rejected_uses(text, terms=None):
    """[(variant, chosen term, context)] for every rejected variant in a Chinese text.

    Chinese variants count everywhere, code comments and strings included (a student reads those
    too); Latin-script ones (Relu) only in prose, since code may spell `relu` as Keras does."""
    terms = load() if terms is None else terms
    found = []
    prose = _without_code(text)
    for term in terms:
        for variant in term["rejected"]:
            where = text if CJK.search(variant) else prose
            for allowed in term["allow"]:
                where = where.replace(allowed, "□" * len(allowed))
            pattern = re.escape(variant) if CJK.search(variant) else rf"(?<![A-Za-z]){re.escape(variant)}(?![A-Za-z])"
            for match in re.finditer(pattern, where):
                context = where[max(0, match.start() - 12):match.end() + 12].replace("\n", " ")
                found.append((variant, term["zh"], context))
    return found


def chinese_texts(root=ROOT):
    """(name, text) of every Chinese text a student reads: the book's Chinese pages, the Chinese
    README, the Markdown of the Chinese notebooks and the Chinese messages of the autograder."""
    import nbformat
    texts = [(path.relative_to(root).as_posix(), path.read_text(encoding="utf-8"))
             for path in sorted((root / "book").glob("*/zh.md"))]
    texts.append(("README.zh-CN.md", (root / "README.zh-CN.md").read_text(encoding="utf-8")))
    for kind in ("exercises", "solutions"):
        path = root / kind / "fashion_mnist_zh" / "fashion_mnist.ipynb"
        notebook = nbformat.read(path, as_version=4)
        for number, cell in enumerate(notebook.cells, 1):
            if cell.cell_type == "markdown":
                texts.append((f"{path.relative_to(root).as_posix()} cell {number}", cell.source))
    sys.path.insert(0, str(root))
    from autograder.messages import MESSAGES
    for key, (_, chinese) in MESSAGES.items():
        texts.append((f"autograder message {key!r}", chinese))
    return texts


# --- Chinese typography ------------------------------------------------------------------------

def _prose(text):
    """The prose of a Chinese page: no front matter, code, inline code, roles' targets, formulas,
    links' addresses or HTML tags (their numbers and spaces are not typography)."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = re.sub(r"^(```|~~~).*?^\1[ \t]*$", "", text, flags=re.S | re.M)
    # what is cut out leaves a stand-in, so that "中，`x` 无论" keeps its one space
    text = re.sub(r"\{[\w:-]+\}`[^`\n]*`|`[^`\n]*`", "C", text)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", "M", text, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"<[^>\n]+>|https?://\S+", "", text)
    return text


def _code_strings(text):
    """The string literals of the page's code cells (what their printed output shows)."""
    import io
    import tokenize
    strings = []
    for block in re.findall(r"^```\{code-cell\}[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
        block = re.sub(r"\A(?::[^\n]*\n|---\n.*?\n---\n)*", "", block, flags=re.S)
        try:
            for token in tokenize.generate_tokens(io.StringIO(block).readline):
                if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                    strings.append(token.string)
        except (tokenize.TokenError, IndentationError, SyntaxError):
            strings.append(block)
    return "\n".join(strings)


CJK_TEXT = "[\u4e00-\u9fff]"
# (name, pattern, what to write instead, where: "prose", "strings" or "both")
TYPOGRAPHY = [
    ("italic Chinese", re.compile(rf"(?<![*\\A-Za-z0-9_])([*_])(?![*_\s])[^*_\n]*?{CJK_TEXT}[^*_\n]*?(?<![\s*_])\1(?![*_A-Za-z0-9])"),
     "bold (**...**): Chinese is not slanted", "prose"),
    ("T 恤", re.compile(r"T\s+恤|Ｔ恤|t恤"), "T恤", "both"),
    ("单元 for a notebook cell", re.compile(r"(?:运行|执行)[^。，；：\n]{0,8}单元(?![格测])|单元(?![格测])[^。，；：\n]{0,6}(?:被运行|运行了|运行两|执行)"),
     "单元格 (a unit of a layer is 单元)", "both"),
    ("万 for a count", re.compile(r"\d\s*万"), "digits with thousands separators (70,000)", "prose"),
    ("long number without separators", re.compile(r"(?<![\d.,:/#\w-])\d{5,}(?![\d.,:/\w-])"),
     "thousands separators (100,480)", "prose"),
    ("space after full-width punctuation", re.compile(r"[：，。；！？、）》」”](?:[ \t\u3000])+(?=[^\s|])"),
     "nothing: full-width punctuation carries its own space", "both"),
]


def typography_problems(text):
    """[(rule, what to write instead, context)] for a Chinese page's text."""
    places = {"prose": _prose(text), "strings": _code_strings(text)}
    found = []
    for name, pattern, instead, where in TYPOGRAPHY:
        for place in (["prose", "strings"] if where == "both" else [where]):
            for match in pattern.finditer(places[place]):
                context = places[place][max(0, match.start() - 12):match.end() + 12].replace("\n", " ")
                found.append((name, instead, context))
    return found


def lint(root=ROOT):
    terms = load()
    return [f"{name}: {variant} -> {chosen} ({context})"
            for name, text in chinese_texts(root) for variant, chosen, context in rejected_uses(text, terms)]


def typography_lint(root=ROOT):
    """The typography rules' findings on the book's Chinese pages."""
    problems = []
    for path in sorted((root / "book").glob("*/zh.md")):
        for rule, instead, context in typography_problems(path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(root).as_posix()}: {rule} -> {instead} ({context})")
    return problems


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if "--lint" in args:
        problems = lint() + typography_lint()
        print("\n".join(problems) if problems else "no rejected variants")
        return 1 if problems else 0
    if "--check" in args:
        stale = drift()
        for path in stale:
            print(f"{path.relative_to(ROOT)} differs from book/terminology.yml: run python tools/terminology.py")
        return 1 if stale else 0
    for path, text in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
