"""CPython's C contextvars, timed with timeit on the same operations as the
JavaScript suite. Called by bench/cpython.ts with one JSON argument:
{"rounds": int, "sampleSeconds": float, "setResetSizes": [...], "copySizes": [...], "clock": "cpu" | "wall"}
and prints {"python": version, "samples": {case id: [ns per op, ...]}}.
Cases are interleaved round by round, as in the JavaScript harness."""

import contextvars
import json
import platform
import sys
import time
import timeit


def context_with(variables):
    """A Context in which each of `variables` is set."""
    context = contextvars.Context()

    def fill():
        for i, variable in enumerate(variables):
            variable.set(i)

    context.run(fill)
    return context


def variables(count, prefix):
    return [contextvars.ContextVar(f"{prefix}{i}", default=-1) for i in range(count)]


def build_cases(options):
    """(id, timeit.Timer, Context to time it in or None)."""
    cases = []
    # The same clock as the JavaScript side: process CPU time unless wall time was asked for.
    clock = time.process_time if options.get("clock", "cpu") == "cpu" else time.perf_counter

    def Timer(stmt, setup, globals):
        return timeit.Timer(stmt, setup=setup, timer=clock, globals=globals)

    get_vars = variables(10, "get")
    present = get_vars[3]
    absent = contextvars.ContextVar("absent", default=7)
    get_context = context_with(get_vars)
    # Names bound in setup are locals of timeit's inner function, as `v` is in the JS loop.
    cases.append(("get.set", Timer("v.get()", setup="v = V", globals={"V": present}), get_context))
    cases.append(("get.default", Timer("v.get()", setup="v = V", globals={"V": absent}), get_context))
    for size in options["setResetSizes"]:
        sized = variables(size, f"set{size}.")
        timer = Timer("t = v.set(1); v.reset(t)", setup="v = V", globals={"V": sized[0]})
        cases.append((f"setReset.{size}", timer, context_with(sized)))
    for size in options["copySizes"]:
        sized = variables(size, f"copy{size}.")
        timer = Timer("copy()", setup="copy = C", globals={"C": contextvars.copy_context})
        cases.append((f"copyContext.{size}", timer, context_with(sized)))
    run_context = context_with(variables(10, "run"))
    timer = Timer("run(work)", setup="run = R; work = W", globals={"R": run_context.run, "W": lambda: 1})
    cases.append(("run", timer, None))
    return cases


def timed(timer, context, number):
    seconds = context.run(timer.timeit, number) if context is not None else timer.timeit(number)
    return seconds


def calibrate(timer, context, sample_seconds):
    number = 1
    while True:
        elapsed = timed(timer, context, number)
        if elapsed >= sample_seconds or number >= 1 << 30:
            return number
        number = int(number * min(16, max(2, sample_seconds / max(elapsed, 1e-9) * 1.2)))


def main():
    options = json.loads(sys.argv[1])
    cases = build_cases(options)
    numbers = [calibrate(timer, context, options["sampleSeconds"]) for _, timer, context in cases]
    samples = {case_id: [] for case_id, _, _ in cases}
    for round_index in range(options["rounds"]):
        for k in range(len(cases)):
            index = (k + round_index) % len(cases)
            case_id, timer, context = cases[index]
            number = numbers[index]
            samples[case_id].append(timed(timer, context, number) / number * 1e9)
    print(json.dumps({"python": platform.python_version(), "implementation": platform.python_implementation(),
                      "samples": samples}))


main()
