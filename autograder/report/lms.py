"""Grades as CSV files that Canvas's and Moodle's gradebook imports accept.

The roster (a CSV the instructor keeps) maps nbgrader student ids to LMS ids. Columns:
  student_id    nbgrader's id (the folder name in submitted/)          required
  name          shown in Canvas's Student column                       required
  canvas_id     Canvas's numeric user ID          \
  sis_user_id   the SIS User ID                    } Canvas needs at least one of these three
  sis_login_id  the SIS Login ID                  /
  section       Canvas section (optional)
  email         Moodle's "Email address" identifier  } Moodle needs the one --moodle-id names
  idnumber      Moodle's "ID number" identifier      }
"""

import csv
import os
from dataclasses import dataclass
from pathlib import Path

REQUIRED = ("student_id", "name")
CANVAS_IDS = ("canvas_id", "sis_user_id", "sis_login_id")
MOODLE_IDS = {"email": "Email address", "idnumber": "ID number"}
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


class RosterError(ValueError):
    """Input that cannot be exported: the message is one line for the instructor."""


@dataclass
class RosterEntry:
    student_id: str
    name: str
    fields: dict[str, str]

    def get(self, column):
        return self.fields.get(column, "") or ""


@dataclass
class Export:
    rows: list[tuple[RosterEntry, float | None]]   # roster order; None: no submission
    not_in_roster: list[str]                        # graded students the roster lacks
    without_submission: list[str]                   # roster entries with no score


def column_title(assignment):
    return f"Fashion-MNIST ({assignment})"


@dataclass
class Roster:
    path: Path
    columns: list[str]
    entries: list[RosterEntry]

    def require_ids(self, choices, lms):
        """Every entry needs a value in one of ``choices``, the columns ``lms`` matches students on."""
        if not any(c in self.columns for c in choices):
            raise RosterError(f"{self.path}: {lms} needs a column {' or '.join(choices)}")
        lacking = [e.student_id for e in self.entries if not any(e.get(c) for c in choices)]
        if lacking:
            raise RosterError(f"{self.path}: no {' or '.join(choices)} for {', '.join(lacking)}")


def read_roster(path):
    """The roster; RosterError when the file, a required column or a student id is missing."""
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"roster file not found: {path}")
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:   # utf-8-sig: Excel's byte-order mark
            reader = csv.DictReader(f)
            columns = [(c or "").strip() for c in reader.fieldnames or []]
            rows = [{(k or "").strip(): (v or "").strip() if isinstance(v, str) else "" for k, v in row.items()}
                    for row in reader]
    except (UnicodeDecodeError, csv.Error) as error:
        raise RosterError(f"{path}: not a UTF-8 CSV file ({error})") from None
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise RosterError(f"{path}: missing column(s) {', '.join(missing)} (has: {', '.join(columns) or 'none'})")
    entries, seen = [], set()
    for line, row in enumerate(rows, start=2):
        if not row["student_id"]:
            raise RosterError(f"{path}:{line}: empty student_id")
        if row["student_id"] in seen:
            raise RosterError(f"{path}:{line}: student_id {row['student_id']} appears twice")
        seen.add(row["student_id"])
        entries.append(RosterEntry(row["student_id"], row["name"], row))
    return Roster(path, columns, entries)


def match(entries, scores: dict[str, float], missing_as_zero=False) -> Export:
    rows = [(e, scores.get(e.student_id, 0.0 if missing_as_zero else None)) for e in entries]
    known = {e.student_id for e in entries}
    return Export(rows, sorted(s for s in scores if s not in known),
                  [e.student_id for e in entries if e.student_id not in scores])


def _number(score):
    return "" if score is None else f"{score:.2f}".rstrip("0").rstrip(".")


def canvas_rows(export: Export, assignment, points_possible):
    yield CANVAS_COLUMNS + [column_title(assignment)]
    # Canvas exports carry this row; its import reads it and leaves it out of the grades
    yield ["    Points Possible", "", "", "", ""] + [_number(points_possible)]
    for entry, score in export.rows:
        yield [entry.name, entry.get("canvas_id"), entry.get("sis_user_id"), entry.get("sis_login_id"),
               entry.get("section"), _number(score)]


def moodle_rows(export: Export, assignment, identifier="email"):
    yield [MOODLE_IDS[identifier], column_title(assignment)]
    for entry, score in export.rows:
        yield [entry.get(identifier), _number(score)]


def write_csv(path, rows):
    """Written whole or not at all: a partial file, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    os.replace(partial, path)
