"""Keep the English and Chinese twins of each book page in step.

    python tools/twins.py status                 # which pages are stale
    python tools/twins.py sync book/06_train     # after updating the translation: mark the twins aligned
    python tools/twins.py sync --all             # every chapter (only when all are really aligned)

zh.md's front matter records the hash of the English page's translatable text (prose, code
comments and strings) as `translation: {source_hash: ...}`, and en.md's the hash of the Chinese
page's as `translation: {twin_hash: ...}`. When the English changes, the Chinese page is stale:
tests/test_book_twins.py fails naming it, and the built Chinese page shows "英文版在此译文之后有改动"
until the translation is updated and `sync` run. When only the Chinese changes, the English page
shows a note that the Chinese version changed (the English may need the same change); `sync`
acknowledges it. The rules live in book/_ext/twins.py, shared with the book build.
"""

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# the Sphinx extension's own rules (book/_ext/twins.py), under another name than this script's
_rules = _load("book_ext_twins", ROOT / "book" / "_ext" / "twins.py")
text_hash, twin_status = _rules.text_hash, _rules.twin_status

KEY = {"zh": "source_hash", "en": "twin_hash"}


def with_hash(text, key, value):
    """The page with `translation: {key: value}` in its front matter (added or replaced)."""
    block = f"translation:\n  {key}: {value}\n"
    if not text.startswith("---\n"):
        return f"---\n{block}---\n\n{text}"
    end = text.index("\n---\n", 3) + 1
    front = text[4:end]
    if re.search(r"^translation:", front, re.M):
        front = re.sub(r"^translation:\n(?:[ \t]+.*\n)*", block, front, flags=re.M)
    else:
        front += block
    return "---\n" + front + text[end:]


def sync(folder):
    folder = Path(folder)
    en_path, zh_path = folder / "en.md", folder / "zh.md"
    en, zh = en_path.read_text(encoding="utf-8"), zh_path.read_text(encoding="utf-8")
    new_zh = with_hash(zh, KEY["zh"], text_hash(en))
    new_en = with_hash(en, KEY["en"], text_hash(zh))
    changed = []
    if new_zh != zh:
        zh_path.write_text(new_zh, encoding="utf-8")
        changed.append(zh_path)
    if new_en != en:
        en_path.write_text(new_en, encoding="utf-8")
        changed.append(en_path)
    return changed


def chapters(root=ROOT):
    return sorted(path.parent for path in (root / "book").glob("*/en.md")
                  if (path.parent / "zh.md").is_file())


def stale_pages(root=ROOT):
    """['book/06_train/zh.md (the English changed since it was translated)', ...]"""
    found = []
    for folder in chapters(root):
        status = twin_status(folder)
        name = folder.relative_to(root).as_posix()
        if status["zh"]:
            found.append(f"{name}/zh.md: the English changed since it was translated")
        if status["en"]:
            found.append(f"{name}/en.md: the Chinese changed since the two were aligned")
    return found


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in ("status", "sync"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if args[0] == "status":
        found = stale_pages()
        print("\n".join(found) if found else "all twins aligned")
        return 1 if found else 0
    folders = chapters() if args[1:] == ["--all"] else [ROOT / a if not Path(a).is_absolute() else Path(a)
                                                        for a in args[1:]]
    if not folders:
        print("name a chapter folder, e.g. book/06_train, or --all", file=sys.stderr)
        return 2
    for folder in folders:
        if not (folder / "en.md").is_file() or not (folder / "zh.md").is_file():
            print(f"{folder}: no en.md and zh.md there", file=sys.stderr)
            return 2
        for path in sync(folder):
            print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
