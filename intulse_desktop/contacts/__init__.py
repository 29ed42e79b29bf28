"""Contacts from people's own address books: files (vCard, CSV) and CardDAV servers.

- ``fields``: what every source shares (the error naming a line, numbers, labels)
- ``vcard``: vCard 2.1, 3.0 and 4.0, read with ``vobject``
- ``csv_import``: Google's and Outlook's CSV exports
- ``files``: a file of either kind, read whole (so a bad one imports nothing) and stored
- ``carddav``: a read-only CardDAV client (sync-token or ETags)
- ``sync``: one sync of the configured address book, and the timer that repeats it

They are stored in the call log's address book (``store/contacts.py``), which the rest of
the app asks ``Store.contact_for(number)``.
"""
