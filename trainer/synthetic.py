"""Synthetic `user item` files with known structure, to check that a default works on data it
was not tuned on (not only on Games):

- item popularity is Zipf-like (exponent `zipf`), as in Amazon categories;
- items belong to `clusters` groups; each user prefers 2 groups;
- a sequence is a Markov walk: with probability `p_follow` the next item is one of 3 fixed
  successors of the current item (sequential signal), else a popular-weighted item of one of
  the user's groups (taste signal); repeats are skipped, as in 5-core review data;
- lengths ~ 5 + geometric(mean `mean_extra`), i.e. every user has >= 5 events.

    PYENV_VERSION=system python3 -m trainer.synthetic --out /tmp/synth.txt --users 6000 --items 3000
"""
from __future__ import annotations

import argparse

import numpy as np


def generate(path: str, users: int = 6000, items: int = 3000, clusters: int = 60, zipf: float = 0.9,
             p_follow: float = 0.5, mean_extra: float = 6.0, seed: int = 0) -> str:
    rng = np.random.RandomState(seed)
    pop = 1.0 / np.arange(1, items + 1) ** zipf
    cluster = rng.randint(0, clusters, size=items)
    members = [np.flatnonzero(cluster == c) for c in range(clusters)]
    member_p = [pop[m] / pop[m].sum() for m in members]
    succ = np.stack([rng.choice(members[cluster[i]], size=3, p=member_p[cluster[i]]) for i in range(items)])
    ids = rng.permutation(items) * 7 + 11          # opaque, non-contiguous external ids
    with open(path, "w") as f:
        for u in range(users):
            likes = rng.choice(clusters, size=2, replace=False)
            n = 5 + rng.geometric(1.0 / (mean_extra + 1)) - 1
            seq, seen = [], set()
            cur = None
            while len(seq) < n:
                if cur is not None and rng.rand() < p_follow:
                    nxt = int(succ[cur, rng.randint(3)])
                else:
                    c = likes[rng.randint(2)]
                    nxt = int(rng.choice(members[c], p=member_p[c]))
                if nxt in seen:
                    if len(seen) >= len(members[likes[0]]) + len(members[likes[1]]):
                        break
                    cur = nxt
                    continue
                seen.add(nxt)
                seq.append(nxt)
                cur = nxt
            for i in seq:
                f.write(f"s{u} {ids[i]}\n")
    return path


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m trainer.synthetic", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--users", type=int, default=6000)
    p.add_argument("--items", type=int, default=3000)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    generate(a.out, a.users, a.items, seed=a.seed)
    print(a.out)


if __name__ == "__main__":
    main()
