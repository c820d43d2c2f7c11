import contextlib
import io
import os
import unittest

from trainer import anchors as A
from trainer import data as D
from trainer import synthetic as S
from trainer import train as T
from trainer.tests.util import tmpdir

TINY = ["--emb-dim", "8", "--hidden", "8", "--batch-size", "16", "--epochs", "2", "--threads", "1",
        "--negatives", "20", "--no-export", "--val-users", "0"]


class SyntheticTest(unittest.TestCase):
    def test_every_user_has_five_events_and_no_repeats(self):
        with tmpdir() as d:
            ds = D.load(S.generate(os.path.join(d, "s.txt"), users=200, items=300, clusters=10))
            self.assertEqual(len(ds.users), 200)
            for s in ds.sequences:
                self.assertGreaterEqual(len(s), 5)
                self.assertEqual(len(s), len(set(s)))

    def test_synthetic_data_gets_no_published_anchors(self):
        with tmpdir() as d:
            ds = D.load(S.generate(os.path.join(d, "s.txt"), users=50, items=100, clusters=5))
            data = {"md5": ds.md5, "users": len(ds.users), "items": ds.item_count - 1, "lines": ds.lines}
            self.assertEqual(A.anchors_for(data), [])
            self.assertTrue(A.anchors_for(dict(A.GAMES, md5="other")))    # same counts: Games re-saved


class ResumeTest(unittest.TestCase):
    def test_resume_reuses_finished_seed(self):
        with tmpdir() as d:
            path = S.generate(os.path.join(d, "s.txt"), users=60, items=80, clusters=5)
            argv = ["--data", path, "--out", os.path.join(d, "m"), "--seeds", "1"] + TINY
            with contextlib.redirect_stdout(io.StringIO()):
                first = T.main(argv)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                again = T.main(argv + ["--resume"])
            self.assertIn("reused", out.getvalue())
            self.assertEqual(first["runs"][0]["test"], again["runs"][0]["test"])


if __name__ == "__main__":
    unittest.main()
