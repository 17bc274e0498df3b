"""Build the English and Chinese books and assemble them into one site.

    python tools/build_book.py           # or: make book
    python tools/build_book.py --fresh   # re-read every page (after editing book/_ext or the theme)
    python tools/build_book.py --serial  # one language after the other (half the memory, slower)

Each language is its own Jupyter Book build (one Sphinx build has one language; Chinese search
needs language zh_CN). The two builds run at once, each in its own process: starting kernels,
importing TensorFlow and Sphinx's own work are single-threaded, so on two cores the pair takes far
less than one after the other; each notebook's TensorFlow gets half the cores (two pools as large
as the machine only get in each other's way). What takes training is computed once for both languages,
in the course cache (course/reference.py, under a file lock). Notebook execution is cached, so a
rebuild with nothing changed takes seconds. The site is _build/site/{en,zh}/ plus an index.html
that offers both; every chapter page offers its code as a notebook (book/_ext/chapter_notebooks.py). The build fails on execution errors and on any Sphinx warning, and on the
warnings we keep out of the book: missing glyphs, deprecation warnings, broken cross-references,
TensorFlow's log lines; and when a page loads a script or style sheet from the network (the book
is read offline) or from a file the site does not have.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
from pathlib import Path

from course.threads import thread_env

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
SITE = BUILD / "site"
BUILDS = {"en": ("_config.yml", "_toc.yml"), "zh": ("_config.zh.yml", "_toc.zh.yml")}
BAD_LOG_LINES = re.compile(
    r": WARNING: |: ERROR: |Glyph \d+ .*missing from|DeprecationWarning|input_shape|reference target not found|"
    r"undefined label|unknown document|Executing notebook failed|CellExecutionError|"
    r"nonexisting document|image file not readable", re.I)
# what the course's own code may not print outside cells tagged raises-exception: warnings in any
# case (TensorFlow's C++ logging says "WARNING: All log messages before absl::InitializeLog()..."),
# and TensorFlow's C++ log lines ("I0000 00:00:1712345678.123456  4242 port.cc:153] oneDNN custom
# operations are on...", or "2024-04-05 12:34:56.789012: I tensorflow/..." in older versions)
BAD_OUTPUT = re.compile(
    r"warning|Glyph \d+|missing from font|input_shape|Traceback|absl::|oneDNN|"
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+|^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] ", re.I | re.M)
# the scripts and style sheets a page loads (src= of <script>, href= of <link>)
LOADED = re.compile(r"<(script|link)\b[^>]*?\s(?:src|href)=[\"']([^\"']+)[\"']", re.I)

INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Fashion-MNIST course</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:40em;margin:4em auto;padding:0 1em;text-align:center}
nav{display:flex;justify-content:center;align-items:stretch;flex-wrap:wrap;gap:1.5em;margin-top:2em}
a{display:inline-flex;align-items:center;justify-content:center;box-sizing:border-box;min-width:8em;
min-height:3.2em;padding:0 1.5em;border:1px solid #555;border-radius:.5em;color:#0645ad;
text-decoration:none;font-size:1.3em;line-height:1}</style></head>
<body><main><h1>Fashion-MNIST: your first neural network</h1>
<p>Choose a language · <span lang="zh-CN">选择语言</span></p>
<nav aria-label="Language · 语言">
<a href="en/book/00_home/en.html" hreflang="en">English</a>
<a href="zh/book/00_home/zh.html" hreflang="zh-CN" lang="zh-CN">中文</a>
</nav></main>
</body></html>
"""


def output_problems(html):
    """Warnings and errors shown in the built pages, outside cells tagged raises-exception.

    Read from the HTML: it always shows the current outputs, cached or not."""
    from bs4 import BeautifulSoup
    problems = []
    for path in sorted(html.glob("book/**/*.html")):
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        # a div when the output is highlighted, a plain pre when myst-nb has no lexer for it
        for output in page.select(".output.stderr, .output.traceback, .output.error"):
            cell = output.find_parent("div", class_="cell")
            if cell and "tag_raises-exception" in cell["class"]:
                continue
            text = output.get_text().strip()
            if "stderr" not in output["class"] or BAD_OUTPUT.search(text):
                problems.append(f"{path.relative_to(html)}: {text[:300]}")
    return problems


