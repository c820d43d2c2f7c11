"""Description of the machine and software a run used, for its report (no fixed strings:
everything is read from this machine at run time)."""
from __future__ import annotations

import datetime as dt
import os
import platform


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def describe(threads: int) -> dict:
    import torch
    try:
        import onnx
        onnx_version = onnx.__version__
    except ImportError:
        onnx_version = None
    return {
        "cpu": cpu_model(), "cores": os.cpu_count(), "threads": threads,
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "torch": torch.__version__, "onnx": onnx_version,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "load_average_1_5_15_min_at_start": load_average(),
    }


def summary(m: dict) -> str:
    return (f"{m['cpu']}, {m['cores']} cores, {m['threads']} torch thread(s), {m['os']}; torch {m['torch']}, "
            f"onnx {m['onnx']}, python {m['python']}; started {m['date']} "
            f"(load average {m['load_average_1_5_15_min_at_start']})")
