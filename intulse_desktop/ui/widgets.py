"""Widgets every window uses: labels and tooltips that keep untrusted text plain (and free of
bidi controls), elided to a number of lines, and the read-only tables that lists are shown in."""

from __future__ import annotations

import html

from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, Qt
from PySide6.QtGui import QFont, QFontMetrics, QTextLayout, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QTableView,
    QTreeWidget,
    QWidget,
)

from intulse_desktop.formatting import without_bidi_controls


class PlainLabel(QLabel):
    """A label for untrusted text: never rich text, never a link, no bidi controls (a name
    "\u202eevil" would show as "live"), clicks go to the card."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.setWordWrap(True)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(without_bidi_controls(text))


class ElidedLabel(PlainLabel):
    """Untrusted text in at most ``lines`` lines of ``width`` pixels: wrapped at words, or anywhere
    in a string with no spaces, and the last line elided with "…". The whole text stays in the
    tooltip and in what a screen reader reads."""

    def __init__(self, text: str, lines: int, width: int) -> None:
        self.lines, self.line_width = lines, width
        super().__init__(text)
        self.setWordWrap(False)  # the lines are broken here

    def setText(self, text: str) -> None:
        self.whole = without_bidi_controls(text)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # a style sheet's font comes after the text
            self._elide()

    def _elide(self) -> None:
        shown = elide_lines(self.whole, self.font(), self.line_width, self.lines)
        super().setText(shown)
        self.setToolTip(plain_tooltip(self.whole) if shown != self.whole.strip() else "")
        self.setAccessibleName(self.whole)


def elide_lines(text: str, font: QFont, width: int, lines: int) -> str:
    """``text`` wrapped to ``width`` pixels in at most ``lines`` lines, the last one elided."""
    metrics = QFontMetrics(font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    paragraphs = text.strip().splitlines()
    shown: list[str] = []
    for number, paragraph in enumerate(paragraphs):
        layout = QTextLayout(paragraph, font)
        layout.setTextOption(option)
        layout.beginLayout()
        while (line := layout.createLine()).isValid():
            line.setLineWidth(width)
            start, length = line.textStart(), line.textLength()
            if len(shown) == lines - 1:  # the last line: the rest, elided
                rest = " ".join([paragraph[start:], *paragraphs[number + 1 :]])
                shown.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
                layout.endLayout()
                return "\n".join(shown)
            shown.append(paragraph[start : start + length].rstrip())
        layout.endLayout()
    return "\n".join(shown)


def plain_label(text: str, object_name: str = "") -> QLabel:
    """A ``PlainLabel`` named ``object_name`` (for style sheets and tests)."""
    label = PlainLabel(text)
    label.setObjectName(object_name)
    return label


def elided_label(text: str, object_name: str, lines: int, width: int) -> ElidedLabel:
    """An ``ElidedLabel`` named ``object_name``."""
    label = ElidedLabel(text, lines, width)
    label.setObjectName(object_name)
    return label


def plain_tooltip(text: str) -> str:
    """Untrusted text for a widget's tooltip, which Qt would render as rich text if it looked like HTML."""
    return "<p style='white-space: pre-wrap'>" + html.escape(without_bidi_controls(text)) + "</p>"


def table_view(model: QAbstractItemModel) -> QTableView:
    """A read-only table of whole rows: no grid, no row numbers, one line a row."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.horizontalHeader().setHighlightSections(False)
    view.setTabKeyNavigation(False)  # Tab leaves the table; the arrows move from row to row
    return view


class _Floor(QObject):
    """Keeps a column as wide as the room the others leave, but never under a minimum."""

    def __init__(self, view: QTableView, column: int, minimum: int) -> None:
        super().__init__(view)
        self.view, self.column, self.minimum = view, column, minimum
        view.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            header = self.view.horizontalHeader()
            others = sum(header.sectionSize(i) for i in range(header.count()) if i != self.column)
            header.resizeSection(self.column, max(self.minimum, self.view.viewport().width() - others))
        return False


def stretch_with_floor(view: QTableView, column: int, minimum: int) -> None:
    """``column`` takes the room the other columns leave, but never less than ``minimum`` pixels:
    on a narrow window the table scrolls sideways instead."""
    _Floor(view, column, minimum)


def row(*items: QWidget | QLayout | int) -> QHBoxLayout:
    """Widgets and layouts side by side; a number is that much space between them."""
    layout = QHBoxLayout()
    for item in items:
        if isinstance(item, int):
            layout.addSpacing(item)
        elif isinstance(item, QLayout):
            layout.addLayout(item)
        else:
            layout.addWidget(item)
    return layout


def flat_tree(headers: list[str], stretch: int | None = None, fit: range = range(0)) -> QTreeWidget:
    """A list with columns and no tree: the columns in ``fit`` are as wide as their contents,
    column ``stretch`` (else the last) takes the room left."""
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    header = tree.header()
    for column in fit:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return tree


def clear_layout(layout: QLayout, keep: QWidget | None = None) -> None:
    """Take everything out of ``layout``; the widgets in it are deleted, but for ``keep``."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None and widget is not keep:
            widget.deleteLater()
