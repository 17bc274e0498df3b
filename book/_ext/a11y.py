"""Every reader can read the book: fixes to the theme's markup and to the executed outputs.

- Templates (book/_ext/templates, searched before the theme's components): the sidebar's search field names
  itself by its visible text ("Search Ctrl+K"), not by an aria-label that leaves out part of what
  is shown (axe-core's label-content-name-mismatch, WCAG 2.5.3).
- myst-nb's toggles of hidden outputs are named by their visible text ("Show code cell output"),
  and on the Chinese site that text is Chinese (显示单元格输出).
- The sidebar numbers the chapters as their folders do and as the text cites them (07, 07b, 13b).
- Style sheet (book/_ext/static/a11y.css): one search control visible at a time, code and outputs
  scrolling sideways in their own box instead of wrapping (a wrapped line of code reads as two
  lines), display formulas scrolling the same way, wide tables scrolling inside their own box instead
  of being squeezed, figures never wider than the column (on a phone too), outputs of one cell (model.summary()'s
  five) read as one block, and ANSI colours in outputs dark enough on the grey output background
  (WCAG AA contrast, 4.5:1).
- Outputs: paths of the machine that built the book (its home folder, the book's folder, the
  virtual environment, a kernel's temporary files) are written relative to the lesson, as a
  student's own run would show them (~/.keras/datasets, .venv/lib/..., <cell>).
- Figures: the notebooks run with the book's matplotlib defaults (book/_ext/matplotlibrc: text
  sized for the column, the colour-blind-safe Okabe-Ito colours).
- lang attributes: a page's text in the other language ({lang}`zh-CN:张量`) is marked up for
  screen readers (and for fonts) with the language it is in.
"""

import os
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine_paths(root):
    """[(pattern, replacement)] that rewrite the build machine's paths, most specific first."""
    home = os.path.expanduser("~")
    venv = os.path.realpath(sys.prefix)
    root = os.path.realpath(root)
    temp = os.path.realpath(tempfile.gettempdir())
    rules = []
    for path, replacement in ((venv, "<venv>" if not venv.startswith(root + os.sep) else None),
                              (root, "."), (home, "~")):
        if replacement is not None and path not in ("", "/"):
            rules.append((re.compile(re.escape(path) + r"(?=/|\b)"), replacement))
    # a kernel's cell files (/tmp/ipykernel_123/456.py) and temporary folders (/tmp/tmpab12cd)
    rules.append((re.compile(re.escape(temp) + r"/ipykernel_\d+/\d+\.py"), "<cell>"))
    rules.append((re.compile(re.escape(temp) + r"/tmp[\w-]+"), "<tmp>"))
    # Python's own library, wherever this Python lives (/usr/lib/python3.11/...)
    stdlib = os.path.dirname(os.__file__)
    rules.append((re.compile(re.escape(stdlib) + r"(?=/)"), f"<python{sys.version_info[0]}.{sys.version_info[1]}>"))
    return rules


def scrub(text, rules):
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def scrub_machine_paths(app, doctree, docname):
    """Rewrite the build machine's paths in every output and code block of the page."""
    from docutils import nodes
    rules = machine_paths(app.srcdir)
    for block in list(doctree.findall(nodes.literal_block)):
        for text in list(block.findall(nodes.Text)):
            new = scrub(str(text), rules)
            if new != str(text):
                text.parent.replace(text, nodes.Text(new))
    for raw in doctree.findall(nodes.raw):
        if raw.get("format") == "html":
            new = scrub(raw.astext(), rules)
            if new != raw.astext():
                raw.children = [nodes.Text(new)]


# myst-nb's toggle texts ("Show code cell {type}"), in Chinese; `type` is one of myst-nb's four
TOGGLE_TYPES = {"content": "内容", "source": "代码", "output": "输出", "outputs": "输出"}
TOGGLE_VERBS = {"Show": "显示", "Hide": "隐藏"}
TOGGLE = re.compile(r'(<p class="(?:collapsed|expanded) admonition-title">)(Show|Hide) code cell '
                    r'(content|source|outputs?)(</p>)')


