"""The first-run assistant: who you are, how Intulse reaches you, the account, and a try."""

from intulse_desktop.ui.setup.assistant import SetupAssistant, Wiring, wanted_at_start

__all__ = ["SetupAssistant", "Wiring", "wanted_at_start"]
