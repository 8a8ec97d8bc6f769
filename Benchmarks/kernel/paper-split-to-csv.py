#!/usr/bin/env python3
"""The ∞-AE paper's preprocessed data (noveens/infinite_ae_cf: data/<set>/
total_data.hdf5 + index.npz) as an interactions CSV with a split column, so
`strata iae` runs on exactly the paper's split. Rows with index -1 (users
with fewer than 3 ratings) are dropped, as the paper's loader does.
Needs h5py (pip install h5py).

usage: paper-split-to-csv.py total_data.hdf5 index.npz OUT.csv
"""
import sys
import h5py
import numpy as np

data, index, out = sys.argv[1:4]
with h5py.File(data, "r") as f:
    users, items = f["user"][:], f["item"][:]
split = np.load(index)["data"]
names = {0: "train", 1: "validation", 2: "test"}
with open(out, "w") as f:
    f.write("user,item,split\n")
    for u, i, s in zip(users, items, split):
        if s in names:
            f.write(f"{u},{i},{names[s]}\n")
print(f"{out}: {int((split >= 0).sum())} interactions", file=sys.stderr)
