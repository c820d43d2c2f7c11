import os
import unittest

from trainer import data as D
from trainer import evaluate as E
from trainer.tests.util import tmpdir


class SplitTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tmpdir()
        self.path = os.path.join(self.tmp.name, "toy.txt")
        with open(self.path, "w") as f:
            # user a: 1 event, b: 2, c: 3, d: 5 (interleaved with e to check grouping keeps order)
            f.write("a 10\nb 20\nb 10\nc 30\nc 20\nc 10\nd 1\nd 2\ne 2\nd 3\nd 4\nd 5\ne 1\ne 7\n")

    def tearDown(self):
        self.tmp.cleanup()

    def test_load(self):
        ds = D.load(self.path)
        self.assertEqual(ds.lines, 14)
        self.assertEqual(ds.users, ["a", "b", "c", "d", "e"])
        self.assertEqual(ds.items[0], D.PAD)
        self.assertEqual(ds.items[1:], ["10", "20", "30", "1", "2", "3", "4", "5", "7"])
        self.assertEqual(ds.item_count, 10)
        ext = [[ds.items[i] for i in s] for s in ds.sequences]
        self.assertEqual(ext, [["10"], ["20", "10"], ["30", "20", "10"], ["1", "2", "3", "4", "5"], ["2", "1", "7"]])

    def test_leave_one_out(self):
        ds = D.load(self.path)
        sp = D.leave_one_out(ds.sequences)
        name = lambda seq: [ds.items[i] for i in seq]
        self.assertEqual([name(s) for s in sp.train], [["10"], ["20", "10"], ["30"], ["1", "2", "3"], ["2"]])
        self.assertEqual([ds.users[u] for u in sp.eval_users], ["c", "d", "e"])
        self.assertEqual(name(sp.valid_target), ["20", "4", "1"])
        self.assertEqual(name(sp.test_target), ["10", "5", "7"])
        counts = D.popularity(sp.train, ds.item_count)
        self.assertEqual(counts[ds.item_index["10"]], 2)
        self.assertEqual(counts[0], 0)
        tasks = E.build_tasks(ds.sequences, sp, ds.item_count, seed=3)
        # the test input is train + the validation item
        self.assertEqual(name(tasks["test"].inputs[1]), ["1", "2", "3", "4"])
        self.assertEqual(name(tasks["valid"].inputs[1]), ["1", "2", "3"])
        # negatives: never an item of the user; here fewer than 100 exist, rest padded with 0
        for j, u in enumerate(sp.eval_users):
            for t in ("valid", "test"):
                neg = [int(x) for x in tasks[t].negatives[j] if x != 0]
                self.assertEqual(len(neg), ds.item_count - 1 - len(set(ds.sequences[u])))
                self.assertFalse(set(neg) & set(ds.sequences[u]))
                self.assertEqual(len(set(neg)), len(neg))


if __name__ == "__main__":
    unittest.main()
