"""A signal for the class report, never a score: student cells that reached for the course's code.

The kernel runs in a box that holds nothing of the course, the grader or the solutions (BOX,
autograder/box/), and the student package builds no answer (its models are probe models), so no
verdict hangs on this check: honest code that imports ``time``, ``os``, ``warnings``,
``collections``, ``seaborn`` or ``IPython.display``, says "of course" in a string or uses an IPython
magic loses nothing. What it finds (an import of ``course`` or ``autograder``, the student
package's internals, ``__import__``/``importlib``/``exec``/``eval``, ``__globals__``/
``__builtins__``/``sys.modules``, a path into the course) is written into the grade cells of the
functions it touches (``metadata.autograder.forbidden``) and listed in the class report for the
instructor to look at. The check reads the cells' syntax trees (IPython magics turned into the
code they run); it runs nothing.
"""

import ast
import re
from dataclasses import dataclass

REACHING_MODULES = {"course", "autograder", "importlib", "nbgrader", "solutions"}
# the student package's internals: the notebook needs only its top level (data, class names, fonts)
STUDENT_PACKAGE = "fashion_mnist_student"
INTERNALS = {"probes", "checks", "examples", "probe_inputs", "guard"}
REACHING_NAMES = {"__import__", "exec", "eval", "importlib", "__builtins__", "course", "autograder"}
REACHING_ATTRIBUTES = {"__globals__", "__builtins__", "__subclasses__", "__loader__", "__code__",
                       "__closure__", "modules"}
REACHING_TEXT = ("course.reference", "course/reference", "autograder", "/course/", "/solutions/",
                 "gradebook", "probe_handover", "fashion_mnist_student.", "__builtins__", "__import__",
                 "__globals__")
_MAGIC = re.compile(r"^(\s*)(%%?|!)[A-Za-z_]*\s?(.*)$")


@dataclass(frozen=True)
class Finding:
    what: str          # the construct, as the student wrote it
    line: int          # line in the cell
    functions: tuple   # the functions it is in; () when it is outside every function


def without_magics(source):
    """``source`` with each IPython magic line replaced by the code it runs (``%time x = f()``
    -> ``x = f()``; ``!ls`` and a cell magic's first line -> ``pass``), line numbers kept."""
    lines = []
    for line in source.splitlines():
        found = _MAGIC.match(line)
        if not found:
            lines.append(line)
            continue
        indent, kind, rest = found.groups()
        code = rest if kind == "%" else ""
        try:
            ast.parse(code)
        except SyntaxError:
            code = ""
        lines.append(indent + (code or "pass"))
    return "\n".join(lines)


def _parse(source):
    try:
        return ast.parse(without_magics(source))
    except SyntaxError:
        return None  # it does not run either; its parts fail on their own


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _module_reaches(name):
    parts = (name or "").split(".")
    return parts[0] in REACHING_MODULES or (parts[0] == STUDENT_PACKAGE and len(parts) > 1 and parts[1] in INTERNALS)


def _offence(node):
    if isinstance(node, ast.Import):
        bad = [a.name for a in node.names if _module_reaches(a.name)]
        return f"import {bad[0]}" if bad else None
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        internal = module == STUDENT_PACKAGE and any(a.name in INTERNALS for a in node.names)
        if node.level or _module_reaches(module) or internal:
            return f"from {'.' * node.level}{module} import {', '.join(a.name for a in node.names)[:40]}"
        return None
    if isinstance(node, ast.Name) and node.id in REACHING_NAMES:
        return node.id
    if isinstance(node, ast.Attribute):
        dotted = _dotted(node) or ""
        if dotted.startswith(STUDENT_PACKAGE + ".") and dotted.split(".")[1] in INTERNALS:
            return dotted
        return f".{node.attr}" if node.attr in REACHING_ATTRIBUTES else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        lowered = node.value.lower()
        return f"'{node.value[:40]}'" if any(t in lowered for t in REACHING_TEXT) else None
    return None


def _findings(tree):
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


def findings(source):
    """Every construct in ``source`` that reaches for the course, with the functions it is inside."""
    tree = _parse(source)
    return _findings(tree) if tree is not None else []


def _bound_names(statement, graded):
    """The names a module-level statement binds (a star import of the course: every graded one)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        names = {(a.asname or a.name).split(".")[0] for a in statement.names}
        return (names - {"*"}) | (set(graded) if "*" in names else set())
    return {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def forbidden_functions(sources, graded):
    """{graded function: the Finding that touches it} over the student's cells (magics included).

    A function is touched when its own code has a finding, when its name was bound by a statement
    that has one (``from course.reference import build_model``, or every graded name by a star
    import), when a cell's top-level code has one and the function is defined in that cell, or
    when it uses a name touched in any of these ways (``R`` after ``import course.reference as R``)."""
    flagged, functions = {}, {}
    for source in sources:
        tree = _parse(source)
        if tree is None:
            continue
        cell_finding = None
        for statement in tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions[statement.name] = statement
                inside = _findings(statement)
                if inside:
                    flagged.setdefault(statement.name, inside[0])
                continue
            found = _findings(statement)
            if found:
                cell_finding = cell_finding or found[0]
                for name in _bound_names(statement, graded):
                    flagged.setdefault(name, found[0])
        if cell_finding:
            for statement in tree.body:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    flagged.setdefault(statement.name, cell_finding)
    changed = True
    while changed:  # what uses a touched name is touched
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
    """The Finding touching a cell that depends on ``functions``, or None."""
    return next((forbidden[name] for name in functions if name in forbidden), None)
