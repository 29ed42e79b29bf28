"""What tests share that is not a fixture: sample events, fakes, waiting, finding widgets.

Fixtures live in ``tests/conftest.py``; test files import only from here, never from
one another.
"""
