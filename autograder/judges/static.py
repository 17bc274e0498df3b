"""Solution cells that reach for the course's code instead of computing the answer.

Under plain `nbgrader autograde` the kernel shares the instructor's environment, so the reference
solution and the grader are importable and readable there; in the class command's box they are not
mounted, but the student package is (the notebook needs it), and it builds the lesson's model.
A graded function whose code imports anything but the lesson's libraries, names the course's
packages, or reads files, evals or execs, scores 0 for its parts, with a message that says why.
The check reads the cell's syntax tree; it does not run anything.
"""

import ast
from dataclasses import dataclass

ALLOWED_MODULES = {"numpy", "tensorflow", "keras", "matplotlib", "math"}
FORBIDDEN_NAMES = {"fashion_mnist_student", "checks", "probes", "course", "autograder", "__import__",
                   "exec", "eval", "compile", "open", "globals", "vars", "locals", "sys", "os",
                   "importlib", "builtins", "__builtins__", "subprocess", "inspect", "breakpoint"}
FORBIDDEN_ATTRIBUTES = {"__globals__", "__dict__", "__code__", "__closure__", "__builtins__",
                        "__subclasses__", "__loader__", "__spec__", "read_text", "read_bytes", "modules"}
FORBIDDEN_TEXT = ("course", "autograder", "reference", "judges", "probe", "fashion_mnist_student")
EVERY_FUNCTION = "*"


@dataclass(frozen=True)
class Finding:
    what: str          # the construct, as the student wrote it
    line: int          # line in the cell
    functions: tuple   # the functions it is in; () when it is outside every function


def _module_allowed(name):
    return (name or "").split(".")[0] in ALLOWED_MODULES


def _offence(node):
    if isinstance(node, ast.Import):
        bad = [a.name for a in node.names if not _module_allowed(a.name)]
        return f"import {bad[0]}" if bad else None
    if isinstance(node, ast.ImportFrom):
        return None if node.level == 0 and _module_allowed(node.module) else f"from {'.' * node.level}{node.module or ''} import"
    if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
        return node.id
    if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
        return f".{node.attr}"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        lowered = node.value.lower()
        hit = next((t for t in FORBIDDEN_TEXT if t in lowered), None)
        return f"'{node.value[:40]}'" if hit else None
    return None


def findings(source):
    """Every forbidden construct in ``source`` with the functions it is inside."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # it does not run either; its parts fail on their own

    found = []

    def visit(node, inside):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return  # a docstring or a bare string says nothing the code does
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside = (*inside, node.name)
        what = _offence(node)
        if what:
            found.append(Finding(what, getattr(node, "lineno", 0), inside[:1]))
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, ())
    return found


def forbidden_functions(solution_sources, graded):
    """{function name: first Finding} over the solution cells. A finding outside every function
    can reach every function (a name imported at the top of one cell is visible in all of them),
    and so can one inside a helper that is not one of the ``graded`` functions: both are filed
    under EVERY_FUNCTION."""
    result = {}
    for source in solution_sources:
        for finding in findings(source):
            where = finding.functions[0] if finding.functions else EVERY_FUNCTION
            # a helper of the student's own can be called from any graded function
            result.setdefault(where if where in graded else EVERY_FUNCTION, finding)
    return result


def finding_for(forbidden, functions):
    """The Finding that costs a cell depending on ``functions`` its points, or None."""
    if EVERY_FUNCTION in forbidden:
        return forbidden[EVERY_FUNCTION]
    return next((forbidden[name] for name in functions if name in forbidden), None)
