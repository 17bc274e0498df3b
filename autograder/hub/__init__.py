"""A class server on this machine: JupyterHub with configurable-http-proxy, local users for an
instructor and the students of a roster, nbgrader's formgrader and Assignments tab, and an exchange
that is not world-writable (``python -m autograder hub``, ``make hub``; README: "Run a class on a
server").

Modules: ``roster`` (the CSV of students), ``layout`` (where the hub keeps its state, outside the
checkout), ``accounts`` (users, the class group, generated passwords), ``exchange`` (the exchange's
owners and modes, and the instructor's exchange classes), ``course`` (the instructor's course
folder), ``envs`` (the instructor's environment: the course's wheel, non-editable), ``spawn`` (how
each user's server is started: students in a bubblewrap view without the checkout), ``hubconfig``
(JupyterHub's configuration), ``server`` (start, stop, status) and ``cli`` (the verb).
"""
