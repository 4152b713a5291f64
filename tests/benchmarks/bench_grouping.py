"""Benchmark of incremental grouping into works (a script, not a test).

    python tests/benchmarks/bench_grouping.py                 # N = 10,000
    python tests/benchmarks/bench_grouping.py --sizes 10000 30000 100000

For each N it generates N synthetic documents (Zipf-distributed invented
vocabulary mixed with English function words, sentences and paragraphs of
realistic length) of which about 65% start a new work, 25% are revisions of an
earlier document (sentences inserted, deleted and reworded at a random rate
of 3-50% each, sometimes a paragraph moved or a section added) and 10% are
PDF-like renditions (re-wrapped, hyphenated, running headers, page numbers,
mis-read characters).  Documents arrive one at a time and are grouped as the
pipeline would:

    fingerprint -> look up the keys in the inverted index -> rank candidates by
    shared keys -> compare() the best few -> join the first matching work
    (merging works when a document matches several) -> add its keys to the index

The in-memory index is a dict key -> list[doc id], standing in for the SQL
table (document_id, key).  Printed: wall time, peak RSS, fingerprint / lookup /
compare time per document, candidates per look-up, index rows, and pairwise
precision / recall / F1 of "same work" against the planted truth.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import resource
import statistics
import sys
import textwrap
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from storage.works.confirm import UNRELATED, compare  # noqa: E402
from storage.works.fingerprints import fingerprint  # noqa: E402

FUNCTION_WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which "
    "but have an they were had been their has its one would we all there who more when also can "
    "said about into than them these other only some could after over such what most before"
).split()
MAX_COMPARE = 5       # candidates confirmed per document
MIN_SHARED_KEYS = 2   # a candidate must share this many keys (or the exact-text key)
STOP_KEY = 1000       # a key on more documents than this is a stock phrase: not looked up


# ---------------------------------------------------------------- generator
class Generator:
    def __init__(self, seed: int, vocab_size: int = 60_000):
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        syll = ["ka", "ro", "mi", "tan", "el", "sur", "va", "no", "pre", "dis", "ul", "or", "ben",
                "ta", "li", "qua", "ster", "on", "ad", "mer", "ix", "ga", "po", "ren"]
        words = set()
        while len(words) < vocab_size:
            words.add("".join(self.rng.choice(syll) for _ in range(self.rng.randint(2, 4))))
        self.vocab = np.array(sorted(words))
        self.rng.shuffle(self.vocab)  # type: ignore[arg-type]
        # Zipf-Mandelbrot over content words: p(rank) ~ 1 / (rank + 20)
        ranks = np.arange(1, vocab_size + 1)
        p = 1.0 / (ranks + 20.0) ** 1.05
        self.cdf = np.cumsum(p / p.sum())
        self.fw = np.array(FUNCTION_WORDS)
        self._buf: list[str] = []
        self._pos = 0

    def words(self, n: int) -> list[str]:
        if self._pos + n > len(self._buf):
            idx = np.searchsorted(self.cdf, self.np.random(200_000 + n))
            idx = np.minimum(idx, len(self.vocab) - 1)
            content = self.vocab[idx]
            fw = self.fw[self.np.integers(0, len(self.fw), size=len(idx))]
            self._buf = np.where(self.np.random(len(idx)) < 0.45, fw, content).tolist()
            self._pos = 0
        out = self._buf[self._pos : self._pos + n]
        self._pos += n
        return out

    def sentence(self) -> str:
        n = int(self.rng.triangular(6, 34, 16))
        words = self.words(n)
        if self.rng.random() < 0.3:
            words[self.rng.randrange(n)] = str(self.rng.randint(1, 2030))
        s = " ".join(words)
        return s[0].upper() + s[1:] + "."

    def paragraph(self) -> list[str]:
        return [self.sentence() for _ in range(self.rng.randint(2, 7))]

    def document(self) -> list[list[str]]:
        words = int(min(6000, max(80, self.rng.lognormvariate(math.log(500), 0.8))))
        paras, n = [], 0
        while n < words:
            p = self.paragraph()
            paras.append(p)
            n += sum(s.count(" ") + 1 for s in p)
        return paras

    def revise(self, paras: list[list[str]]) -> list[list[str]]:
        paras = [list(p) for p in paras]
        rate = self.rng.uniform(0.03, 0.50)
        n = sum(len(p) for p in paras)
        k = max(1, round(rate * n))
        for _ in range(k):
            p = self.rng.choice(paras)
            p.insert(self.rng.randrange(len(p) + 1), self.sentence())
        for _ in range(k):
            p = self.rng.choice(paras)
            if len(p) > 1:
                del p[self.rng.randrange(len(p))]
        for _ in range(k):
            p = self.rng.choice(paras)
            i = self.rng.randrange(len(p))
            w = p[i].rstrip(".").split()
            for _ in range(max(1, len(w) // 3)):
                w[self.rng.randrange(len(w))] = self.words(1)[0]
            p[i] = " ".join(w) + "."
        if len(paras) > 3 and self.rng.random() < 0.3:
            paras.insert(self.rng.randrange(len(paras)), paras.pop(self.rng.randrange(len(paras))))
        if self.rng.random() < 0.2:
            paras.insert(self.rng.randrange(len(paras) + 1), self.paragraph())
        return paras

    def render(self, paras: list[list[str]]) -> str:
        return "\n\n".join(" ".join(p) for p in paras) + "\n"

    def pdf(self, text: str) -> str:
        header = " ".join(text.split()[:5])
        lines = [header, ""]
        for para in text.split("\n\n"):
            wrapped = textwrap.wrap(para, 72)
            for k, line in enumerate(wrapped):
                words = line.split()
                last = words[-1]
                if k + 1 < len(wrapped) and len(last) > 7 and last.isalpha() and self.rng.random() < 0.4:
                    words[-1] = last[:4] + "-"
                    wrapped[k + 1] = last[4:] + " " + wrapped[k + 1]
                    line = " ".join(words)
                if self.rng.random() < 0.02:
                    pos = self.rng.randrange(len(line))
                    line = line[:pos] + {"o": "0", "l": "1"}.get(line[pos], line[pos]) + line[pos + 1 :]
                lines.append(line)
                if len(lines) % 48 == 0:
                    lines += ["", str(len(lines) // 48), "", header, ""]
            lines.append("")
        return "\n".join(lines)


def make_corpus(n: int, seed: int) -> tuple[list[str], list[int]]:
    gen = Generator(seed)
    texts: list[str] = []
    truth: list[int] = []
    structure: list[list[list[str]] | None] = []
    works = 0
    for i in range(n):
        r = gen.rng.random()
        if i > 10 and r < 0.25:
            j = gen.rng.randrange(i)
            src = structure[j]
            while src is None:  # revise a text version, not a PDF
                j = gen.rng.randrange(i)
                src = structure[j]
            paras = gen.revise(src)
            texts.append(gen.render(paras))
            structure.append(paras)
            truth.append(truth[j])
        elif i > 10 and r < 0.35:
            j = gen.rng.randrange(i)
            while structure[j] is None:
                j = gen.rng.randrange(i)
            texts.append(gen.pdf(texts[j]))
            structure.append(None)
            truth.append(truth[j])
        else:
            paras = gen.document()
            texts.append(gen.render(paras))
            structure.append(paras)
            truth.append(works)
            works += 1
    return texts, truth


# ---------------------------------------------------------------- grouping
class UnionFind:
    def __init__(self) -> None:
        self.parent: list[int] = []

    def add(self) -> int:
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def pair_counts(labels: list[int]) -> int:
    return sum(c * (c - 1) // 2 for c in Counter(labels).values())


def pairwise_f1(pred: list[int], truth: list[int]) -> tuple[float, float, float]:
    tp = pair_counts([hash((p, t)) for p, t in zip(pred, truth)])
    pp, tt = pair_counts(pred), pair_counts(truth)
    prec = tp / pp if pp else 1.0
    rec = tp / tt if tt else 1.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


# per-step times are CPU time of this process, so that other load on the
# machine does not inflate them; the wall time of the whole run is also printed
clock = time.process_time


def run(n: int, seed: int) -> None:
    t_gen = time.perf_counter()
    texts, truth = make_corpus(n, seed)
    t_gen = time.perf_counter() - t_gen
    words = sum(len(t.split()) for t in texts)
    gc.collect()

    index: dict[str, list[int]] = defaultdict(list)
    uf = UnionFind()
    fp_t, lookup_t, cmp_t = [], [], []
    candidates_seen, compares = [], 0
    t0 = time.perf_counter()
    for doc_id, text in enumerate(texts):
        uf.add()
        a = clock()
        fp = fingerprint(text)
        b = clock()
        shared: Counter[int] = Counter()
        exact = set()
        for key in fp.keys:
            posting = index.get(key)
            if posting and len(posting) <= STOP_KEY:
                shared.update(posting)
                if key.startswith("x:"):
                    exact.update(posting)
        ranked = [d for d, c in shared.most_common() if c >= MIN_SHARED_KEYS or d in exact][:MAX_COMPARE]
        c = clock()
        candidates_seen.append(len(shared))
        done_roots = set()
        for cand in ranked:
            root = uf.find(cand)
            if root in done_roots or root == uf.find(doc_id):
                continue
            compares += 1
            if compare(texts[cand], text).level != UNRELATED:
                uf.union(doc_id, cand)
            done_roots.add(root)
        d = clock()
        for key in fp.keys:
            index[key].append(doc_id)
        fp_t.append(b - a)
        lookup_t.append(c - b)
        cmp_t.append(d - c)
    wall = time.perf_counter() - t0

    pred = [uf.find(i) for i in range(n)]
    prec, rec, f1 = pairwise_f1(pred, truth)
    rows = sum(len(v) for v in index.values())
    longest = max(len(v) for v in index.values())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tail = lookup_t[-max(1, n // 10):]  # look-ups against the full-size index

    def ms(xs: list[float]) -> str:
        return f"mean {statistics.fmean(xs) * 1000:.2f} ms, p99 {np.percentile(xs, 99) * 1000:.2f} ms"

    print(f"\n=== N = {n:,} documents ({words / n:.0f} words on average, {len(set(truth)):,} true works), "
          f"generated in {t_gen:.1f} s")
    cpu = sum(fp_t) + sum(lookup_t) + sum(cmp_t)
    print(f"grouping wall time      {wall:.1f} s  ({wall / n * 1000:.2f} ms per document; CPU {cpu:.1f} s)")
    print(f"peak RSS (process)      {peak_mb:.0f} MB")
    print(f"fingerprint (CPU)       {ms(fp_t)}")
    print(f"lookup (CPU, last 10%)  {ms(tail)}   <- goal <= 5 ms, excluding compare")
    print(f"compare per doc (CPU)   {ms(cmp_t)}  ({compares / n:.2f} compare() calls per document)")
    print(f"docs sharing >=1 key    mean {statistics.fmean(candidates_seen[-len(tail):]):.1f}, "
          f"max {max(candidates_seen)} (only those sharing >= {MIN_SHARED_KEYS} keys, best {MAX_COMPARE}, are compared)")
    print(f"index rows              {rows:,} ({rows / n:.1f} per document), {len(index):,} distinct keys, "
          f"longest posting list {longest}")
    print(f"pairwise same-work      precision {prec:.4f}  recall {rec:.4f}  F1 {f1:.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    ap.add_argument("--seed", type=int, default=1988)
    args = ap.parse_args()
    for n in args.sizes:
        run(n, args.seed)


if __name__ == "__main__":
    main()
