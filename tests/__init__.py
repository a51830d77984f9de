"""The kit's own tests, in layers (tests/conftest.py says what each may do)."""
