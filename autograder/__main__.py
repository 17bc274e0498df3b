"""python -m autograder VERB ...: one entry, a subcommand per verb (see autograder/GRADING.md).

Each verb's module gives its arguments (``add_arguments``) and a function that does the work
(``run``), a thin layer over a library function that returns a typed result; the command line only
parses, calls and prints. No verb's module imports this one: a verb is one line of VERBS.
"""

import argparse
import importlib
import sys
from typing import NamedTuple

DESCRIPTION = ("The Fashion-MNIST course's grader: grade a class, report on it, export grades, build bundles, "
               "run a class server.")


class Verb(NamedTuple):
    name: str
    module: str                     # relative to this package: ".grading.cli"
    help: str
    add_arguments: str = "add_arguments"
    run: str = "run"
    aliases: tuple[str, ...] = ()


# in the order --help lists them
VERBS = (
    Verb("demo", ".demo", "build a sample class in a scratch course, grade it in the sandbox, write the report"),
    Verb("grade", ".grading.cli", "autograde every collected submission of an assignment (sandboxed, in parallel)"),
    Verb("report", ".report.cli", "one self-contained HTML class report", "add_report_arguments", "report"),
    Verb("lms", ".report.cli", "grades as CSV for Canvas and/or Moodle", "add_lms_arguments", "export",
         ("export-lms",)),
    Verb("bundle", ".bundle", "the zip a student downloads (the release notebook and the student package)"),
    Verb("calibrate", ".calibrate", "set the accuracy threshold from reference runs on this machine"),
    Verb("hub", ".hub.cli", "a class server on this machine: JupyterHub, the exchange, the formgrader (start|stop|status)"),
)


def parser(verbs=VERBS, only=None):
    """The whole command line; with ``only`` (a verb's name or alias, or "" for none) only that
    verb's module is imported: the others are listed by name and help."""
    top = argparse.ArgumentParser(prog="python -m autograder", description=DESCRIPTION)
    sub = top.add_subparsers(dest="command", required=True, metavar="VERB")
    for verb in verbs:
        command = sub.add_parser(verb.name, aliases=list(verb.aliases), help=verb.help, description=verb.help)
        if only is None or only in (verb.name, *verb.aliases):
            module = importlib.import_module(verb.module, __package__)
            getattr(module, verb.add_arguments)(command)
            command.set_defaults(run=getattr(module, verb.run))
    return top


def parse(argv, verbs=VERBS):
    """Parse ``argv``, importing only the module of the verb it names (--help alone imports none)."""
    chosen = next((arg for arg in argv if not arg.startswith("-")), "")
    return parser(verbs, chosen).parse_args(argv)


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else list(argv))
    return args.run(args)


if __name__ == "__main__":
    from .quick_exit import skip_last_collection
    skip_last_collection()
    sys.exit(main())
