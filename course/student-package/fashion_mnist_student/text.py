"""Tables for the book's printed results: a real table in the page, plain text elsewhere.

Columns lined up with spaces do not line up once Chinese is printed (a Chinese character takes
two columns of a monospaced font, and the page's font may not be monospaced at all), and a screen
reader reads them as one long line. ``table(rows, headers)`` returns an object that a notebook
shows as an HTML table (a caption, header cells, numbers right-aligned; the book's style sheet lets
a wide one scroll) and that prints as aligned text in a terminal, by display width.

    from fashion_mnist_student.text import table
    table([(name, f"{accuracy:.3f}") for name, accuracy in zip(class_names, per_class)],
          headers=["class", "accuracy"])
"""

import html
import numbers
import unicodedata
from dataclasses import dataclass, field


def display_width(text):
    """How many columns `text` takes in a monospaced font (wide and full-width characters two)."""
    return sum(0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
               for char in str(text))


def _is_number(value):
    if isinstance(value, numbers.Number):
        return True
    text = str(value).strip().replace(",", "").rstrip("%")
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass
class Table:
    rows: list
    headers: list
    caption: str = ""
    numeric: list = field(default_factory=list)  # per column: right-aligned?

    def __post_init__(self):
        self.rows = [[str(cell) for cell in row] for row in self.rows]
        self.headers = [str(header) for header in self.headers]
        columns = len(self.headers)
        if any(len(row) != columns for row in self.rows):
            raise ValueError(f"every row needs {columns} cells, one per header")
        if not self.numeric:
            self.numeric = [bool(self.rows) and all(_is_number(row[i]) for row in self.rows) for i in range(columns)]

    def _repr_html_(self):
        def cell(tag, text, number, attributes=""):
            style = ' style="text-align:right"' if number else ""
            return f"<{tag}{attributes}{style}>{html.escape(text)}</{tag}>"
        parts = ['<table class="table course-table">']
        if self.caption:
            parts.append(f"<caption>{html.escape(self.caption)}</caption>")
        parts.append("<thead><tr>" + "".join(cell("th", h, n, ' scope="col"') for h, n in zip(self.headers, self.numeric))
                     + "</tr></thead><tbody>")
        for row in self.rows:
            parts.append("<tr>" + "".join(cell("td", text, number) for text, number in zip(row, self.numeric)) + "</tr>")
        parts.append("</tbody></table>")
        return "".join(parts)

    def __str__(self):
        widths = [max(display_width(text) for text in column) for column in zip(self.headers, *self.rows)]

        def line(cells):
            out = []
            for text, width, number in zip(cells, widths, self.numeric):
                gap = " " * (width - display_width(text))
                out.append(gap + text if number else text + gap)
            return "  ".join(out).rstrip()
        lines = ([self.caption] if self.caption else []) + [line(self.headers), line(["-" * w for w in widths])]
        return "\n".join(lines + [line(row) for row in self.rows])

    __repr__ = __str__


def table(rows, headers, caption=""):
    """A table of `rows` (sequences of cells) under `headers`; see the module's docstring."""
    return Table(list(rows), list(headers), caption)
