# nbgrader configuration for the Fashion-MNIST course: plain `nbgrader generate_assignment`,
# `autograde`, `generate_feedback` and `export` run from this folder do the right thing.
c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "fashion-mnist"
c.CourseDirectory.source_directory = "solutions"     # instructors edit these
c.CourseDirectory.release_directory = "exercises"    # generated, committed, given to students
# student work, grades and feedback live in git-ignored folders
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# The grader's folders beside each notebook (the probes' hand-over: about 4 MB of arrays; the
# re-check's files) are left out of what nbgrader copies: from a submission into autograded/, and
# from autograded/ into the feedback each student gets. The first four are nbgrader's own.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            "probe_handover", ".autograder-recheck"]

# A test cell the student deleted is put back and graded (nbgrader's default gives the whole
# notebook 0); an edited locked cell is restored from the source anyway.
c.OverwriteCells.add_missing_cells = True

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Ten epochs take about 40 s on two cores; a cell that runs past 5 minutes is stopped (the kernel
# is interrupted, not killed) and the rest of the notebook is still graded.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True  # GradingExecute is an Execute: these hold for it

# GradingExecute starts every kernel in a box (autograder/box; GRADING.md): the notebook's folder
# copied, the data set, an allowlist of packages, no network, nothing of the course or the class.
# Where bubblewrap cannot build it, autograde refuses. For trusted code only:
# c.GradingExecute.unsafe_no_box = True     (or AUTOGRADER_UNSAFE_NO_BOX=1)

# Each submission's kernel is started in its box before nbgrader copies and sanitizes the
# submission, so the kernel imports TensorFlow meanwhile (autograder/box/ahead.py; GradingExecute
# takes it only if it was started with its own settings).
c.Autograde.pre_convert_hook = "autograder.box.ahead.pre_convert_hook"

# Every verdict is taken here, in nbgrader's own process, after the student's code ran: the hidden
# lines of a test cell only call the student's function and hand over what it returned
# (fashion_mnist_student.probes). GradingExecute runs the notebook (a dead kernel costs only its
# cell); JudgeProbes judges the hand-overs (autograder/judges), JudgeAccuracy the trained model.
c.Autograde.autograde_preprocessors = [
    "autograder.preprocessors.GradingExecute",
    "nbconvert.preprocessors.CoalesceStreamsPreprocessor",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "autograder.judges.JudgeProbes",
    "autograder.preprocessors.JudgeAccuracy",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Keras redraws its progress bar 20 times a second, and each redraw is an output of its own: about
# 600 outputs in the training cell. Merged as a notebook front end shows them (a carriage return
# overwrites its line), the graded notebook and the feedback page keep one line per epoch, and
# nbgrader's LimitOutput (1,000 lines a cell) counts two lines an epoch, not one per redraw (it cut
# trainings of more than about 16 epochs short). The feedback merges them too, for notebooks
# graded before this was set.
c.CoalesceStreamsPreprocessor.enabled = True

# nbconvert checks the notebook against its schema once, after the last preprocessor, instead of
# after each (14 checks a grading run: about 0.15 s in every nbgrader process that grades).
c.Exporter.optimistic_validation = True

c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CoalesceStreamsPreprocessor",
    "autograder.preprocessors.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# The feedback page in the notebook's language: for fashion_mnist_zh every label nbgrader prints
# (total, list of parts, each cell's heading, score and comments) is in Chinese
# (autograder/feedback: nbgrader's feedback template, extended). Set here, it holds for
# plain `nbgrader generate_feedback`, the class command's feedback pages and the hub's formgrader.
c.GenerateFeedback.exporter_class = "autograder.feedback.FeedbackExporter"

# Under `nbgrader autograde <assignment>` the first submission's kernel starts here, as nbgrader
# reads this file, about a second before it would call the hook above (which then finds it
# started); nothing else that reads this file starts one (autograder/box/ahead.py). Keep it last:
# it reads the GradingExecute settings above.
try:
    from autograder.box.ahead import start_as_configured
except ImportError:   # read where the course's package is not installed: there is nothing to start
    pass
else:
    start_as_configured(c)
