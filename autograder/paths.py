"""Where the grader's files are: the one place each path is defined.

The package may run from this repository's checkout (``make setup`` installs it editable) or from
an installed wheel (``pip install .``, as a hub image does). Everything here holds in both:

- ``PACKAGE``: the ``autograder`` folder; ``CALIBRATION``: the accuracy threshold and the band of
  the re-check (written by ``python -m autograder calibrate``, read by the verdict and the report);
- ``ROOT``: the folder the course's packages were loaded from: the checkout (with ``solutions/``,
  ``exercises/``, ``requirements.txt``), or site-packages for an installed wheel
  (``checkout()`` says which);
- ``PACKAGES``: where each of the course's importable packages lies, relative to ``ROOT`` (the
  student package lives in ``course/student-package/`` in the checkout, at the top of
  site-packages when installed): the grading fingerprint reads the modules from there;
- ``STATE_DIR`` and ``REPORTS_DIR``: inside a course folder, the class grader's run state and
  stored results, and the class reports.
"""

import importlib.util
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
CALIBRATION = PACKAGE / "calibration.json"
# the feedback page's nbconvert template (autograder/feedback/templates/feedback_lang/, used by
# autograder.feedback.FeedbackExporter): nbconvert looks for it under this folder
FEEDBACK_TEMPLATES = PACKAGE / "feedback" / "templates"
REPORT_TEMPLATES = PACKAGE / "report" / "templates"     # the class report's page (autograder/report/html.py)
ROSTER_SAMPLE = PACKAGE / "hub" / "roster-sample.csv"   # the class server's sample roster (autograder/hub)

STATE_DIR = ".grading"     # in a course: the run state and stored results (autograder/grading/state.py)
REPORTS_DIR = "reports"    # in a course: the class reports (autograder/report)

# the course's importable packages, and where each lies in a checkout (relative to ROOT)
CHECKOUT_PACKAGES = {"autograder": "autograder", "course": "course",
                     "fashion_mnist_student": "course/student-package/fashion_mnist_student"}


def checkout() -> Path | None:
    """The repository checkout this package runs from, or None when it runs installed."""
    marks = ("pyproject.toml", "nbgrader_config.py", "solutions")
    return ROOT if all((ROOT / mark).exists() for mark in marks) else None


def _package_dir(name: str) -> Path | None:
    """The folder of top-level package ``name`` as Python would import it (nothing is imported)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith("__init__.py"):
        return None
    return Path(spec.origin).resolve().parent


def _packages() -> dict[str, str]:
    if checkout():
        return dict(CHECKOUT_PACKAGES)
    found = {}
    for name, in_checkout in CHECKOUT_PACKAGES.items():
        folder = _package_dir(name)
        found[name] = os.path.relpath(folder, ROOT) if folder else in_checkout
    return found


PACKAGES = _packages()

