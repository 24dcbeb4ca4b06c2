#!/usr/bin/env python3
"""Drafts tests/support/op_table_manifest.h entries from what tests ran.

Run a test binary with TAPEFLOW_OP_TABLE_DUMP=1 and pipe its output here; for every test in the
dump this prints one manifest line per group of ops that ran in the same dtypes, on each device:

  TAPEFLOW_OP_TABLE_DUMP=1 ./build/tests/core_tests --gtest_filter='OpTableFamilies.TopK' \
      | python3 tools/op_table_entry.py [--ops 'TopKV2']

The ops a test only uses to build inputs or read results (Cast, Copy, Reshape, ...) are left out
unless --ops names them; --ops keeps only the ops it names. The output is a draft: an entry claims
that the test checks those ops against a reference, which only reading the test can confirm.
"""
import argparse
import collections
import re
import sys

HELPERS = {"Cast", "Copy", "BroadcastTo", "StridedSlice", "Reshape", "Fill", "_CopyToDevice"}
HEADER = re.compile(r"^op table dump: (\S+)$")
ROW = re.compile(r"^  (\S+) (CPU|GPU):((?: \S+)*)$")


def parse(lines):
    """{test: {(op, device): [dtypes]}} in the order the tests ran."""
    runs = collections.OrderedDict()
    test = None
    for line in lines:
        line = line.rstrip("\n")
        m = HEADER.match(line)
        if m:
            test = m.group(1)
            runs.setdefault(test, collections.OrderedDict())
            continue
        m = ROW.match(line)
        if m and test is not None:
            runs[test][(m.group(1), m.group(2))] = m.group(3).split()
        elif not line.startswith("  "):
            test = None  # gtest's own output ends a dump
    return runs


def entries(runs, only):
    for test, ran in runs.items():
        for device in ("CPU", "GPU"):
            groups = collections.OrderedDict()
            for (op, dev), dtypes in sorted(ran.items()):
                if dev != device or (only and op not in only) or (not only and op in HELPERS):
                    continue
                groups.setdefault(" ".join(dtypes), []).append(op)
            on = "On::kCpu" if device == "CPU" else "On::kGpu"
            for dtypes, ops in groups.items():
                yield f'    {{{on}, "{test}", "{" ".join(ops)}", "{dtypes}"}},'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ops", default="", help="space-separated op names to keep (default: all but helpers)")
    args = ap.parse_args()
    runs = parse(sys.stdin)
    if not runs:
        sys.exit("no 'op table dump:' sections on stdin: run the tests with TAPEFLOW_OP_TABLE_DUMP=1")
    for line in entries(runs, set(args.ops.split())):
        print(line)


if __name__ == "__main__":
    main()
