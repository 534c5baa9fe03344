#!/usr/bin/env python3
"""A sandbox worker in Python, speaking the gateway's worker protocol.

One JSON request per line on stdin: {"id", "action", "params"} and, when the call is part of a
trace, "trace": {"traceparent", "tracestate"} (W3C Trace Context, OpenTelemetry).
One JSON response per line on stdout: {"id", "result"} or {"id", "error": {"code", "message"}}, with
"trace" naming the span this worker continued the trace as (same trace id, its own span id).
Start it from the gateway with SANDBOX_WORKER_PATH=examples/python-worker/worker.py.
"""
import json
import re
import secrets
import sys

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$")


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


def continue_trace(trace):
    """The request's trace continued as a span of this worker's own (an SDK would make it here)."""
    traceparent = trace.get("traceparent") if isinstance(trace, dict) else None
    match = TRACEPARENT.match(traceparent) if isinstance(traceparent, str) else None
    if match is None:
        return None
    continued = {"traceparent": "00-%s-%s-%s" % (match.group(1), secrets.token_hex(8), match.group(2))}
    if isinstance(trace.get("tracestate"), str):
        continued["tracestate"] = trace["tracestate"]
    return continued


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
        trace = continue_trace(request.get("trace")) if isinstance(request, dict) else None
        traced = {} if trace is None else {"trace": trace}
        if action is None:
            reply({"id": request_id, "error": {"code": "unknown_action", "message": "unknown action"}, **traced})
            continue
        try:
            reply({"id": request_id, "result": action(request.get("params")), **traced})
        except Exception as error:  # the worker reports, the gateway decides
            reply({"id": request_id, "error": {"code": "tool_error", "message": str(error)}, **traced})


if __name__ == "__main__":
    main()