def offline_problems(html):
    """Scripts and style sheets the built pages load from the network (MathJax from a CDN, say: a
    student reading the book from the file system without a network would see raw LaTeX), or from
    a file of the site that is not there."""
    problems = []
    for path in sorted(html.rglob("*.html")):
        if path.relative_to(html).parts[0] in ("_static", "_sources"):  # theme templates, not pages
            continue
        for tag, url in LOADED.findall(path.read_text(encoding="utf-8")):
            if url.startswith(("data:", "#")):  # inline, or this page itself
                continue
            if re.match(r"(https?:)?//", url, re.I):
                problems.append(f"{path.relative_to(html)}: <{tag}> loads {url} from the network "
                                "(the book must work offline)")
            elif not (path.parent / re.split(r"[?#]", url)[0]).is_file():
                problems.append(f"{path.relative_to(html)}: <{tag}> loads {url}, which is not in the site")
    return problems


def command(lang):
    config, toc = BUILDS[lang]
    jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
    return [jupyter_book, "build", str(ROOT), "--config", str(ROOT / config),
            "--toc", str(ROOT / toc), "--path-output", str(BUILD / lang), "--builder", "html"]


def build(lang, env=None):
    out = BUILD / lang
    log = BUILD / "logs" / f"{lang}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    result = subprocess.run(command(lang), cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, **(env or {})))
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
        problems += output_problems(out / "_build" / "html") + offline_problems(out / "_build" / "html")
    if result.returncode != 0 or problems:
        # Sphinx re-reads nothing on the next run and would not repeat its warnings: forget the
        # environment so the next build reads every page again (executed notebooks stay cached)
        shutil.rmtree(out / "_build" / ".doctrees", ignore_errors=True)
        # one write: with both languages building at once, their reports must not interleave
        print(f"book ({lang}): build failed after {seconds:.0f} s; full log in {log}\n"
              + "\n".join(problems[:20] or output.splitlines()[-30:]), file=sys.stderr, flush=True)
        return None
    executed = result.stdout.count("Executing notebook")
    print(f"book ({lang}): built in {seconds:.1f} s, {executed} notebooks executed "
          f"(the others came from the cache or were unchanged)", flush=True)
    return out / "_build" / "html", seconds


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / ".book.lock", "w") as lock:
        if fcntl:  # two builds at once (make book while the tests build) would clobber each other
            fcntl.flock(lock, fcntl.LOCK_EX)
        return build_site("--fresh" in argv, serial="--serial" in argv)


def replace_tree(source, target):
    """Copy ``source`` to ``target``, replacing what is there with two renames, so that a reader of
    the site (a browser open on it, a test on another worker) finds the old pages or the new ones,
    never a half-copied folder."""
    fresh, old = target.with_name(target.name + ".new"), target.with_name(target.name + ".old")
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(source, fresh)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def kernel_ipython_dir():
    """An IPython directory for the book's kernels, whose one startup file is book/_ext's
    kernel_startup.py (it measures every figure's text); returned as the environment to build in."""
    startup = BUILD / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "book" / "_ext" / "kernel_startup.py", startup / "00-book-kernel.py")
    return {"IPYTHONDIR": str(BUILD / "ipython")}


def student_cache():
    """The chapters keep their trained models with the student package's cache helper
    (fashion_mnist_student.cache); pointed at the course cache, one training serves both languages
    and the course's own helpers (course.reference) find the same files."""
    from course.reference import CACHE
    return {"FASHION_MNIST_CACHE": str(CACHE)}


def build_site(fresh, serial=False):
    kernel = {**kernel_ipython_dir(), **student_cache()}
    if fresh:  # Sphinx forgets its pages; executed notebooks stay in the jupyter cache
        for lang in BUILDS:
            shutil.rmtree(BUILD / lang / "_build" / ".doctrees", ignore_errors=True)
    built = {}
    if serial:  # as before: stop at the first language that fails
        for lang in BUILDS:
            built[lang] = build(lang, {**thread_env(1), **kernel})  # the same pools as at once: the same numbers
            if built[lang] is None:
                return 1
    else:  # both at once; each reports its own result, and a failure of either fails the build
        env = {**thread_env(len(BUILDS)), **kernel}
        with ThreadPoolExecutor(len(BUILDS)) as pool:
            futures = {lang: pool.submit(build, lang, env) for lang in BUILDS}
            built = {lang: future.result() for lang, future in futures.items()}
        if any(result is None for result in built.values()):
            return 1
    SITE.mkdir(parents=True, exist_ok=True)
    for lang, (html, _) in built.items():
        replace_tree(html, SITE / lang)
    (SITE / "index.html").write_text(INDEX, encoding="utf-8")
    total = sum(seconds for _, seconds in built.values()) if serial else max(
        seconds for _, seconds in built.values())
    print(f"site: {SITE / 'index.html'} ({total:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
