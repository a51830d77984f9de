"""A support file for tests/sandbox_cases/handler.py: shipped next to it into the sandbox."""


def echo(value: object) -> object:
    return {"echo": value}
