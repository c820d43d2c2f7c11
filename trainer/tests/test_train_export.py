import contextlib
import io
import json
import os
import unittest

import numpy as np
import onnx
import torch

from trainer import data as D
from trainer import evaluate as E
from trainer import export as X
from trainer import losses as L
from trainer import train as T
from trainer.model import GRURec, ScoreModule, StepModule
from trainer.onnx_ref import OnnxRef
from trainer.tests.util import tmpdir, write_toy

def _json(path):
    with open(path) as f:
        return json.load(f)


TINY = ["--emb-dim", "8", "--hidden", "8", "--batch-size", "8", "--epochs", "2", "--threads", "1"]


class DeterminismTest(unittest.TestCase):
    def test_same_seed_same_weights(self):
        with tmpdir() as d:
            path = write_toy(os.path.join(d, "toy.txt"))
            ds = D.load(path)
            sp = D.leave_one_out(ds.sequences)
            tasks = E.build_tasks(ds.sequences, sp, ds.item_count)
            args = T.parse_args(["--data", path, "--out", d] + TINY)
            torch.set_num_threads(1)
            quiet = lambda *_: None
            m1, r1 = T.train_one(args, ds, sp, tasks, 7, log=quiet)
            m2, r2 = T.train_one(args, ds, sp, tasks, 7, log=quiet)
            m3, _ = T.train_one(args, ds, sp, tasks, 8, log=quiet)
            for (k, a), b in zip(m1.state_dict().items(), m2.state_dict().values()):
                self.assertTrue(torch.equal(a, b), k)
            self.assertEqual(r1["test"], r2["test"])
            self.assertFalse(torch.equal(m1.emb.weight, m3.emb.weight))

    def test_sampled_softmax_deterministic(self):
        with tmpdir() as d:
            path = write_toy(os.path.join(d, "toy.txt"))
            ds = D.load(path)
            sp = D.leave_one_out(ds.sequences)
            tasks = E.build_tasks(ds.sequences, sp, ds.item_count)
            args = T.parse_args(["--data", path, "--out", d, "--negatives", "5"] + TINY)
            torch.set_num_threads(1)
            quiet = lambda *_: None
            m1, r1 = T.train_one(args, ds, sp, tasks, 3, log=quiet)
            m2, r2 = T.train_one(args, ds, sp, tasks, 3, log=quiet)
            self.assertTrue(torch.equal(m1.emb.weight, m2.emb.weight))
            self.assertTrue(all(np.isfinite(h["loss"]) for h in r1["history"]))

    def test_loss_paths(self):
        torch.manual_seed(0)
        m = GRURec(50, emb_dim=4, hidden=4).eval()   # no dropout: compare losses exactly
        h, y = torch.randn(6, 4), torch.randint(1, 50, (6,))
        g = torch.Generator().manual_seed(0)
        full = L.loss_fn(m, h, y, 0, g)
        self.assertTrue(torch.equal(full, L.loss_fn(m, h, y, 49, g)))   # K >= N-1 -> full softmax
        samp = L.loss_fn(m, h, y, 10, g)
        self.assertLess(float(samp), float(full))                      # fewer competitors
        samp.backward()
        self.assertIsNotNone(m.emb.weight.grad)

    def test_windows(self):
        w = T.make_windows([[1, 2, 3, 4, 5, 6, 7], [1], [1, 2]], max_len=3, mode="all")
        self.assertEqual(w, [[4, 5, 6, 7], [1, 2, 3, 4], [1, 2]])
        # every target position appears exactly once
        self.assertEqual(sum(len(x) - 1 for x in w), 6 + 0 + 1)
        self.assertEqual(T.make_windows([[1, 2, 3, 4, 5, 6, 7]], 3, "last"), [[4, 5, 6, 7]])


