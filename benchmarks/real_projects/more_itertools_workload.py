"""Workload for more-itertools 10.5.0: typical chains of its pure-Python helpers.

Prints a digest of every result, so that a changed result changes the output.
"""

import hashlib

import more_itertools as mi


def main() -> None:
    digest = hashlib.sha256()
    data = [(i * 7919) % 1009 for i in range(60_000)]

    def feed(value: object) -> None:
        digest.update(repr(value).encode())

    feed(sum(map(sum, mi.windowed(data, 5))))
    feed([sum(c) for c in mi.chunked(data, 37)][:50])
    feed(list(mi.unique_everseen(data, key=lambda v: v % 97))[:50])
    feed(list(mi.collapse([[i, [i + 1, (i + 2, [i + 3])]] for i in range(12000)]))[-10:])
    feed(mi.ilen(mi.distinct_permutations([1, 1, 2, 2, 3, 3, 4])))
    feed(list(mi.interleave_longest(data[:3000], data[3000:5000], "abc"))[-10:])
    feed([len(part) for part in mi.split_at(data, lambda v: v % 101 == 0)][:50])
    buckets = mi.bucket(data, key=lambda v: v % 5)
    feed([sum(buckets[k]) for k in range(5)])
    feed(list(mi.run_length.encode(sorted(v % 50 for v in data)))[:20])
    feed(mi.first_true(data, pred=lambda v: v > 1000, default=-1))
    feed(list(mi.sliding_window(data[:2000], 3))[-3:])
    feed([mi.ilen(g) for g in mi.consecutive_groups(sorted(set(data)))][:50])
    feed(list(mi.powerset(range(12)))[-5:])
    feed(mi.partition(lambda v: v % 2, data[:5000]).__class__.__name__)
    feed(list(mi.flatten(mi.sliced(data, 11)))[:20])
    feed(list(mi.map_reduce(data, keyfunc=lambda v: v % 7, reducefunc=sum).items()))
    feed(list(mi.locate(data, lambda v: v == 17))[:10])
    feed(list(mi.pairwise(data[:5000]))[-2:])
    feed(list(mi.circular_shifts(range(200)))[-1][:5])
    print(digest.hexdigest())


if __name__ == "__main__":
    main()
