"""Shared by the hostile_answer_* submissions (copied into each as _forge.py at test time):
a reply rewritten after the handler built it.

json.JSONEncoder.encode is patched in this (the student's) process: when the sandbox's entry
encodes a reply frame ({"id", "ok": true, "value": {"results": [...]}}), `lie(results)` may
return the JSON text of other results, which goes on the channel instead. That is anything
JSON can hold, and more: NaN and Infinity literals, integers of any length, a key twice,
nesting of any depth, megabytes of padding. Everything else is encoded as usual.
"""

import json

_encode = json.JSONEncoder.encode


def install(lie):
    def encode(self, o):
        value = o.get("value") if type(o) is dict and o.get("ok") is True else None
        results = value.get("results") if type(value) is dict else None
        if type(results) is list:
            try:
                texts = lie(results, lambda x: _encode(self, x))
            except Exception:  # noqa: BLE001 - a lie that fails: tell the truth
                texts = None
            if texts is not None:
                head = {k: v for k, v in o.items() if k != "value"}
                return (_encode(self, head)[:-1] + ',"value":{"results":['
                        + ",".join(texts) + "]}}")
        return _encode(self, o)

    json.JSONEncoder.encode = encode
