"""Workload for idna 3.10: encode and decode many internationalized domain names (IDNA 2008 + UTS 46).

Prints a digest of the results, so that a changed result changes the output.
"""

import hashlib
import random

import idna

LABELS = ("bücher", "münchen", "straße", "пример", "例え", "δοκιμή", "café", "naïve", "zürich", "kraków",
          "example", "python", "xn--nxasmq6b", "日本語", "ελληνικά", "españa", "ﬁnance")


def main() -> None:
    rng = random.Random(13)
    digest = hashlib.sha256()
    for _ in range(1500):
        name = ".".join(rng.choice(LABELS) + str(rng.randint(0, 9)) * rng.randint(0, 1)
                        for _ in range(rng.randint(2, 4)))
        try:
            encoded = idna.encode(name, uts46=True)
            digest.update(encoded)
            digest.update(idna.decode(encoded).encode())
        except idna.IDNAError as exc:
            digest.update(type(exc).__name__.encode())
    print(digest.hexdigest())


if __name__ == "__main__":
    main()
