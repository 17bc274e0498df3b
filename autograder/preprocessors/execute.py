"""GradingExecute: nbgrader's Execute with every kernel in a box, the grader's set-up in the
kernel, and a dead kernel costing only the cell it died in.

The box (autograder/box) is around the kernel, whoever runs nbgrader: plain `nbgrader autograde`,
the formgrader and the class command's workers all come here. The kernel works in a copy of the
notebook's folder in its own /tmp; the hand-overs of a grade cell are pulled out of the box right
after that cell ran (only ``<grade id>.json`` and ``.npz`` of that cell, autograder/box/pull.py).
Where the box cannot be built, grading refuses with the reason; ``unsafe_no_box`` (or
AUTOGRADER_UNSAFE_NO_BOX=1) runs the kernel as nbgrader does, for trusted code only.

Before the first cell it clears the hand-over folder and the re-check folder (a submission cannot
bring verdict data along) and runs a preamble in the kernel: where the probes hand over and their
seed, and the training seed. When the kernel dies in cell N (memory, os._exit, a crash, a kill, the
process cap), cell N gets an error saying so in the notebook's language, a new kernel starts in a
fresh box, the cells above N that are not test cells (the set-up, the student's definitions, the
provided training) are run again silently to rebuild the state, and grading goes on from cell
N + 1. After ``max_restarts`` restarts the remaining test cells get an error that says they did
not run. After the notebook, a near miss of the accuracy is trained again in a fresh box
(autograder/recheck.py). The choices and their cost are explained in GRADING.md.
"""

import os
import shutil
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Integer, default

from ..box import KERNEL_DIED, NOT_RUN, UNSAFE_NO_BOX  # noqa: F401 (defined where nbgrader is not imported)
from .. import box
from ..box import ahead
from ..box.command import GIVEN_PREFIX
from ..grading import scratch
from ..handover import PROBE_FOLDER, submission_seed
from ..messages import say
from ..notebook_run import notebook_language
from ..quick_exit import skip_last_collection
from ..recheck import RECHECK_FOLDER, after_notebook
from ..seeding import kernel_preamble

PROCESS_CAP_SIGNS = ("Resource temporarily unavailable", "BlockingIOError", "can't start new thread")


class BoxUnavailable(RuntimeError):
    """The kernel's box cannot be built; the message says why and how to opt out for trusted code."""


def _remove(path):
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _linked_in(folder):
    """Relative names under ``folder`` that are links or lie below one (nbgrader's copy follows them)."""
    folder = Path(folder)
    linked = set()
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = Path(root) / name
            if path.is_symlink():
                linked.add(str(path.relative_to(folder)))
    return linked


def box_copy(folder, leave_out=(), into=None):
    """A private copy of ``folder``'s regular files for the box (no link, nothing in ``leave_out``,
    no hand-over or re-check folder): what the kernel gets as its working folder. In ``into`` (an
    empty private folder: a kernel started ahead shows it already), or in a new one."""
    staging = Path(into) if into is not None else scratch.private_folder(GIVEN_PREFIX)
    for root, dirs, files in os.walk(folder):
        relative = Path(root).relative_to(folder)
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()
                   and str(relative / d) not in leave_out and (relative / d).parts[0] not in (PROBE_FOLDER, RECHECK_FOLDER)]
        for name in files:
            path = Path(root) / name
            if path.is_symlink() or not path.is_file() or str(relative / name) in leave_out:
                continue
            (staging / relative).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, staging / relative / name)
    return staging


def probe_preamble(seed, folder):
    return ("import fashion_mnist_student.probes as _probes\n"
            f"_probes.configure({int(seed)}, {str(folder)!r})\ndel _probes\n")


_BOX_PROBLEM = []


def box_problem():
    """Why no kernel's box can be built here (checked once per process), or None."""
    if not _BOX_PROBLEM:
        from ..box import problem
        _BOX_PROBLEM.append(problem())
    return _BOX_PROBLEM[0]


def refusal(why):
    return (f"The student's kernel cannot be put in a box: {why}. Grading refused: student code "
            "would run with your rights, see your files and the network. For trusted code only, "
            f"set c.GradingExecute.unsafe_no_box = True in nbgrader_config.py or {UNSAFE_NO_BOX}=1 "
            "(see autograder/GRADING.md).")


