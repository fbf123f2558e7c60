"""Workload for packaging 24.2: what an installer does with it, on generated version data.

Parses and sorts versions, filters them through specifier sets, parses requirements and evaluates
their markers, canonicalizes names. Prints a digest of the results.
"""

import hashlib
import random

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version


def versions(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        text = ".".join(str(rng.randint(0, 30)) for _ in range(rng.randint(1, 4)))
        tail = rng.choice(["", "", "", "a1", "b2", "rc1", ".post1", ".dev3", "+local.7"])
        out.append(text + tail)
    return out


def main() -> None:
    rng = random.Random(13)
    digest = hashlib.sha256()
    texts = versions(rng, 2000)
    parsed = sorted(Version(t) for t in texts)
    digest.update(str(parsed[::50]).encode())
    specs = [SpecifierSet(s) for s in (">=1.0,<20", "~=2.2", "!=3.*,>=0.5", "==4.*", ">1a0", "<=7.7.7")]
    for spec in specs:
        digest.update(str(list(spec.filter(texts, prereleases=True))[:20]).encode())
    env = {"python_version": "3.11", "sys_platform": "linux", "platform_machine": "x86_64"}
    for i in range(300):
        req = Requirement(f"Some_Pkg.{i % 40}[extra{i % 3}] >= {i % 9}.{i % 5}, != {i % 7}.0 ; "
                          f'python_version >= "3.{i % 13}" and sys_platform == "linux"')
        digest.update(f"{canonicalize_name(req.name)} {req.specifier} {req.marker}".encode())
        if req.marker is not None:
            digest.update(str(req.marker.evaluate(env)).encode())
    marker = Marker('os_name == "posix" and (python_version < "3.13" or extra == "test")')
    digest.update(str(marker.evaluate({"extra": "test"})).encode())
    print(digest.hexdigest())


if __name__ == "__main__":
    main()
