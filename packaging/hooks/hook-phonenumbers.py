"""Replaces pyinstaller-hooks-contrib's hook, which collects every phonenumbers module.

phonenumbers imports its per-region metadata by name at run time, so those modules
must be collected explicitly. Its geocoder, carrier and time-zone tables (about 43 MB
of modules) serve phonenumbers.geocoder/carrier/timezone, which the app does
not use; importing those in a frozen build would fail, so add them here first.
"""

from PyInstaller.utils.hooks import collect_submodules

hiddenimports = collect_submodules("phonenumbers.data") + collect_submodules("phonenumbers.shortdata")
