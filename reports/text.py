"""User text as the files we write can hold it.

Free text is cleaned where it is typed (``domain.text.clean_text``); this is the renderers'
own guard, so that a text stored before that cleaning (or missed by it) cannot make an export
fail or break a file's lines apart. It leaves the stored text as it is otherwise, and is one
regular expression rather than ``clean_text``'s walk over each character: a province's
workbook writes a hundred thousand texts.
"""

from __future__ import annotations

import re

# Vertical tab and form feed (Word's line and page breaks when text is pasted from it), next
# line and the Unicode line and paragraph separators: line breaks to a reader, but not to
# every program reading a file, so they become the one line break every format knows.
_LINE_BREAKS = re.compile("[\x0b\x0c\x85\u2028\u2029]")
# What XML 1.0 cannot hold (so python-docx and openpyxl refuse it) and iCalendar's TEXT
# forbids: control characters other than tab and line breaks, lone surrogates, U+FFFE/FFFF.
_UNWRITABLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def writable(text: str) -> str:
    """The text without the characters documents cannot hold; its line breaks stay, those
    not every reader knows as "\\n"."""
    return _UNWRITABLE.sub("", _LINE_BREAKS.sub("\n", text))


def one_line(text: str) -> str:
    """The text on one line, for a name, a title or a table cell: breaks and runs of spaces
    become single spaces, so the text cannot add lines to the layout around it."""
    return " ".join(writable(text).split())
