"""Twin pages: a link to the page's twin in the other language at the top of every page, a note
while a translation is stale, and the Chinese search's jieba dictionary.

Pages live at book/<chapter>/<lang>.md and the assembled site has one folder per build,
_build/site/en/ and _build/site/zh/, so the twin of en/book/05_compile/en.html is
../../../zh/book/05_compile/zh.html, whatever the page.

Staleness: zh.md's front matter records the hash of the English page's translatable text
(`translation: {source_hash: ...}`) and en.md's the hash of the Chinese page's
(`translation: {twin_hash: ...}`), both written by `python tools/twins.py sync book/<chapter>`
when the two say the same. The Chinese page is *stale* when the English text no longer has the
hash it records (the English changed since it was translated); the Chinese is *ahead* when its
own text no longer has the hash the English page records (it changed since the two were
aligned). Translatable text: the Markdown cells and the comments and strings of the code cells,
with runs of white space made one space (re-wrapping a paragraph changes nothing).
"""

import hashlib
import io
import re
import tokenize
from pathlib import Path

LABEL = {"en": "中文", "zh": "English"}  # the name of the other language, in that language
OTHER = {"en": "zh", "zh": "en"}
STALE = {  # shown on a page while its twin changed since the two were aligned
    "zh": ("英文版在此译文之后有改动：本页可能还没有反映这些改动，请同时参阅", "英文版"),
    "en": ("The Chinese version has changed since this page was last aligned with it; see the",
           "Chinese version"),
}
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_CELL_MARKER = re.compile(r"^(```\{code-cell\}[^\n]*\n(?::[^\n]*\n|---\n.*?\n---\n)*)(.*?)^```[ \t]*$",
                          re.S | re.M)


# --- translatable text and its hash (also used by tools/twins.py and the tests) ---------------

def split_front_matter(text):
    """(front matter as a dict, the rest of the page)."""
    import yaml
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    return yaml.safe_load(match[1]) or {}, text[match.end():]


def _code_text(source):
    """The comments and string literals of a piece of Python code, in order."""
    parts = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT or token.type == tokenize.STRING or \
                    token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                parts.append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):  # not Python: all of it counts
        return source
    return " ".join(parts)


def translatable_text(text):
    """What a translator translates: the prose, and the comments and strings of the code."""
    _, body = split_front_matter(text)
    pieces = []
    position = 0
    for cell in _CELL_MARKER.finditer(body):
        pieces.append(body[position:cell.start()])
        pieces.append(_code_text(cell[2]))
        position = cell.end()
    pieces.append(body[position:])
    return re.sub(r"\s+", " ", " ".join(pieces)).strip()


def text_hash(text):
    return hashlib.sha256(translatable_text(text).encode("utf-8")).hexdigest()[:12]


def recorded_hash(text, lang):
    front, _ = split_front_matter(text)
    translation = front.get("translation") or {}
    value = translation.get("source_hash" if lang == "zh" else "twin_hash")
    # YAML reads a hash of digits only (725754207905) as a number: compare it as text
    return None if value is None else str(value)


def twin_status(folder):
    """{'zh': stale?, 'en': stale?} for book/<chapter>: is the other language newer than this page?"""
    folder = Path(folder)
    en = (folder / "en.md").read_text(encoding="utf-8")
    zh = (folder / "zh.md").read_text(encoding="utf-8")
    return {"zh": recorded_hash(zh, "zh") != text_hash(en),
            "en": recorded_hash(en, "en") != text_hash(zh)}


# --- the Sphinx side --------------------------------------------------------------------------

def twin_uri(docname):
    folder, _, lang = docname.rpartition("/")
    if not folder or lang not in OTHER:
        return None, None
    up = "../" * (docname.count("/") + 1)
    return f"{up}{OTHER[lang]}/{folder}/{OTHER[lang]}.html", LABEL[lang]


def _status(app, docname):
    folder, _, lang = docname.rpartition("/")
    folder = Path(app.srcdir) / folder
    if lang not in OTHER or not (folder / "en.md").is_file() or not (folder / "zh.md").is_file():
        return False
    return twin_status(folder)[lang]


def add_twin_link(app, doctree, docname):
    from docutils import nodes
    uri, label = twin_uri(docname)
    if not uri:
        return
    link = nodes.reference("", label, refuri=uri, classes=["twin-link"])
    # the theme's own Font Awesome "language" icon: an emoji would be a box without an emoji font
    icon = nodes.raw("", '<i class="fa-solid fa-language" aria-hidden="true"></i> ', format="html")
    link.insert(0, icon)
    paragraph = nodes.paragraph("", "", link, classes=["twin-link"])
    sections = list(doctree.findall(nodes.section))
    target = sections[0] if sections else doctree
    index = 1 if sections and isinstance(target[0], nodes.title) else 0
    target.insert(index, paragraph)
    if _status(app, docname):
        lang = docname.rsplit("/", 1)[1]
        text, link_text = STALE[lang]
        note = nodes.paragraph("", text + (" " if lang == "en" else ""), classes=["twin-stale"])
        note += nodes.reference("", link_text, refuri=uri)
        note += nodes.Text("。" if lang == "zh" else ".")
        target.insert(index + 1, note)


def outdated_by_twin(app, env, added, changed, removed):
    """Re-read a page when its twin's status changed (the twin may not be in this build)."""
    known = getattr(env, "twins_status", {})
    now = {docname: _status(app, docname) for docname in env.found_docs}
    env.twins_status = now
    return [docname for docname, stale in now.items() if known.get(docname, False) != stale]


def add_static_path(app):
    app.config.html_static_path.append(str(Path(__file__).with_name("static")))


def search_dictionary(app, config):
    """Make html_search_options' jieba `dict` absolute, and fail loudly when the file is missing:
    Sphinx silently ignores a dictionary it cannot find (sphinx/search/zh.py)."""
    from sphinx.util import logging
    options = config.html_search_options or {}
    if not options.get("dict"):
        return
    path = Path(options["dict"])
    if not path.is_absolute():
        path = Path(app.srcdir) / path
    if not path.is_file():
        logging.getLogger(__name__).warning(f"jieba dictionary not found: {path}")
        return
    config.html_search_options = {**options, "dict": str(path)}


def single_character_terms(srcdir):
    """Chinese glossary terms of one character (层, 轮): Sphinx's Chinese search drops every
    one-character word from its index, so without this they could not be searched for."""
    import yaml
    path = Path(srcdir) / "book" / "terminology.yml"
    if not path.is_file():
        return set()
    terms = yaml.safe_load(path.read_text(encoding="utf-8"))["terms"]
    return {term["zh"] for term in terms if len(term["zh"]) == 1}


def chinese_search_language(app):
    from sphinx.search.zh import SearchChinese

    class SearchChineseWithTerms(SearchChinese):
        keep = single_character_terms(app.srcdir)

        def word_filter(self, stemmed_word):
            return stemmed_word in self.keep or super().word_filter(stemmed_word)

    app.add_search_language(SearchChineseWithTerms)


def setup(app):
    app.connect("builder-inited", add_static_path)
    app.connect("config-inited", search_dictionary)
    app.add_css_file("twins.css")
    app.connect("doctree-resolved", add_twin_link)
    app.connect("env-get-outdated", outdated_by_twin)
    chinese_search_language(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
