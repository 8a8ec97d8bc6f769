#!/usr/bin/env python3
"""A seeded implicit-feedback file shaped like ML-1M, at any user count.

    python3 Benchmarks/kernel/synthetic-interactions.py USERS OUT.csv [--items 3706] [--per-user 165] [--seed 1]
        [--min-per-user 5] [--split]

Each user belongs to one of 20 taste clusters; a cluster prefers a random
fifth of the items. A user's items are drawn without replacement, 70 % from
the cluster's items and 30 % from all items, both by a Zipf(1.0) popularity,
with a per-user count log-normal around --per-user (at least 5). ML-1M has
6,040 users, 3,706 items and 165 ratings per user on average; the file
measures the kernel's cost at user counts the real data does not have
(docs/benchmarks/kernel.md, "∞-AE on ScaLAPACK"). Output: user,item lines; with
--split, user,item,split lines, each user's items shuffled (seeded) and cut
80/10/10 with the first shuffled one in test, as the paper's preprocess.py.

ML-1M's shape, the synthetic stand-in for the real file (not on this machine):
    python3 Benchmarks/kernel/synthetic-interactions.py 6040 ml1m-shape.csv --min-per-user 20 --split
gives 6,040 users x 3,706 items and about 1.0 M interactions (ML-1M: 1,000,209,
at least 20 a user).
"""
import argparse
import math
import random

p = argparse.ArgumentParser()
p.add_argument("users", type=int)
p.add_argument("out")
p.add_argument("--items", type=int, default=3706)
p.add_argument("--per-user", type=float, default=165)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--min-per-user", type=int, default=5)
p.add_argument("--split", action="store_true")
a = p.parse_args()
r = random.Random(a.seed)
popularity = [1.0 / (k + 1) for k in range(a.items)]
order = list(range(a.items))
r.shuffle(order)
clusters = []
for c in range(20):
    chosen = r.sample(range(a.items), a.items // 5)
    clusters.append((chosen, popularity[: len(chosen)]))
everything = (order, popularity)


def draw(pool, weights, n, taken):
    got = 0
    for i in r.choices(pool, weights=weights, k=4 * n + 10):
        if i not in taken:
            taken.add(i)
            got += 1
            if got == n:
                break


with open(a.out, "w") as f:
    f.write("user,item,split\n" if a.split else "user,item\n")
    for u in range(a.users):
        n = max(a.min_per_user, min(a.items // 2, int(round(a.per_user * math.exp(0.8 * r.gauss(0, 1) - 0.32)))))
        taken = set()
        cluster = clusters[u % len(clusters)]
        draw(cluster[0], cluster[1], int(0.7 * n), taken)
        draw(everything[0], everything[1], n - len(taken), taken)
        if not a.split:
            for i in sorted(taken):
                f.write(f"{u},{i}\n")
            continue
        mine = sorted(taken)
        r.shuffle(mine)
        k = len(mine)
        for pos, i in enumerate(mine):
            part = "test" if pos == 0 or pos >= int(0.9 * k) else "train" if pos < int(0.8 * k) else "validation"
            f.write(f"{u},{i},{part}\n")
