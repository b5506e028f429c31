#!/usr/bin/env python3
"""heapviz_fuzz.py - a mutation fuzzer for tools/heapviz's loader and drawing.

    tests/fuzz/heapviz_fuzz.py SECONDS CORPUS_DIR CRASH_DIR [SEED]

Takes the dumps in CORPUS_DIR, changes them at random (bytes flipped, cut,
repeated; and, knowing JSON, values swapped for values of other types, keys
dropped, lists emptied or nested), and gives each result to heapviz's
load_dump and draw, as `tools/heapviz DUMP` would.  Every input must be drawn or
refused with heapviz's DumpError; any other exception is a finding: the input
is saved in CRASH_DIR and the traceback printed.  Runs for SECONDS (of CPU
time, so a loaded machine tests as much as an idle one would, only slower), the
same SEED giving the same inputs.

Debian packages no coverage-guided fuzzer for Python 3.11 (no atheris), so this
loop is blind but structure-aware: JSON mutations reach the checks past the
parser that byte flips rarely get through.
"""

import copy
import importlib.machinery
import importlib.util
import json
import os
import random
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_heapviz():
    loader = importlib.machinery.SourceFileLoader("heapviz", os.path.join(ROOT, "tools", "heapviz"))
    spec = importlib.util.spec_from_loader("heapviz", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


ODD_VALUES = [None, True, False, 0, -1, 1 << 64, 1 << 70, 3.5, "", "0x", "0x0", "0xffffffffffffffffff", "zz",
              "in_use", "fast", "large", "unsorted", "tcache", [], {}, [[]], {"a": 1}, "\u00e9\u4e2d", "\ud800"]


def all_paths(node, path=()):
    """Every place in a JSON tree: (path, value)."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from all_paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from all_paths(v, path + (i,))


def set_at(tree, path, value):
    if not path:
        return value
    node = tree
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return tree


def mutate_json(rng, tree):
    tree = copy.deepcopy(tree)
    places = list(all_paths(tree))
    for _ in range(rng.randint(1, 4)):
        path, value = rng.choice(places)
        what = rng.randrange(6)
        if what == 0:
            tree = set_at(tree, path, copy.deepcopy(rng.choice(ODD_VALUES)))
        elif what == 1 and path:
            parent = tree
            for p in path[:-1]:
                parent = parent[p]
            del parent[path[-1]]
        elif what == 2 and isinstance(value, list) and value:
            value[:] = value[: rng.randrange(len(value))] if rng.random() < 0.5 else value * rng.randint(2, 4)
        elif what == 3:
            tree = set_at(tree, path, [copy.deepcopy(value)])  # one level deeper
        elif what == 4 and isinstance(value, int) and not isinstance(value, bool):
            tree = set_at(tree, path, rng.choice([value + 1, value - 1, -value, value << 40, value ^ 0x10]))
        elif what == 5 and isinstance(value, str) and value.startswith("0x"):
            other = rng.choice([v for _, v in places if isinstance(v, str) and v.startswith("0x")] or ["0x0"])
            tree = set_at(tree, path, other)  # a link to somewhere else in the heap: loops, strangers
        places = list(all_paths(tree))
    return json.dumps(tree).encode("utf-8")


def mutate_bytes(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        what = rng.randrange(4)
        if not data:
            data = bytearray(b"{")
        i = rng.randrange(len(data))
        if what == 0:
            data[i] ^= 1 << rng.randrange(8)
        elif what == 1:
            del data[i:i + rng.randint(1, 64)]
        elif what == 2:
            data[i:i] = data[i:i + rng.randint(1, 64)]
        else:
            data[i:i] = rng.choice([b"[", b"{", b"\xff", b"\x00", b"Infinity", b"NaN", b"1e999", b'"', b"-"])
    return bytes(data)


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    seconds, corpus, crashes = float(sys.argv[1]), sys.argv[2], sys.argv[3]
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    heapviz = load_heapviz()
    seeds = []
    for name in sorted(os.listdir(corpus)):
        with open(os.path.join(corpus, name), "rb") as f:
            raw = f.read()
        seeds.append((raw, json.loads(raw)))
    os.makedirs(crashes, exist_ok=True)
    path = os.path.join(crashes, "input.json")
    runs = drawn = refused = found = 0
    end = time.process_time() + seconds
    while time.process_time() < end:
        raw, tree = rng.choice(seeds)
        data = mutate_json(rng, tree) if rng.random() < 0.6 else mutate_bytes(rng, raw)
        with open(path, "wb") as f:
            f.write(data)
        runs += 1
        try:
            arena = heapviz.load_dump(path, rng.choice([0, 0, 0, 1]))
            heapviz.draw(arena, path, None, rng.choice([0, 5, 200]))
            drawn += 1
        except heapviz.DumpError:
            refused += 1
        except Exception:  # a traceback heapviz would have shown a user
            found += 1
            keep = os.path.join(crashes, f"crash-{found}.json")
            os.replace(path, keep)
            print(f"heapviz_fuzz: {keep}: {traceback.format_exc().strip().splitlines()[-1]}")
            traceback.print_exc(file=sys.stdout)
            if found >= 5:
                break
    if os.path.exists(path):
        os.unlink(path)
    print(f"heapviz_fuzz: {runs} inputs in {seconds:.0f} s of CPU: {drawn} drawn, {refused} refused, "
          f"{found} crashed")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
