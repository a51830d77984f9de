"""A tiny handler for tests/test_sandbox.py: it calls the student's function named in the
request, as adkit/inside/handler.py calls the student's primitives.

The entry imports this module before the submission is importable, then calls `load()`:
a failure there is reported as the submission's import failing.
"""

import helper

simpleautodiff = None


def load() -> None:
    global simpleautodiff
    import simpleautodiff


def handle(request: dict) -> object:
    if request.get("call") == "echo":
        return helper.echo(request.get("args", []))
    function = getattr(simpleautodiff, request["call"])
    return function(*request.get("args", []))
