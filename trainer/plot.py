"""Training-curve PNG of a run: loss and validation NDCG@10 / HR@10 (full and sampled) per epoch,
one line per seed. matplotlib (Debian's python3-matplotlib) is imported only here, so training
works without it; the plot is then skipped with a message."""
from __future__ import annotations

from typing import List


def plot_curves(runs: List[dict], path: str, title: str) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (apt-get install python3-matplotlib): training curve not drawn")
        return False
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
    for i, r in enumerate(runs):
        c = f"C{i}"
        h = r["history"]
        ep = [x["epoch"] for x in h]
        lab = f"seed {r['seed']}"
        ax[0].plot(ep, [x["loss"] for x in h], marker=".", color=c, label=lab)
        if all("full" in x["valid"] for x in h):
            ax[1].plot(ep, [x["valid"]["full"]["ndcg@10"] for x in h], marker=".", color=c, label=f"{lab} NDCG@10")
            ax[1].plot(ep, [x["valid"]["full"]["hr@10"] for x in h], ls="--", color=c, label=f"{lab} HR@10")
        ax[2].plot(ep, [x["valid"]["sampled"]["ndcg@10"] for x in h], marker=".", color=c, label=f"{lab} NDCG@10")
        ax[2].plot(ep, [x["valid"]["sampled"]["hr@10"] for x in h], ls="--", color=c, label=f"{lab} HR@10")
        for a in ax[1:]:
            a.axvline(r["best_epoch"], color=c, lw=0.5)
    ax[0].set_title("training loss")
    ax[1].set_title("validation (per-epoch users), full ranking")
    ax[2].set_title("validation (per-epoch users), sampled (100 negatives)")
    for a in ax:
        a.set_xlabel("epoch")
        a.grid(alpha=0.3)
        a.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True
