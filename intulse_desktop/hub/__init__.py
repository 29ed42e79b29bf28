"""The office hub: one receiver for the organisation, and a stream of each desktop's own events.

``server`` is the hub (``intulse-desktop hub``), ``client`` the desktop's end
(``HubClient``, ``hub connect``), ``protocol`` what both speak, ``users`` who may
connect, ``journal`` where the hub reads what it serves, ``audience`` whom each
event goes to. docs/hub.md tells the whole story. Nothing is re-exported here:
import from the module that says the job (``users`` alone stays free of aiohttp).
"""