class GradingExecute(Execute):

    max_restarts = Integer(2, help="how many times a dead kernel is restarted").tag(config=True)
    unsafe_no_box = Bool(False, help="run the kernel without its box: trusted code only").tag(config=True)
    box_limits = Dict(help="the box's limits (autograder.grading.sandbox.Limits fields); "
                           "the class command sets the job's").tag(config=True)

    _ahead = None      # a kernel started ahead (autograder/box/ahead.py), until nbclient takes it
    _copy_in = False   # that kernel has yet to copy the notebook's folder to its work folder

    @default("shutdown_kernel")
    def _immediate_shutdown(self):
        # nbclient's default lets the kernel end itself, which with TensorFlow loaded takes about
        # 1.2 s per box; nothing of the kernel is needed once its last cell ran (the hand-overs
        # are pulled after each cell), and its box is killed whole anyway
        return "immediate"

    @property
    def boxed(self):
        return box.boxed(self.unsafe_no_box)

    def _limits(self):
        from ..grading.sandbox import Limits
        return Limits(**self.box_limits)

    def create_kernel_manager(self):
        if not self.boxed:
            return super().create_kernel_manager()
        if self._ahead is not None:   # running already (nbclient starts none): its folder comes first
            self.km, self._ahead, self._copy_in = self._ahead.km, None, True
            return self.km
        from ..box.kernel import BoxedKernelManager
        self.km = BoxedKernelManager(
            given=str(self._given), kernel_name="python3", limits=self._limits(), config=self.config,
            label=box.label(self._folder),
            kernel_env=ahead.kernel_env())
        return self.km

    def _run_silently(self, code):
        """Run ``code`` in the kernel without recording anything; True when it succeeded."""
        msg_id = self.kc.execute(code, silent=True, store_history=False)
        reply = self.wait_for_reply(msg_id)
        return bool(reply) and reply.get("content", {}).get("status") == "ok"

    def _start(self, upto):
        """The kernel's set-up, then the cells above ``upto`` that rebuild its state."""
        info = self.wait_for_reply(self.kc.kernel_info())
        self.nb.metadata["language_info"] = info["content"]["language_info"]
        if self._copy_in:
            self._copy_in = False
            self._run_silently(ahead.COPY_IN)
        self._run_silently(self._preamble)
        for index in range(upto):
            cell = self.nb.cells[index]
            if cell.cell_type == "code" and not utils.is_grade(cell) and index not in self._died_in:
                self._run_silently(cell.source)

    def probe_folder_in_kernel(self):
        """Where the kernel's probes write: in the box's copy of the folder, or the folder itself."""
        from ..box.command import WORK
        return f"{WORK}/{PROBE_FOLDER}" if self.boxed else str(self._folder / PROBE_FOLDER)

    def recheck_folder_in_kernel(self):
        """Where a re-check's kernel writes its weights (the grader pulls them from there)."""
        from ..box.command import WORK
        return f"{WORK}/.recheck" if self.boxed else str(self._folder / RECHECK_FOLDER)

    def pull(self, names, inside, target):
        """Files the kernel wrote, into the host folder ``target`` (boxed kernels only)."""
        if self.boxed and self.km is not None:
            return self.km.pull(inside, names, target)
        return []

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and utils.is_grade(cell) and grade_id:
            self.pull([f"{grade_id}.json", f"{grade_id}.npz"], self.probe_folder_in_kernel(),
                      self._folder / PROBE_FOLDER)
        return cell, resources

    def _mark_died(self, index):
        cell = self.nb.cells[index]
        text = "\n".join(str(o.get("text", "")) + str(o.get("evalue", "")) for o in cell.get("outputs", []))
        if self.boxed and any(sign in text for sign in PROCESS_CAP_SIGNS):
            message = say("process_cap", self._lang, limit=self._limits().processes)
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

    def _submitted_links(self, resources):
        """Names that were links in the student's submitted folder: nbgrader's copy into the
        autograded folder followed them (a link to the gradebook arrives as a copy of it), so the
        box leaves them out."""
        info = resources.get("nbgrader", {})
        if not info.get("student") or not info.get("assignment"):
            return set()
        try:
            from nbgrader.coursedir import CourseDirectory
            paths = CourseDirectory(config=self.config)
            submitted = Path(paths.format_path(paths.submitted_directory, info["student"], info["assignment"]))
        except Exception:  # noqa: BLE001 (no course around: nothing was copied by nbgrader)
            return set()
        return _linked_in(submitted) if submitted.is_dir() else set()

    def preprocess(self, nb, resources, km=None):
        skip_last_collection()   # plain `nbgrader autograde` ends 0.4 s sooner (quick_exit)
        if self.boxed and box_problem():
            raise BoxUnavailable(refusal(box_problem()))
        folder = Path(resources.get("metadata", {}).get("path") or ".").resolve()
        self._folder = folder
        _remove(folder / PROBE_FOLDER)
        _remove(folder / RECHECK_FOLDER)
        self._ahead, self._copy_in = None, False
        if self.boxed:
            self._ahead = ahead.take(resources.get("nbgrader", {}).get("assignment", ""), self._limits())
            self._given = box_copy(folder, self._submitted_links(resources),
                                   into=self._ahead.given if self._ahead else None)
        else:
            ahead.discard()
            self._given = folder
        try:
            return self._preprocess(nb, resources, km, folder)
        finally:
            if self._ahead is not None:   # taken but never started on (an error before the kernel)
                ahead.end(self._ahead)
                self._ahead = None
            if self._given != folder:
                shutil.rmtree(self._given, ignore_errors=True)

    def _preprocess(self, nb, resources, km, folder):
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        self._preamble = (probe_preamble(submission_seed(nb, resources), self.probe_folder_in_kernel())
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
            except DeadKernelError:  # while rebuilding the state
                died = start - 1 if start else 0
                self._mark_not_run(died)
                break
            if died is None:
                break
            self._died_in.append(died)
            self._mark_died(died)
            self.log.warning("kernel died in cell %d; restarting in a fresh box", died + 1)
            if len(self._died_in) > self.max_restarts:
                self._mark_not_run(died)
                break
            start = died + 1
        # a near miss is trained again in a fresh box, after this one ended (autograder/recheck.py)
        after_notebook(self, folder, assignment, self._lang)
        self.set_widgets_metadata()
        return self.nb, self.resources
