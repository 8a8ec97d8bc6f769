#!/usr/bin/env python3
"""A synthetic interactions CSV of ML-1M's shape for timing `strata iae`:
6,040 users x 3,706 items, about 1,000,209 interactions (4.47 % dense), user
activity log-normal with at least 20 items each (ML-1M keeps users with 20+
ratings), item popularity Zipf-like (exponent 0.9). Not a quality benchmark:
only the shape and density match ML-1M.

usage: synthetic-ml1m.py OUT.csv [SEED]
"""
import sys
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
users, items, total = 6040, 3706, 1_000_209
pop = 1.0 / np.arange(1, items + 1) ** 0.9
pop = pop[rng.permutation(items)]
pop /= pop.sum()
act = rng.lognormal(mean=0, sigma=1.0, size=users)
counts = np.maximum(20, np.round(act / act.sum() * total)).astype(int)
counts = np.minimum(counts, items // 2)
with open(out, "w") as f:
    f.write("user,item\n")
    for u in range(users):
        for i in rng.choice(items, size=counts[u], replace=False, p=pop):
            f.write(f"{u},{i}\n")
print(f"{out}: {users} users, {items} items, {counts.sum()} interactions", file=sys.stderr)
