"""``python -m autograder hub [start|stop|status]``: the class server's verb (``make hub``)."""

import argparse
from pathlib import Path

from .accounts import AccountError
from .layout import DEFAULT_ROOT, Layout, Settings
from .roster import SAMPLE, RosterError
from .server import HubError, Options, running, start, stop
from ..student_env import EnvError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("start", "stop", "status"), default="start",
                        help="start (the default), stop, or say whether it runs")
    parser.add_argument("--roster", type=Path, default=SAMPLE,
                        help="CSV of the students (column username; first_name, last_name, email optional); "
                             "default: the sample roster of two students")
    parser.add_argument("--port", type=int, default=8000,
                        help="the class's port (default 8000); the hub and the proxy's API use the next two")
    parser.add_argument("--ip", default="0.0.0.0", help="the address to listen on (default: all)")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT,
                        help=f"where the hub keeps its state and the exchange (default {DEFAULT_ROOT})")
    parser.add_argument("--envs", type=Path, default=None,
                        help="where the students' and the instructor's environments are built "
                             "(default ROOT/envs)")
    parser.add_argument("--instructor", default="instructor", help="the instructor's account (default instructor)")
    parser.add_argument("--group", default="fashion-mnist", help="the class's group (default fashion-mnist)")


def run(args) -> int:
    try:
        if args.action == "stop":
            result = stop(args.root)
            print(f"hub: stopped ({len(result.ended)} processes ended)" if result.was_running or result.ended
                  else "hub: nothing was running")
            if not result.clean:
                print(f"hub: port(s) {list(result.busy_ports)} still in use by another program")
                return 1
            return 0
        if args.action == "status":
            layout = Layout(args.root)
            pid = running(layout)
            if pid and layout.settings.exists():
                print(f"hub: running (pid {pid}) on port {Settings.load(layout.settings).port}")
                return 0
            print("hub: not running")
            return 3
        started = start(Options(root=args.root, port=args.port, ip=args.ip, roster=args.roster,
                                instructor=args.instructor, group=args.group,
                                envs=args.envs), say=print)
    except (HubError, RosterError, AccountError, EnvError) as error:
        print(f"hub: {error}")
        return 2
    settings = started.settings
    print(f"hub: the class server runs at {started.url}")
    print(f"  instructor: {settings.instructor} (Formgrader in the Nbgrader menu; the course is "
          f"~/{Path(settings.course_dir).name})")
    print(f"  students: {', '.join(settings.students)} (Assignments tab in the Nbgrader menu)")
    if started.new_passwords:
        print("  new passwords (shown once; kept for root in "
              f"{started.passwords_file}):")
        for entry in started.new_passwords:
            print(f"    {entry.username}\t{entry.password}")
    else:
        print(f"  passwords: as before, in {started.passwords_file} (readable by root only)")
    print("  stop it with: make hub-stop (python -m autograder hub stop)")
    return 0
