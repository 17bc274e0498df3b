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


def _bound_names(statement):
    """The names a module-level statement binds."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in statement.names}
    return {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def forbidden_functions(sources, graded):
    """{graded function: the Finding that costs its parts} over the student's cells.

    A function is flagged when its own code has a finding, when its name was bound by a statement
    that has one (``from course.reference import build_model``), when a cell's top-level code has
    one and the function is defined in that cell (the part that did it: a fork bomb above
    plot_value_array costs plot_value_array), or when it uses a name flagged in any of these ways
    (a helper of the student's own, or ``R`` after ``import course.reference as R``)."""
    flagged, functions = {}, {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # it does not run either; its parts fail on their own
        cell_finding = None
        for statement in tree.body:
            found = findings(ast.unparse(statement)) if not isinstance(
                statement, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions[statement.name] = statement
                inside = findings(ast.unparse(statement))
                if inside:
                    flagged.setdefault(statement.name, inside[0])
            elif found:
                cell_finding = cell_finding or found[0]
                for name in _bound_names(statement):
                    flagged.setdefault(name, found[0])
        if cell_finding:
            for statement in tree.body:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    flagged.setdefault(statement.name, cell_finding)
    changed = True
    while changed:  # what uses a flagged name is flagged
        changed = False
        for name, node in functions.items():
            if name in flagged:
                continue
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & set(flagged)
            if used:
                flagged[name] = flagged[sorted(used)[0]]
                changed = True
    return {name: finding for name, finding in flagged.items() if name in graded}


def finding_for(forbidden, functions):
    """The Finding that costs a cell depending on ``functions`` its points, or None."""
    return next((forbidden[name] for name in functions if name in forbidden), None)
