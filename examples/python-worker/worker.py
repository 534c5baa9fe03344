#!/usr/bin/env python3
"""A sandbox worker in Python, speaking the gateway's worker protocol.

One JSON request per line on stdin: {"id", "action", "params"}.
One JSON response per line on stdout: {"id", "result"} or {"id", "error": {"code", "message"}}.
Start it from the gateway with SANDBOX_WORKER_PATH=examples/python-worker/worker.py.
"""
import json
import sys


def ping(_params):
    return "pong"


def noop(_params):
    return None


def echo(params):
    return params


def word_count(params):
    text = params.get("text") if isinstance(params, dict) else None
    if not isinstance(text, str):
        raise ValueError("word_count needs {\"text\": string}")
    return {"words": len(text.split())}


ACTIONS = {"ping": ping, "noop": noop, "echo": echo, "word_count": word_count}


def reply(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def main():
    for line in sys.stdin:
        try:
            request = json.loads(line)
        except ValueError:
            continue
        request_id = request.get("id") if isinstance(request, dict) else None
        action = ACTIONS.get(request.get("action")) if isinstance(request, dict) else None
        if action is None:
            reply({"id": request_id, "error": {"code": "unknown_action", "message": "unknown action"}})
            continue
        try:
            reply({"id": request_id, "result": action(request.get("params"))})
        except Exception as error:  # the worker reports, the gateway decides
            reply({"id": request_id, "error": {"code": "tool_error", "message": str(error)}})


if __name__ == "__main__":
    main()
