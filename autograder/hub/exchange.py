"""nbgrader's exchange, not world-writable.

nbgrader's default exchange is a folder every user may write (mode 0777; nbgrader#1225): any user
of the machine can create the course's folder before the instructor does, and since the root has
no sticky bit, rename it away and put their own in its place; a submission is a folder of mode
0777 whose files any user may read once they know its name. This hub's exchange instead:

    exchange/                  root:CLASS             3770  only the class (instructor and students)
                                                            enters; sticky: nobody renames or
                                                            deletes another's entry
    exchange/COURSE/           instructor:CLASS       2750  the class enters, the instructor writes
    exchange/COURSE/outbound/  instructor:CLASS       2750  released assignments: the class reads
    exchange/COURSE/inbound/   instructor:CLASS-staff 2733  submissions: a student creates a folder
                                                            but cannot list the folder (names end
                                                            in 72 random bits); "others" here are
                                                            the class's students only, since the
                                                            root lets nobody else in
    exchange/COURSE/feedback/  instructor:CLASS       2710  feedback, named by a keyed hash of the
                                                            submission's secret that only its
                                                            student holds; nobody may list

A submission's folder takes the staff group (inbound is set-group-id), and the students' nbgrader
configuration (``STUDENT_SUBMIT``, in the read-only configuration of their servers) makes it 0770
instead of nbgrader's 0777: the student and the staff enter it, classmates cannot, even with its
name. (Its files keep nbgrader's 0644 and the student's own group: the folder is what keeps them;
a student cannot give a file the staff group, and the set-group-id bit of the folder is cleared
when nbgrader, not a member of the staff, sets its mode.)

The exchange root is group-writable only because nbgrader's students' side checks that it is
writable before it fetches or submits; the sticky bit makes that harmless. On the instructor's side
two classes replace nbgrader's: ``ReleaseAssignment`` does not chmod the root to 0777 (nbgrader's
does on every release), and ``Collect`` takes a submission only when its folder is owned by the
student it names and holds no symbolic link (nbgrader copies what a link points to, as the
instructor: a link to the source notebook would come back as the student's work, and in the
feedback).
"""

import glob
import grp
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

from nbgrader.exchange.default import ExchangeCollect, ExchangeReleaseAssignment


@dataclass(frozen=True)
class Entry:
    """One folder of the exchange: who owns it and its mode."""
    path: Path
    owner: str
    group: str
    mode: int


def staff_group(group: str) -> str:
    return f"{group}-staff"


def plan(root: Path, course_id: str, instructor: str, group: str) -> tuple[Entry, ...]:
    course = Path(root) / course_id
    return (Entry(Path(root), "root", group, 0o3770),
            Entry(course, instructor, group, 0o2750),
            Entry(course / "outbound", instructor, group, 0o2750),
            Entry(course / "inbound", instructor, staff_group(group), 0o2733),
            Entry(course / "feedback", instructor, group, 0o2710))


# The students' side (their servers have nbgrader, not this package: the class is defined in their
# nbgrader_config.py). nbgrader's submit leaves the submission 0777 with 0644 files.
STUDENT_SUBMIT = """
import os
from nbgrader.exchange.default import ExchangeSubmit


class PrivateSubmit(ExchangeSubmit):
    \"\"\"nbgrader's submit; then the submission's folder is the student's and the staff's only.\"\"\"

    def copy_files(self):
        super().copy_files()
        os.chmod(os.path.join(self.inbound_path, self.assignment_filename), 0o770)


c.ExchangeFactory.submit = PrivateSubmit
"""


def apply(entries) -> None:
    """Create each folder (parents first) and set its owner and mode; a symbolic link in the way
    is refused rather than followed."""
    for entry in entries:
        if entry.path.is_symlink():
            raise RuntimeError(f"{entry.path} is a symbolic link; the exchange needs real folders")
        entry.path.mkdir(mode=0o700, exist_ok=True)
        os.chown(entry.path, pwd.getpwnam(entry.owner).pw_uid, grp.getgrnam(entry.group).gr_gid,
                 follow_symlinks=False)
        os.chmod(entry.path, entry.mode)


def differences(entries) -> list[str]:
    """What is not as planned (empty when the exchange is right)."""
    wrong = []
    for entry in entries:
        try:
            info = os.lstat(entry.path)
        except FileNotFoundError:
            wrong.append(f"{entry.path}: missing")
            continue
        mode = stat.S_IMODE(info.st_mode)
        owner = pwd.getpwuid(info.st_uid).pw_name
        group = grp.getgrgid(info.st_gid).gr_name
        if (owner, group, mode) != (entry.owner, entry.group, entry.mode) or not stat.S_ISDIR(info.st_mode):
            wrong.append(f"{entry.path}: {owner}:{group} {mode:o}, wanted {entry.owner}:{entry.group} "
                         f"{entry.mode:o}")
    return wrong


class ReleaseAssignment(ExchangeReleaseAssignment):
    """nbgrader's release, without making the exchange root world-writable."""

    def ensure_root(self):
        if not os.path.isdir(self.root) or not os.access(self.root, os.W_OK | os.X_OK):
            self.fail(f"The exchange {self.root} is missing or not writable by you: start the hub as root "
                      "(python -m autograder hub start), which sets it up")


def symlinks_in(folder: str) -> list[str]:
    found = []
    for parent, dirs, files in os.walk(folder, followlinks=False):
        found += [os.path.join(parent, name) for name in dirs + files
                  if os.path.islink(os.path.join(parent, name))]
    return found


def refusal(path: str, username: str) -> str | None:
    """Why a submission folder is not taken (None when it is): it must be a real folder owned by
    the student it names, holding no symbolic link."""
    try:
        info = os.lstat(path)
        owner = pwd.getpwuid(info.st_uid).pw_name
    except (KeyError, FileNotFoundError):
        return "its owner is not a user of this machine"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder"
    if owner != username:
        return f"it names {username} but is owned by {owner}"
    links = symlinks_in(path)
    if links:
        return f"it holds symbolic links ({', '.join(links[:3])})"
    return None


class Collect(ExchangeCollect):
    """nbgrader's collect, taking for each student the latest submission that passes ``refusal``
    (a classmate's folder that names another student cannot hide that student's own)."""

    def init_src(self):
        super().init_src()
        pattern = os.path.join(self.inbound_path, f"{self.coursedir.student_id or '*'}+"
                                                  f"{self.coursedir.assignment_id}+*")
        latest = {}
        for path in glob.glob(pattern):
            record = self._path_to_record(path)
            why = refusal(path, record["username"])
            if why:
                self.log.warning("Skipped %s: %s", record["filename"], why)
                continue
            if self.duedate is not None and self.before_duedate and record["timestamp"] > self.duedate:
                record = dict(record, late=True)
            best = latest.get(record["username"])
            if best is None or _rank(record) > _rank(best):
                latest[record["username"]] = record
        self.src_records = [{k: v for k, v in r.items() if k != "late"} for r in latest.values()]


def _rank(record):
    """The submission nbgrader would take: before the due date if any (when asked), then the latest."""
    return (not record.get("late", False), record["timestamp"])
