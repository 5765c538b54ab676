"""`st` (the schemathesis CLI) with one workaround, run as `python st.py run …`.

CPython 3.11 before 3.11.8 can raise `SystemError: AST constructor recursion depth mismatch` from
`ast.parse` when threads parse at once (cpython gh-106905). hypothesis parses its own source files
with `ast.parse` only to print a lambda filter's name in a strategy's repr, and schemathesis runs its
workers as threads, so with `--workers 2` a run on such a Python can fail with this error at
random (seen in CI on 3.11.7: GET /api/v1/analysis/hotspots, coverage phase). A description that
cannot be parsed is reported as `<unknown>`, which hypothesis already handles; nothing generated or
checked changes.
"""

import sys

import hypothesis.internal.lambda_sources as lambda_sources

_describe = lambda_sources._lambda_description


def _describe_or_unknown(f, *args, **kwargs):
    try:
        return _describe(f, *args, **kwargs)
    except SystemError:
        return "lambda: <unknown>"


lambda_sources._lambda_description = _describe_or_unknown

from schemathesis.cli import schemathesis  # noqa: E402  (after the patch, as documented above)

if __name__ == "__main__":
    sys.argv[0] = "st"
    sys.exit(schemathesis())
