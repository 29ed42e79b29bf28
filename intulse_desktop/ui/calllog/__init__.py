"""The call log window (``window``): its two tables (``calls_model``, ``texts_model``, both
``paging``), the search bar's choices (``query``), one text in full (``message_pane``), the
CSV export (``export``), and the scroll position kept as rows arrive (``scroll``)."""

from intulse_desktop.ui.calllog.calls_model import RECORDING_COLUMN
from intulse_desktop.ui.calllog.paging import PAGE
from intulse_desktop.ui.calllog.query import FILTERS, day_range
from intulse_desktop.ui.calllog.window import CallLogActions, CallLogWindow

__all__ = ["FILTERS", "PAGE", "RECORDING_COLUMN", "CallLogActions", "CallLogWindow", "day_range"]
