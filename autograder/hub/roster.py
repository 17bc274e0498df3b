"""The class roster: a CSV with one student a line (``username`` required; ``first_name``,
``last_name``, ``email`` optional, as ``nbgrader db student import`` reads them).

Every user name becomes a local account, so the rules are strict: lower-case letters, digits, ``_``
and ``-``, starting with a letter or ``_``, at most 32 characters, no duplicates, not the
instructor. A bad file is refused with the line that is wrong, never half-used.
"""

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..paths import ROSTER_SAMPLE

USERNAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
COLUMNS = ("username", "first_name", "last_name", "email")
MAX_STUDENTS = 2000
SAMPLE = ROSTER_SAMPLE


class RosterError(ValueError):
    """The roster cannot be used; the message names the file, the line and what is wrong."""


@dataclass(frozen=True)
class Student:
    username: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""


def check_username(name: str, where: str) -> str:
    if not USERNAME.fullmatch(name):
        raise RosterError(f"{where}: {name!r} is not a usable user name (lower-case letters, digits, "
                          "'_' and '-', starting with a letter or '_', at most 32 characters)")
    return name


def parse(text: str, source: str = "roster", instructor: str = "instructor") -> tuple[Student, ...]:
    """The students of a roster's text; ``RosterError`` for anything wrong."""
    if "\x00" in text:
        raise RosterError(f"{source}: not a text CSV file (it holds NUL bytes)")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if "username" not in header:
        raise RosterError(f"{source}: line 1 must be a header with a 'username' column "
                          f"(optional: {', '.join(COLUMNS[1:])}); found {reader.fieldnames!r}")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise RosterError(f"{source}: unknown column(s) {unknown!r}; the columns are {', '.join(COLUMNS)}")
    reader.fieldnames = header
    students, seen = [], {}
    for row in reader:
        line = reader.line_num
        if None in row:
            raise RosterError(f"{source}, line {line}: more fields than the header has columns")
        values = {key: (value or "").strip() for key, value in row.items()}
        if not any(values.values()):
            continue
        name = check_username(values["username"], f"{source}, line {line}")
        if name == instructor:
            raise RosterError(f"{source}, line {line}: {name!r} is the instructor's account, not a student")
        if name in seen:
            raise RosterError(f"{source}, line {line}: {name!r} is already on line {seen[name]}")
        if any(len(value) > 200 or any(ch in value for ch in ":\n\r") for value in values.values()):
            raise RosterError(f"{source}, line {line}: a field is too long or holds ':' or a line break")
        seen[name] = line
        students.append(Student(name, values.get("first_name", ""), values.get("last_name", ""),
                                values.get("email", "")))
        if len(students) > MAX_STUDENTS:
            raise RosterError(f"{source}: more than {MAX_STUDENTS} students")
    if not students:
        raise RosterError(f"{source}: no students (a header and at least one line with a username)")
    return tuple(students)


def load(path: Path, instructor: str = "instructor") -> tuple[Student, ...]:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RosterError(f"{path}: cannot be read ({error.strerror})") from None
    if len(raw) > 1_000_000:
        raise RosterError(f"{path}: larger than 1 MB; a roster is one line per student")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RosterError(f"{path}: not UTF-8 text (save the CSV as UTF-8)") from None
    return parse(text, str(path), instructor)
