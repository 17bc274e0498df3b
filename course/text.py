"""Text helpers for printed tables: columns that line up when Chinese is printed.

Python's f"{name:12}" pads to 12 *characters*, but a Chinese character takes two columns in a
terminal or a notebook's monospaced output, so a column of Chinese class names comes out ragged.
pad() counts display columns instead (Unicode's East Asian Width: wide and full-width characters
take two).
"""

import unicodedata


def display_width(text):
    """How many columns `text` takes in a monospaced font."""
    return sum(0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
               for char in str(text))


def pad(text, width):
    """`text` followed by spaces up to `width` display columns (unchanged if it is wider)."""
    text = str(text)
    return text + " " * max(0, width - display_width(text))
