# python_json_regex.py - the python3 workload of `make demo`: build records,
# encode and decode them as JSON, and search the text with regular expressions.
# Deterministic (fixed seed), so a new recording replays the same way.
import json
import random
import re

rng = random.Random(42)
words = ["malloc", "free", "arena", "chunk", "bin", "top", "heap", "mmap", "brk", "trim"]


def record(i):
    return {
        "id": i,
        "name": " ".join(rng.choice(words) for _ in range(rng.randint(1, 8))),
        "sizes": [rng.randint(1, 4096) for _ in range(rng.randint(0, 20))],
        "tags": {w: rng.random() for w in rng.sample(words, rng.randint(0, 5))},
    }


docs = []
for batch in range(40):
    records = [record(batch * 500 + i) for i in range(500)]
    text = json.dumps(records)
    back = json.loads(text)
    assert back == records
    hits = re.findall(r'"name": "((?:arena|heap)[a-z ]*)"', text)
    sizes = [int(m) for m in re.findall(r"\b(\d{4})\b", text)]
    docs.append((len(text), len(hits), sum(sizes)))
    if batch % 4 == 3:  # keep a few batches alive, drop the rest: a plateau with turnover
        docs = docs[-2:]
print("python_json_regex:", len(docs), sum(d[0] for d in docs))
