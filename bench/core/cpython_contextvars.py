"""CPython's C contextvars, timed with timeit on the same operations as the
JavaScript suite (case ids as in bench/core/context-ops.ts). bench/core/cpython.ts
starts this once as a server (`--serve <request fifo> <response fifo>`) and
asks for one round at a time, between the JavaScript batches of the same
round, so both languages see the same machine load.

A request (one line, or the single argument when not serving) is one JSON object:
  {"mode": "calibrate", "cases": [id, ...], "sampleSeconds": s, "clock": "cpu" | "wall"}
    prints {"python": version, "implementation": name, "numbers": {id: loops per sample}}
  {"mode": "round", "numbers": {id: loops}, "clock": ...}
    prints {"samples": {id: ns per op}} (one sample per case)
"""

import contextvars
import json
import platform
import sys
import time
import timeit


def variables(count, prefix):
    return [contextvars.ContextVar(f"{prefix}{i}", default=-1) for i in range(count)]


def context_with(variables_to_set):
    """A Context in which each of `variables_to_set` is set."""
    context = contextvars.Context()

    def fill():
        for i, variable in enumerate(variables_to_set):
            variable.set(i)

    context.run(fill)
    return context


def build_case(case_id, clock):
    """(timeit.Timer, Context to time it in, or None for the caller's)."""

    # Names bound in setup are locals of timeit's inner function, as `v` is a
    # constant in the JavaScript loop.
    def timer(stmt, setup, names):
        return timeit.Timer(stmt, setup=setup, timer=clock, globals=names)

    if case_id in ("get.set", "get.default"):
        get_vars = variables(10, "get")
        variable = get_vars[3] if case_id == "get.set" else contextvars.ContextVar("absent", default=7)
        return timer("v.get()", "v = V", {"V": variable}), context_with(get_vars)
    if case_id == "run":
        run_context = context_with(variables(10, "run"))
        return timer("run(work)", "run = R; work = W", {"R": run_context.run, "W": lambda: 1}), None
    operation, _, size_text = case_id.partition(".")
    size = int(size_text)
    sized = variables(size, f"{operation}{size}.")
    if operation == "setReset":
        return timer("t = v.set(1); v.reset(t)", "v = V", {"V": sized[0]}), context_with(sized)
    if operation == "copyContext":
        return timer("copy()", "copy = C", {"C": contextvars.copy_context}), context_with(sized)
    raise ValueError(f"unknown case {case_id}")


def timed(case, number):
    timer, context = case
    return context.run(timer.timeit, number) if context is not None else timer.timeit(number)


def calibrate(case, sample_seconds):
    timed(case, 1000)
    number = 1
    while True:
        elapsed = timed(case, number)
        if elapsed >= sample_seconds or number >= 1 << 30:
            return number
        number = int(number * min(16, max(2, sample_seconds / max(elapsed, 1e-9) * 1.2)))


def handle(options, built):
    clock = time.process_time if options.get("clock", "cpu") == "cpu" else time.perf_counter
    if options["mode"] == "calibrate":
        numbers = {}
        for case_id in options["cases"]:
            built[case_id] = build_case(case_id, clock)
            numbers[case_id] = calibrate(built[case_id], options["sampleSeconds"])
        return {"python": platform.python_version(), "implementation": platform.python_implementation(),
                "numbers": numbers}
    samples = {}
    for case_id, number in options["numbers"].items():
        case = built.get(case_id) or built.setdefault(case_id, build_case(case_id, clock))
        timed(case, max(1, number // 10))  # warm the case's code paths
        samples[case_id] = timed(case, number) / number * 1e9
    return {"samples": samples}


def serve(request_path, response_path):
    """One request per line on the request FIFO, one JSON answer per line on the response FIFO."""
    built = {}
    with open(request_path, "r", encoding="utf-8") as requests, \
            open(response_path, "w", encoding="utf-8") as responses:
        for line in requests:
            if not line.strip():
                continue
            responses.write(json.dumps(handle(json.loads(line), built)) + "\n")
            responses.flush()


def main():
    if sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3])
    else:
        print(json.dumps(handle(json.loads(sys.argv[1]), {})))


main()
