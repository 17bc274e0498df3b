"""python -m autograder VERB ...: one entry, a subcommand per verb (see autograder/GRADING.md).

Each verb's module gives its arguments (``add_arguments``) and a function that does the work and
returns typed results; the command line only parses, calls and prints.
"""

import argparse
import sys

DESCRIPTION = "The Fashion-MNIST course's grader: grade a class, report on it, export grades, build bundles."


def _verbs():
    """(name, aliases, help, add_arguments, run) for each verb, in the order --help lists them."""
    from . import bundle, calibrate, demo
    from .grading import cli as grading
    from .report import cli as report
    return [
        ("demo", [], "build a sample class in a scratch course, grade it in the sandbox, write the report",
         demo.add_arguments, demo.run),
        ("grade", [], "autograde every collected submission of an assignment (sandboxed, in parallel)",
         grading.add_arguments, grading.run),
        ("report", [], "one self-contained HTML class report", report.add_report_arguments, report.report),
        ("lms", ["export-lms"], "grades as CSV for Canvas and/or Moodle", report.add_lms_arguments, report.export),
        ("bundle", [], "the zip a student downloads (the release notebook and the student package)",
         bundle.add_arguments, bundle.run),
        ("calibrate", [], "set the accuracy threshold from reference runs on this machine",
         calibrate.add_arguments, calibrate.run),
    ]


def parser():
    top = argparse.ArgumentParser(prog="python -m autograder", description=DESCRIPTION)
    sub = top.add_subparsers(dest="command", required=True, metavar="VERB")
    for name, aliases, help_text, add_arguments, run in _verbs():
        verb = sub.add_parser(name, aliases=aliases, help=help_text, description=help_text)
        add_arguments(verb)
        verb.set_defaults(run=run)
    return top


def parse(argv):
    return parser().parse_args(argv)


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else list(argv))
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
