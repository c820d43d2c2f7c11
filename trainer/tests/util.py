import os
import random
import tempfile


def write_toy(path: str, users: int = 40, items: int = 25, seed: int = 0, max_len: int = 12) -> str:
    """Synthetic `user item` file with a learnable pattern (users walk through item ids in
    steps of 1 or 2), ids deliberately non-contiguous strings."""
    rng = random.Random(seed)
    with open(path, "w") as f:
        for u in range(users):
            n = rng.randint(1, max_len)
            cur = rng.randint(0, items - 1)
            step = rng.choice([1, 2])
            for _ in range(n):
                f.write(f"u{u * 7} i{cur * 3 + 100}\n")
                cur = (cur + step) % items
    return path


def tmpdir():
    return tempfile.TemporaryDirectory(prefix="trainer-test-")
