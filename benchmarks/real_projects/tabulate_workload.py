"""Workload for tabulate 0.9.0: format many mixed-type tables in several output formats.

Prints a digest of everything it formatted, so that a changed result changes the output.
"""

import hashlib
import random

from tabulate import tabulate

FORMATS = ("simple", "grid", "pipe", "github", "psql", "rst", "html", "latex")


def rows(rng: random.Random, n: int) -> list[list[object]]:
    out: list[list[object]] = []
    for i in range(n):
        out.append([
            f"item-{i}",
            rng.randint(-10_000, 10_000),
            round(rng.uniform(-1e4, 1e4), rng.randint(0, 6)),
            rng.choice(["alpha", "beta", "gamma δ", "", None]),
            rng.choice([True, False]),
            str(rng.randint(0, 10**9)),
        ])
    return out


def main() -> None:
    rng = random.Random(13)
    digest = hashlib.sha256()
    headers = ["name", "int", "float", "label", "flag", "numeric text"]
    for table in range(40):
        data = rows(rng, 60)
        fmt = FORMATS[table % len(FORMATS)]
        text = tabulate(data, headers=headers, tablefmt=fmt, floatfmt=".3f" if table % 3 else "g",
                        missingval="-", numalign="decimal" if table % 2 else "right")
        digest.update(text.encode())
    print(digest.hexdigest())


if __name__ == "__main__":
    main()
