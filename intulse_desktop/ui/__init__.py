"""The Qt layer: tray, pop-up cards, caller details, call log, settings.

The only package that imports Qt. It reads through the store's queries and
hears events through the bus; every decision that needs no Qt lives below it.
"""
