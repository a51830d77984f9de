"""Notes to self: how to reload my package in the notebook without restarting."""

print("remember: importlib.reload(simpleautodiff)")
raise RuntimeError("this is a scratch file, not a module")
