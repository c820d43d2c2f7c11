"""Per-event cost of the exported step / score modules (torch, CPU, batch 1), to back the O(1)
claim: the step cost does not depend on how long the history already is.

    PYENV_VERSION=system python3 -m trainer.bench --items 23716 --emb-dim 64 --hidden 64
"""
import argparse
import json
import time

import torch

from .model import GRURec, ScoreModule, StepModule


@torch.no_grad()
def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--items", type=int, default=23716)
    p.add_argument("--emb-dim", type=int, default=64)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    m = GRURec(a.items, a.emb_dim, a.hidden, a.layers).eval()
    step, score = StepModule(m), ScoreModule(m)
    h = torch.zeros(1, m.state_size)
    items = torch.randint(1, a.items, (2000,))
    # time 200 steps after histories of different lengths
    out = {}
    for hist in (1, 50, 500, 2000):
        h = torch.zeros(1, m.state_size)
        for i in range(hist):
            h = step(items[i:i + 1], h)
        t = time.perf_counter()
        for i in range(200):
            h2 = step(items[i:i + 1], h)
        out[f"step_us_after_{hist}_events"] = round((time.perf_counter() - t) / 200 * 1e6, 1)
    t = time.perf_counter()
    for _ in range(50):
        score(h)
    out["score_us_batch1"] = round((time.perf_counter() - t) / 50 * 1e6, 1)
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
