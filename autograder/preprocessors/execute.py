"""GradingExecute: nbgrader's Execute, with the grader's set-up in the kernel and a dead kernel
costing only the cell it died in.

Before the first cell it clears the hand-over folder (a submission cannot bring verdict data
along) and runs a preamble in the kernel: where the probes hand over and their seed, and the
training seed. When the kernel dies in cell N (memory, os._exit, a crash, a kill, the process
cap), cell N gets an error saying so in the notebook's language, the kernel is restarted, the
cells above N that are not test cells (the set-up, the student's definitions, the provided
training) are run again silently to rebuild the state, and grading goes on from cell N + 1. After
``max_restarts`` restarts the remaining test cells get an error that says they did not run. The
choice and its cost (a crash after the training trains again) are explained in GRADING.md.
"""

import os
import shutil
import signal
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Integer

from ..handover import PROBE_FOLDER, submission_seed
from ..messages import say
from ..notebook_run import notebook_language
from ..recheck import after_last_cell
from ..seeding import kernel_preamble

KERNEL_DIED = "KernelDied"                 # the ename of the error a dead kernel leaves in its cell
NOT_RUN = "NotRunKernelDied"               # ... and in the test cells it could not reach
IN_BOX = "AUTOGRADER_IN_BOX"               # set by the class grader in the box's environment
PROCESS_LIMIT = "AUTOGRADER_PROCESS_LIMIT"
PROCESS_CAP_SIGNS = ("Resource temporarily unavailable", "BlockingIOError", "can't start new thread")


def _remove(path):
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def probe_preamble(seed, folder):
    return ("import fashion_mnist_student.probes as _probes\n"
            f"_probes.configure({int(seed)}, {str(folder)!r})\ndel _probes\n")


def _kill_box_processes():
    """In the box only: every process but this one and its ancestors (a fork bomb's children hold
    the process cap, and a new kernel could not start)."""
    keep, pid = set(), os.getpid()
    while pid > 0:
        keep.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in keep:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


class GradingExecute(Execute):

    max_restarts = Integer(2, help="how many times a dead kernel is restarted").tag(config=True)

    def _run_silently(self, code):
        """Run ``code`` in the kernel without recording anything; True when it succeeded."""
        msg_id = self.kc.execute(code, silent=True, store_history=False)
        reply = self.wait_for_reply(msg_id)
        return bool(reply) and reply.get("content", {}).get("status") == "ok"

    def _start(self, upto):
        """The kernel's set-up, then the cells above ``upto`` that rebuild its state."""
        info = self.wait_for_reply(self.kc.kernel_info())
        self.nb.metadata["language_info"] = info["content"]["language_info"]
        self._run_silently(self._preamble)
        for index in range(upto):
            cell = self.nb.cells[index]
            if cell.cell_type == "code" and not utils.is_grade(cell) and index not in self._died_in:
                self._run_silently(cell.source)

    def _mark_died(self, index):
        cell = self.nb.cells[index]
        text = "\n".join(str(o.get("text", "")) + str(o.get("evalue", "")) for o in cell.get("outputs", []))
        limit = os.environ.get(PROCESS_LIMIT)
        if limit and any(sign in text for sign in PROCESS_CAP_SIGNS):
            message = say("process_cap", self._lang, limit=limit)
        else:
            message = say("kernel_died", self._lang, cell=index + 1)
        cell.outputs.append(new_output("error", ename=KERNEL_DIED, evalue=message,
                                       traceback=[f"{KERNEL_DIED}: {message}"]))

    def _mark_not_run(self, after):
        for cell in self.nb.cells[after + 1:]:
            if cell.cell_type == "code" and utils.is_grade(cell):
                message = say("kernel_died_before", self._lang, cell=after + 1)
                cell.outputs = [new_output("error", ename=NOT_RUN, evalue=message,
                                           traceback=[f"{NOT_RUN}: {message}"])]

    def preprocess(self, nb, resources, km=None):
        folder = Path(resources.get("metadata", {}).get("path") or ".").resolve()
        _remove(folder / PROBE_FOLDER)
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        self._preamble = (probe_preamble(submission_seed(nb, resources), folder / PROBE_FOLDER)
                          + kernel_preamble(assignment))
        self._lang = notebook_language(nb)
        self._died_in = []
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        start = 0
        while start < len(self.nb.cells):
            died = None
            try:
                with self.setup_kernel():
                    self._start(start)
                    for index in range(start, len(self.nb.cells)):
                        try:
                            self.preprocess_cell(self.nb.cells[index], resources, index)
                        except DeadKernelError:
                            died = index
                            break
                    if died is None:  # a near miss is trained again in this kernel (autograder/recheck.py)
                        after_last_cell(self, resources, folder, assignment, self._lang)
            except DeadKernelError:  # while rebuilding the state
                died = start - 1 if start else 0
                self._mark_not_run(died)
                break
            if died is None:
                break
            self._died_in.append(died)
            self._mark_died(died)
            self.log.warning("kernel died in cell %d; restarting", died + 1)
            if len(self._died_in) > self.max_restarts:
                self._mark_not_run(died)
                break
            if os.environ.get(IN_BOX):
                _kill_box_processes()
            start = died + 1
        self.set_widgets_metadata()
        return self.nb, self.resources