class ExportTest(unittest.TestCase):
    def _check_folder(self, d, model, items):
        info = X.check_graphs(d, model.state_size, len(items))
        self.assertEqual(info["step.onnx"]["opset"], 17)
        for f in ("step.onnx", "score.onnx"):
            m = onnx.load(os.path.join(d, f))
            self.assertEqual(m.graph.input[0].type.tensor_type.shape.dim[0].dim_param, "B")

    def test_two_layer_export_step_equals_full(self):
        torch.manual_seed(0)
        model = GRURec(30, emb_dim=6, hidden=5, layers=2, proj=True).eval()
        seqs = [[1], [3, 4, 5], list(range(1, 30)) * 3]
        with tmpdir() as d:
            X.export_onnx(model, d)
            self._check_folder(d, model, ["<pad>"] + [str(i) for i in range(29)])
            res = X.check_wrappers(model, seqs, d)
            for k, v in res.items():
                self.assertLess(v, 1e-5, k)
            # the ONNX graphs run with batch 3 (dynamic axis), zero state = fresh user
            step = OnnxRef(os.path.join(d, "step.onnx"))
            score = OnnxRef(os.path.join(d, "score.onnx"))
            self.assertEqual(step.input_names, ["item", "state"])
            self.assertEqual(score.output_names, ["scores"])
            h = np.zeros((3, 10), np.float32)
            h = step.run({"item": np.array([1, 3, 1], np.int64), "state": h})["next_state"]
            self.assertEqual(h.shape, (3, 10))
            np.testing.assert_allclose(h[0], h[2])
            sc = score.run({"state": h})["scores"]
            self.assertEqual(sc.shape, (3, 30))
            self.assertTrue((sc[:, 0] < -1e8).all())
            full = model.final_states([[1], [3]])
            np.testing.assert_allclose(h[:2], full.numpy(), atol=1e-6)

    def test_cli_end_to_end(self):
        with tmpdir() as d:
            path = write_toy(os.path.join(d, "toy.txt"), users=30)
            out = os.path.join(d, "model")
            with contextlib.redirect_stdout(io.StringIO()):
                T.main(["--data", path, "--out", out, "--name", "toy", "--version", "v1", "--seeds", "1", "2"] + TINY)
            files = sorted(f for f in os.listdir(out) if f != T.CURVE_FILE)   # the PNG needs matplotlib
            self.assertEqual(files, ["items.txt", "manifest.json", "parity.json", "report.json", "report.md",
                                     "score.onnx", "step.onnx"])
            man = _json(os.path.join(out, "manifest.json"))
            self.assertEqual(man["format"], "personalization-model/1")
            self.assertEqual((man["name"], man["version"]), ("toy", "v1"))
            self.assertEqual(man["graphs"], {"step": "step.onnx", "score": "score.onnx"})
            self.assertEqual(man["hidden_size"], 8)
            with open(os.path.join(out, "items.txt")) as f:
                items = f.read().split("\n")[:-1]
            self.assertEqual(man["item_count"], len(items))
            self.assertEqual(items[0], "<pad>")
            self.assertLessEqual(len(man["popular_items"]), 100)
            for k in ("sampled", "full"):
                self.assertIn("ndcg@10", man["metrics"][k])
                self.assertIn("hr@10", man["metrics"]["popularity_baseline"][k])
            for k in ("data", "data_md5", "lines", "users", "items", "seed", "epochs", "hyperparameters",
                      "wall_time_seconds", "torch_version"):
                self.assertIn(k, man["training"])
            par = _json(os.path.join(out, "parity.json"))
            self.assertGreaterEqual(len(par["cases"]), 5)
            self.assertIn(1, [c["length"] for c in par["cases"]])
            # replay parity cases through the exported ONNX files
            step = OnnxRef(os.path.join(out, "step.onnx"))
            score = OnnxRef(os.path.join(out, "score.onnx"))
            idx = {it: i for i, it in enumerate(items)}
            for c in par["cases"]:
                h = np.zeros((1, 8), np.float32)
                for it in c["items"]:
                    h = step.run({"item": np.array([idx[it]], np.int64), "state": h})["next_state"]
                np.testing.assert_allclose(h[0], c["final_state"], atol=1e-4)
                sc = score.run({"state": h})["scores"][0]
                np.testing.assert_allclose(sc[c["score_indices"]], c["score_values"], atol=1e-4)
                top = [items[i] for i in np.argsort(-sc[1:], kind="stable")[:10] + 1]
                self.assertEqual(top, c["top10"])
            with open(os.path.join(out, "report.md")) as f:
                md = f.read()
            self.assertNotIn("LRURec", md)            # published Games numbers only beside Games
            self.assertNotIn("CI-class", md)
            self.assertIn("toy.txt", md)
            self.assertIn(str(os.cpu_count()) + " cores", md)
            rep = _json(os.path.join(out, "report.json"))
            self.assertEqual(rep["seeds"], [1, 2])
            self.assertIn("std", rep["test_mean_std"]["sampled"]["hr@10"])


if __name__ == "__main__":
    unittest.main()
