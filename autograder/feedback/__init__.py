"""The feedback page in the notebook's language: nbgrader's feedback template, extended so that every
label nbgrader prints (the total, the list of parts, each cell's heading, score and comments) is in
Chinese for an assignment whose name ends in ``_zh``.

``FeedbackExporter`` is what the course's nbgrader_config.py sets as ``GenerateFeedback.exporter_class``,
so plain `nbgrader generate_feedback`, the class command (autograder/grading/gradebook.py,
``Writer.feedback``, which loads that file) and the hub's course (autograder/hub/course.py, which
starts from it) all write pages with it. It changes only the exporter that writes feedback (the
formgrader's own pages keep theirs). The template is the nbconvert template folder
``templates/feedback_lang/`` (conf.json and feedback_lang.html.j2), package data of the course's
wheel; where it lies is ``paths.FEEDBACK_TEMPLATES``.
"""

import copy

from nbconvert.exporters import HTMLExporter
from traitlets.config import Config

from ..paths import FEEDBACK_TEMPLATES

BASEDIR = str(FEEDBACK_TEMPLATES)   # nbconvert finds feedback_lang/ under it
NAME = "feedback_lang"


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter (its template, found through nbgrader's settings) with the
    language-aware page on top."""

    def __init__(self, config=None, **kwargs):
        config = Config(copy.deepcopy(config)) if config is not None else Config()
        given = list(config.HTMLExporter.get("extra_template_basedirs", []))
        config.FeedbackExporter.extra_template_basedirs = [BASEDIR, *given]
        config.FeedbackExporter.template_name = NAME
        config.FeedbackExporter.template_file = f"{NAME}.html.j2"
        super().__init__(config=config, **kwargs)
