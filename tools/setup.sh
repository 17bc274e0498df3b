#!/usr/bin/env bash
# Everything the course needs on a fresh Linux machine: system packages (Debian/Ubuntu),
# a .venv with the pinned Python packages, Fashion-MNIST where Keras looks for it.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

# Debian packages: the data set, a CJK font for the browser, Chromium for the browser tests.
APT_PACKAGES="dataset-fashion-mnist fonts-noto-cjk chromium chromium-driver bubblewrap"
if command -v apt-get >/dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else SUDO="skip"; fi
  fi
  if [ "$SUDO" = "skip" ]; then
    echo "setup: not root and no sudo: skipping Debian packages ($APT_PACKAGES)" >&2
  else
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $APT_PACKAGES
  fi
else
  echo "setup: no apt-get: Fashion-MNIST will be downloaded once by Keras; browser tests are skipped" >&2
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -r requirements.txt -r requirements-dev.txt
"$VENV/bin/python" -m pip install -q --no-deps -e .
# axe-core for the browser tests' accessibility check (tests/test_browser.py): axe-selenium-python
# drives it from Selenium, but the copy in its wheel is axe-core 3.1 (2018), which lacks rules of
# WCAG 2.1 (label-content-name-mismatch...); the pinned 4.10 from npm is injected instead
if command -v npm >/dev/null; then
  npm install --silent --no-audit --no-fund --prefix "$VENV/npm" axe-core@4.10.3
  # the class server's proxy (make hub, python -m autograder hub)
  npm install --silent --no-audit --no-fund --prefix "$VENV/npm" configurable-http-proxy@5.3.0
else
  echo "setup: no npm: the browser tests cannot run axe-core 4, make hub has no proxy (install Node.js and npm)" >&2
fi
# jsonschema (via nbformat) imports rfc3987-syntax, pulled in by jupyter-events' format extras, when
# it is installed; at import it builds ~40 Lark parsers for the "iri" format, which no notebook
# or Jupyter schema uses: 1.5-2 s in every nbgrader process, i.e. in every graded submission
"$VENV/bin/python" -m pip uninstall -q -y rfc3987-syntax 2>/dev/null || true

if [ -d /usr/share/datasets/fashion-mnist ]; then
  "$VENV/bin/python" -m course.data provision
else
  "$VENV/bin/python" -m course.data provision --download
fi
"$VENV/bin/python" -c "import course; course.setup_matplotlib('zh')"
echo "setup: done. Next: make test"
