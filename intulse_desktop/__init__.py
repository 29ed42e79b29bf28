"""Intulse Desktop: caller-ID pop-ups, presence and a call log from Intulse webhooks."""

__version__ = "0.1.0"
APP_NAME = "intulse-desktop"
