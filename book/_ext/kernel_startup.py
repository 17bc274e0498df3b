"""Run first in every kernel that executes a book page (tools/build_book.py installs it as an
IPython startup file): from then on, each figure the page renders is measured, and text shown
below 9 pt in the page's column is reported on stderr as a warning, which fails the build
(course.figures.report_small_text). The grader and the students' notebooks never run it."""

from course.figures import report_small_text

report_small_text()
