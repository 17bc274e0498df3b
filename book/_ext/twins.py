"""Put a link to the page's twin in the other language at the top of every page.

Pages live at book/<chapter>/<lang>.md and the assembled site has one folder per build,
_build/site/en/ and _build/site/zh/, so the twin of en/book/05_compile/en.html is
../../../zh/book/05_compile/zh.html, whatever the page.
"""

from pathlib import Path

from docutils import nodes

LABEL = {"en": "中文", "zh": "English"}  # the name of the other language, in that language
OTHER = {"en": "zh", "zh": "en"}


def twin_uri(docname):
    folder, lang = docname.rsplit("/", 1)
    if lang not in OTHER:
        return None, None
    up = "../" * (docname.count("/") + 1)
    return f"{up}{OTHER[lang]}/{folder}/{OTHER[lang]}.html", LABEL[lang]


def add_twin_link(app, doctree, docname):
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


def add_static_path(app):
    app.config.html_static_path.append(str(Path(__file__).with_name("static")))


def setup(app):
    app.connect("builder-inited", add_static_path)
    app.add_css_file("twins.css")
    app.connect("doctree-resolved", add_twin_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