def translate_toggles(body, language):
    """The hidden cells' toggles in the page's language: on a Chinese page "Show code cell output"
    becomes 显示单元格输出 (myst-nb puts an English word for {type} into its prompt, so a setting
    alone cannot say it in Chinese)."""
    if not (language or "").startswith("zh"):
        return body
    return TOGGLE.sub(lambda m: f"{m[1]}{TOGGLE_VERBS[m[2]]}单元格{TOGGLE_TYPES[m[3]]}{m[4]}", body)


def name_toggles_by_their_text(app, pagename, templatename, context, doctree):
    """myst-nb's hide-output toggles (<summary aria-label="Toggle hidden content">Show code cell
    output</summary>) named by what they show instead (label-content-name-mismatch, WCAG 2.5.3),
    in the page's language."""
    if "body" in context:
        body = context["body"].replace(' aria-label="Toggle hidden content"', "")
        context["body"] = translate_toggles(body, app.config.language)


CHAPTER = re.compile(r"(?:^|/)(\d\d[a-z]?)_[\w-]+/(?:en|zh)(?:\.html)?(?:#.*)?$")
SIDEBAR_LINK = re.compile(r'(<a class="([^"]*)" href="([^"]*)">)(.*?)(</a>)', re.S)


def chapter_number(path):
    """'07b' for book/07b_overfitting/en (or ../07b_overfitting/en.html): the number the text cites
    (chapter 07b, 第 07b 章); None for the home page (00) and for anything that is not a chapter."""
    match = CHAPTER.search(path)
    return match[1] if match and match[1] != "00" else None


def number_sidebar_links(html, pagename):
    """The sidebar's chapter links with the chapter's number before the title ("07b What to do
    about overfitting"); the current page's link (href="#") takes the page's own number."""
    def numbered(match):
        opening, classes, href, title, closing = match.groups()
        if "reference internal" not in classes:
            return match[0]
        number = chapter_number(pagename if href.startswith("#") else href)
        if number is None or 'class="chapter-number"' in title:
            return match[0]
        return f'{opening}<span class="chapter-number">{number}</span> {title}{closing}'
    return SIDEBAR_LINK.sub(numbered, html)


def number_the_sidebar(app, pagename, templatename, context, doctree):
    """Wrap the theme's generate_toctree_html (added by pydata-sphinx-theme on this event, at the
    default priority) so that the sidebar it draws numbers the chapters."""
    make = context.get("generate_toctree_html")
    if make is None or getattr(make, "numbers_chapters", False):
        return

    def numbered(kind, *args, **kwargs):
        out = make(kind, *args, **kwargs)
        if kind != "sidebar":
            return out
        from markupsafe import Markup  # the theme hands back a BeautifulSoup; the template prints it as is
        return Markup(number_sidebar_links(str(out), pagename))

    numbered.numbers_chapters = True
    context["generate_toctree_html"] = numbered


def add_templates(app, config):
    # before the theme's own: Sphinx searches templates_path first
    config.templates_path.insert(0, str(HERE / "templates"))


def add_static_path(app):
    path = str(HERE / "static")
    if path not in app.config.html_static_path:
        app.config.html_static_path.append(path)


def lang_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """{lang}`zh-CN:张量`: text in another language than the page's, with its lang attribute
    (docutils writes a class language-X as lang="X")."""
    from docutils import nodes
    code, _, words = text.partition(":")
    if not words or not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]+)*", code):
        message = inliner.reporter.error(f"{{lang}} needs 'code:text', got {text!r}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    return [nodes.inline(words, words, classes=[f"language-{code.lower()}"])], []


def book_matplotlib_style():
    """The book's matplotlib defaults (book/_ext/matplotlibrc) for the notebooks this build runs:
    their kernels inherit the environment."""
    os.environ["MATPLOTLIBRC"] = str(HERE / "matplotlibrc")


def setup(app):
    book_matplotlib_style()
    app.connect("config-inited", add_templates)
    app.connect("builder-inited", add_static_path)
    app.add_css_file("a11y.css")
    app.add_js_file("a11y.js")
    app.add_role("lang", lang_role)
    app.connect("doctree-resolved", scrub_machine_paths)
    app.connect("html-page-context", name_toggles_by_their_text)
    app.connect("html-page-context", number_the_sidebar, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
