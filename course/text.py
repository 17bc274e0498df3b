"""The book's tables: their one home is the student package (``fashion_mnist_student.text``), so a
chapter's notebook runs with what students install; re-exported here for the course's own code."""

from fashion_mnist_student.text import Table, display_width, table  # noqa: F401

__all__ = ["Table", "display_width", "table"]
