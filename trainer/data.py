"""Loading `user item` interaction files and the leave-one-out split.

File format (SASRec preprocessing): one interaction per line, `user item`, separated by
whitespace; each user's lines are in time order. Ids are opaque strings here: nothing about
their values or counts is assumed.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Dict, List

PAD = "<pad>"


@dataclass
class Dataset:
    path: str
    md5: str
    lines: int
    users: List[str]                     # external user ids, order of first appearance
    sequences: List[List[int]]           # per user, model item indices (1..N-1), time order
    items: List[str]                     # row i = external id of model index i; items[0] = PAD
    item_index: Dict[str, int] = field(default_factory=dict)

    @property
    def item_count(self) -> int:         # N, including the padding row 0
        return len(self.items)


def file_md5(path: str) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load(path: str) -> Dataset:
    """Read a `user item` file. Items are indexed 1.. in order of first appearance in the
    file (deterministic); users keep their order of first appearance. Lines of one user need
    not be contiguous; their relative order is kept (it is the time order)."""
    user_pos: Dict[str, int] = {}
    users: List[str] = []
    seqs: List[List[int]] = []
    items: List[str] = [PAD]
    item_index: Dict[str, int] = {}
    lines = 0
    with open(path, "r", encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) < 2:
                raise ValueError(f"{path}:{ln}: expected 'user item', got {line.rstrip()!r}")
            u, it = parts[0], parts[1]
            lines += 1
            ui = user_pos.get(u)
            if ui is None:
                ui = user_pos[u] = len(users)
                users.append(u)
                seqs.append([])
            ii = item_index.get(it)
            if ii is None:
                ii = item_index[it] = len(items)
                items.append(it)
            seqs[ui].append(ii)
    if lines == 0:
        raise ValueError(f"{path}: no interactions")
    return Dataset(path=os.path.abspath(path), md5=file_md5(path), lines=lines, users=users,
                   sequences=seqs, items=items, item_index=item_index)


@dataclass
class Split:
    """Leave-one-out split (SASRec protocol). For every user: train = all but the last two
    items, valid = second-to-last, test = last; users with < 3 events are train-only."""
    train: List[List[int]]        # per user (all users), training items
    eval_users: List[int]         # users with >= 3 events (indices into Dataset.users)
    valid_target: List[int]       # per eval user
    test_target: List[int]        # per eval user


def leave_one_out(sequences: List[List[int]]) -> Split:
    train, eval_users, vt, tt = [], [], [], []
    for u, s in enumerate(sequences):
        if len(s) < 3:
            train.append(list(s))
        else:
            train.append(list(s[:-2]))
            eval_users.append(u)
            vt.append(s[-2])
            tt.append(s[-1])
    return Split(train=train, eval_users=eval_users, valid_target=vt, test_target=tt)


def popularity(train: List[List[int]], item_count: int) -> List[int]:
    """Interaction counts per model index over the training split (index 0 stays 0)."""
    c = [0] * item_count
    for s in train:
        for i in s:
            c[i] += 1
    return c
