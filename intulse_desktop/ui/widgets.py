"""Widgets every window uses: labels and tooltips that keep untrusted text plain, and the
read-only tables that lists are shown in."""

from __future__ import annotations

import html

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLayout,
    QTableView,
    QTreeWidget,
    QWidget,
)


def plain_label(text: str, object_name: str = "") -> QLabel:
    """A label for untrusted text: never rich text, never a link, clicks go to the card."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    label.setWordWrap(True)
    if object_name:
        label.setObjectName(object_name)
    return label


def plain_tooltip(text: str) -> str:
    """Untrusted text for a widget's tooltip, which Qt would render as rich text if it looked like HTML."""
    return "<p style='white-space: pre-wrap'>" + html.escape(text) + "</p>"


def table_view(model: QAbstractItemModel) -> QTableView:
    """A read-only table of whole rows: no grid, no row numbers, one line a row."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.horizontalHeader().setHighlightSections(False)
    return view


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
