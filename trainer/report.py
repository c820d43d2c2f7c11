"""report.md of a run: what data, which machine, how long, the results; published numbers only
beside the data they were measured on (trainer/anchors.py)."""
from __future__ import annotations

import json
from typing import Dict

import numpy as np

from . import anchors as A
from .machine import summary


def _ms(ms: Dict, kind: str, k: str) -> str:
    if len(ms[kind][k]["values"]) == 1:            # one seed: no spread to show
        return f"{ms[kind][k]['mean']:.4f}"
    return f"{ms[kind][k]['mean']:.4f} ± {ms[kind][k]['std']:.4f}"


def _row(label: str, m: Dict) -> str:
    return (f"| {label} | {m['sampled']['hr@10']:.4f} | {m['sampled']['ndcg@10']:.4f} | "
            f"{m['full']['hr@10']:.4f} | {m['full']['ndcg@10']:.4f} |")


def epoch_seconds(run: Dict) -> Dict[str, float]:
    """Mean / min / max training seconds per epoch and mean 1-min load average over the run's epochs."""
    t = np.asarray([h["train_seconds"] for h in run["history"]], dtype=float)
    load = [h["load_1min"] for h in run["history"] if h.get("load_1min") is not None]
    return {"mean": float(t.mean()), "min": float(t.min()), "max": float(t.max()),
            "load": float(np.mean(load)) if load else float("nan")}


def report_md(rep: Dict) -> str:
    d, n = rep["data"], len(rep["runs"])
    hdr = "| model | sampled HR@10 | sampled NDCG@10 | full HR@10 | full NDCG@10 |\n|---|---|---|---|---|"
    ms, vms = rep["test_mean_std"], rep["valid_mean_std"]
    lines = [
        f"# Evaluation report: {rep['name']} ({rep['version']})", "",
        f"- Data: `{d['file']}` (`{d.get('path', d['file'])}`, md5 `{d['md5']}`): {d['users']} users, "
        f"{d['items']} items, {d['lines']} interactions; {d['eval_users']} users evaluated.",
        f"- Machine: {summary(rep['machine'])}.",
        "- Protocol: leave-one-out (last item = test, second-to-last = validation, users with < 3 events train-only). "
        "Sampled = true item among 100 random items the user never interacted with; full = among all items, the "
        "user's already-seen items excluded (except the target). Ties count against the model. Model selection and "
        f"early stopping on validation NDCG@10 ({rep['hyperparameters']['select']}); test reported once.", "",
        f"## Test ({n} seed{'s' if n > 1 else ''})", "", hdr,
        f"| {rep['architecture']} ({'mean ± std, ddof=1' if n > 1 else '1 seed'}) | {_ms(ms, 'sampled', 'hr@10')} | {_ms(ms, 'sampled', 'ndcg@10')} | "
        f"{_ms(ms, 'full', 'hr@10')} | {_ms(ms, 'full', 'ndcg@10')} |",
    ]
    for r in rep["runs"]:
        lines.append(_row(f"seed {r['seed']} (best epoch {r['best_epoch']} of {r['epochs_run']})"
                          f"{' — shipped' if r['seed'] == rep['shipped_seed'] else ''}", r["test"]))
    lines.append(_row("popularity baseline (training-split counts)", rep["popularity_baseline"]["test"]))
    anchors = A.anchors_for(d)
    if anchors:
        lines += ["", "Published results on this data set (same file, as reported by their authors; their own "
                  "runs and negative samples, so only indicative):", "",
                  "| model | protocol | HR@10 | NDCG@10 | source |", "|---|---|---|---|---|"]
        lines += [f"| {m} | {p} | {hr:.4f} | {nd:.4f} | {src} |" for m, p, hr, nd, src in anchors]
    lines += ["", "## Validation (selected epoch, all validation users)", "", hdr,
              f"| {'mean ± std' if n > 1 else 'seed ' + str(rep['runs'][0]['seed'])} | {_ms(vms, 'sampled', 'hr@10')} | {_ms(vms, 'sampled', 'ndcg@10')} | "
              f"{_ms(vms, 'full', 'hr@10')} | {_ms(vms, 'full', 'ndcg@10')} |",
              _row("popularity baseline", rep["popularity_baseline"]["valid"]), "",
              "## Time (shared machine: other processes' load included)", "",
              "| seed | epochs run | s / epoch (mean, min–max) | mean load average (1 min) | wall incl. evaluation |",
              "|---|---|---|---|---|"]
    for r in rep["runs"]:
        e = epoch_seconds(r)
        lines.append(f"| {r['seed']} | {r['epochs_run']} | {e['mean']:.0f} ({e['min']:.0f}–{e['max']:.0f}) | "
                     f"{e['load']:.1f} | {r['wall_time_seconds']:.0f} s |")
    lines += ["",
              f"- Total wall time of this process {rep['wall_time_seconds']:.0f} s"
              + (f" (seeds {', '.join(str(x) for x in rep['reused_seeds'])} reused from an earlier run with "
                 "`--resume`: their training time is in the table above)" if rep.get("reused_seeds") else "")
              + f"; model folder {rep['folder_bytes'] / 1e6:.1f} MB.",
              f"- Shipped weights: seed {rep['shipped_seed']} (best validation), trained on the leave-one-out "
              "training split only (the manifest's metrics are exactly these weights).",
              f"- Hyper-parameters: `{json.dumps(rep['hyperparameters'], sort_keys=True)}`",
              f"- Training curves: `{rep['curve_png']}`" if rep.get("curve_png") else "- Training curves: not drawn",
              f"- Command: `{rep['command']}`", ""]
    return "\n".join(lines)
