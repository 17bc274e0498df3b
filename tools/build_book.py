"""Build the English and Chinese books and assemble them into one site.

    python tools/build_book.py          # or: make book
    python tools/build_book.py --fresh  # re-read every page (after editing book/_ext or the theme)

Each language is its own Jupyter Book build (one Sphinx build has one language; Chinese search
needs language zh_CN). Notebook execution is cached, so a rebuild with nothing changed takes
seconds. The site is _build/site/{en,zh}/ plus an index.html that offers both. The build fails
on execution errors and on any Sphinx warning, and on the warnings we keep out of the book:
missing glyphs, deprecation warnings, broken cross-references.
"""

import re
import shutil
import subprocess
import sys
import time

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
SITE = BUILD / "site"
BUILDS = {"en": ("_config.yml", "_toc.yml"), "zh": ("_config.zh.yml", "_toc.zh.yml")}
BAD_LOG_LINES = re.compile(
    r": WARNING: |: ERROR: |Glyph \d+ .*missing from|DeprecationWarning|input_shape|reference target not found|"
    r"undefined label|unknown document|Executing notebook failed|CellExecutionError|"
    r"nonexisting document|image file not readable", re.I)
# what the course's own code may not print outside cells tagged raises-exception
BAD_OUTPUT = re.compile(r"Warning|Glyph \d+|missing from font|input_shape|Traceback")

INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Fashion-MNIST course</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:40em;margin:4em auto;text-align:center}
a{display:inline-block;margin:1em;padding:1em 2em;border:1px solid #888;border-radius:.5em;
text-decoration:none;font-size:1.3em}</style></head>
<body><h1>Fashion-MNIST: your first neural network</h1>
<p>Choose a language · 选择语言</p>
<a href="en/book/00_home/en.html" hreflang="en">English</a>
<a href="zh/book/00_home/zh.html" hreflang="zh">中文</a>
</body></html>
"""


def output_problems(html):
    """Warnings and errors shown in the built pages, outside cells tagged raises-exception.

    Read from the HTML: it always shows the current outputs, cached or not."""
    from bs4 import BeautifulSoup
    problems = []
    for path in sorted(html.glob("book/**/*.html")):
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for output in page.select("div.output.stderr, div.output.traceback, div.output.error"):
            cell = output.find_parent("div", class_="cell")
            if cell and "tag_raises-exception" in cell["class"]:
                continue
            text = output.get_text().strip()
            if "stderr" not in output["class"] or BAD_OUTPUT.search(text):
                problems.append(f"{path.relative_to(html)}: {text[:300]}")
    return problems


def build(lang):
    config, toc = BUILDS[lang]
    out = BUILD / lang
    log = BUILD / "logs" / f"{lang}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
    command = [jupyter_book, "build", str(ROOT), "--config", str(ROOT / config),
               "--toc", str(ROOT / toc), "--path-output", str(out), "--builder", "html"]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # no terminal colours
    log.write_text(output, encoding="utf-8")
    problems = [line for line in output.splitlines() if BAD_LOG_LINES.search(line)]
    failed_cell = re.search(r"(An error occurred while executing the following cell:.*?)\n\n"
                            r"The above exception", output, re.S)
    if failed_cell:  # say which notebook and cell, and the error, not just "look above"
        notebook = re.search(r"myst_nb\S*\.ExecutionError: (\S+)", output)
        problems = [f"{notebook[1] if notebook else 'a notebook'}: a cell failed (tag it "
                    f"raises-exception if that is intended). {failed_cell[1]}"] + problems
    if result.returncode == 0:
        problems += output_problems(out / "_build" / "html")
    if result.returncode != 0 or problems:
        # Sphinx re-reads nothing on the next run and would not repeat its warnings: forget the
        # environment so the next build reads every page again (executed notebooks stay cached)
        shutil.rmtree(out / "_build" / ".doctrees", ignore_errors=True)
        print(f"book ({lang}): build failed after {seconds:.0f} s; full log in {log}", file=sys.stderr)
        print("\n".join(problems[:20] or output.splitlines()[-30:]), file=sys.stderr)
        return None
    executed = result.stdout.count("Executing notebook")
    print(f"book ({lang}): built in {seconds:.1f} s, {executed} notebooks executed "
          f"(the others came from the cache or were unchanged)")
    return out / "_build" / "html", seconds


def main(argv=None):
    fresh = "--fresh" in (sys.argv[1:] if argv is None else argv)
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / ".book.lock", "w") as lock:
        if fcntl:  # two builds at once (make book while the tests build) would clobber each other
            fcntl.flock(lock, fcntl.LOCK_EX)
        return build_site(fresh)


def build_site(fresh):
    built = {}
    for lang in BUILDS:
        if fresh:  # Sphinx forgets its pages; executed notebooks stay in the jupyter cache
            shutil.rmtree(BUILD / lang / "_build" / ".doctrees", ignore_errors=True)
        result = build(lang)
        if result is None:
            return 1
        built[lang] = result
    SITE.mkdir(parents=True, exist_ok=True)
    for lang, (html, _) in built.items():
        shutil.rmtree(SITE / lang, ignore_errors=True)
        shutil.copytree(html, SITE / lang)
    (SITE / "index.html").write_text(INDEX, encoding="utf-8")
    total = sum(seconds for _, seconds in built.values())
    print(f"site: {SITE / 'index.html'} ({total:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
