"""json: encode and decode nested values, with a default hook and a decode error."""

import json

LIBRARY = "json"


def main():
    data = {"name": "x", "items": [1, 2.5, None, True], "nested": {"a": [{"b": "c\u00e9"}]}, "set": {3}}
    text = json.dumps(data, default=sorted, sort_keys=True, indent=1)
    back = json.loads(text, object_pairs_hook=dict)
    try:
        json.loads('{"broken": [1, 2')
    except json.JSONDecodeError as error:
        back["error"] = str(error)
    return back
