"""The Settings dialog (``dialog``) and its tabs: ``me``, ``connection`` (its group boxes in
``receiving``, ``account`` and ``deliveries``), ``notifications``, ``integrations`` and
``general``; each tab and group box is a ``form.Form``, and ``inputs`` holds the shared inputs."""

from intulse_desktop.ui.settings.dialog import SettingsDialog

__all__ = ["SettingsDialog"]
