"""After grading: a class report (HTML), similar-code pairs and grade exports for Canvas and Moodle.

data.py loads the gradebook, run state and autograded notebooks; items.py computes the statistics;
similarity.py finds similar submissions; html.py renders; lms.py writes the LMS files; cli.py is
`python -m autograder report|lms`.
"""
