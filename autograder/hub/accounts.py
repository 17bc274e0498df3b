"""Local accounts for the class: the class group, the instructor, the students, their passwords.

The hub signs users in with PAM, i.e. with these accounts' own passwords: nbgrader's exchange
works by Unix ownership (who submitted is who owns the folder), so every user must be a real
account anyway, and PAM then needs no second password store. Passwords are generated (16 random
URL-safe characters), set with ``chpasswd`` (the system keeps only their hash), written to a
root-only file (state/passwords.txt, 0600) for the instructor to hand out, and printed once, when
they are made; a later start keeps them.

Students' accounts get no login shell (``/usr/sbin/nologin``): they sign in to the hub only, never
to the machine itself (by SSH, say), where this checkout, with the solutions, is readable; their
JupyterLab terminal runs bash inside their server's view (autograder/hub/spawn.py).

An existing account is used only when the hub made it (its comment field says so): a roster line
must never take over someone's account on a shared machine.
"""

import grp
import os
import pwd
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

MARK = "fashion-mnist hub"


class AccountError(RuntimeError):
    """An account cannot be made or used; the message says which and why."""


@dataclass(frozen=True)
class NewPassword:
    username: str
    password: str


def run(command, stdin=None):
    done = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise AccountError(f"{' '.join(command[:2])} ... failed: {done.stderr.strip()[-500:]}")


def ensure_group(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        run(["groupadd", name])
        return grp.getgrnam(name).gr_gid


def usable(entry: pwd.struct_passwd) -> bool:
    return MARK in entry.pw_gecos


NOLOGIN = "/usr/sbin/nologin"


def ensure_user(name: str, group: str, comment: str = "", shell: str = "/bin/bash") -> bool:
    """The account ``name`` in ``group`` with ``shell``, home 0700; True when it was made now."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        entry = None
    if entry is not None and not usable(entry):
        raise AccountError(f"the account {name!r} exists and was not made by the hub; rename the "
                           "student in the roster or remove the account")
    made = entry is None
    if made:
        gecos = f"{comment} ({MARK})".replace(":", " ").strip()
        run(["useradd", "--create-home", "--shell", shell, "--comment", gecos, "--groups", group, name])
    else:
        run(["usermod", "--append", "--groups", group, "--shell", shell, name])
    home = Path(pwd.getpwnam(name).pw_dir)
    os.chmod(home, 0o700)
    return made


def add_to_group(name: str, group: str) -> None:
    run(["usermod", "--append", "--groups", group, name])


def set_passwords(names) -> list[NewPassword]:
    fresh = [NewPassword(name, secrets.token_urlsafe(12)) for name in names]
    if fresh:
        run(["chpasswd"], stdin="".join(f"{p.username}:{p.password}\n" for p in fresh))
    return fresh


def record(path: Path, fresh) -> None:
    """Append the new passwords to the root-only file (made 0600 before anything is written)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        for entry in fresh:
            out.write(f"{entry.username}\t{entry.password}\n")


def remove_user(name: str) -> None:
    """Remove an account the hub made (and its home); others are left alone."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return
    if usable(entry):
        run(["userdel", "--remove", name])
