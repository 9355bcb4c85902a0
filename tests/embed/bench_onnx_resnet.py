"""Benchmark: milliseconds per face, dlib-bin against ONNX Runtime, same model. Prints, never fails.

    python tests/embed/bench_onnx_resnet.py [--faces 32] [--repeats 3] [--compare 300] [--memory]

With ``--compare N`` it instead embeds N real faces both ways and prints how far apart the
descriptors are (raw, and through ``embed(mirror=True)`` of both embedders). With
``--memory`` it runs each embedder (``mirror=True``, ``--faces`` chips twice) in a fresh process
and prints that process's resident memory.

Uses real LFW faces when the shared datasets are present (``CLEARSIGHT_DATASETS`` or
``../shared/datasets``), otherwise the scikit-image portrait. Each figure is the best of
``--repeats`` runs, because the machine may be shared; the load average is printed with them,
and CPU time (all threads of this process) is printed beside wall time: on a busy machine it is
the steadier measure of what a face costs.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clearsight.detect import HogFaceDetector
from clearsight.embed import OnnxResNetEmbedder, align_chips, convert_dlib_resnet
from clearsight.ingest import load_image
from clearsight.models import load_resnet

Chips = list[npt.NDArray[np.uint8]]


def _chips(count: int) -> tuple[Chips, str]:
    root = Path(
        os.environ.get("CLEARSIGHT_DATASETS")
        or Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
    )
    detector = HogFaceDetector()
    people = sorted((root / "lfw" / "images").glob("*/"))
    chips: Chips = []
    for person in people[:: max(1, len(people) // count)]:
        image = load_image(sorted(person.glob("*.jpg"))[0])
        chips += align_chips(image, detector.detect(image))[:1]
        if len(chips) == count:
            return chips, f"{count} LFW faces"
    from skimage import data

    image = np.ascontiguousarray(data.astronaut(), dtype=np.uint8)  # type: ignore[no-untyped-call]
    chip = align_chips(image, detector.detect(image))[0]
    return [np.roll(chip, shift, axis=1) for shift in range(count)], "the scikit-image portrait"


def _best_ms(run: Callable[[], object], faces: int, repeats: int) -> tuple[float, float]:
    """Best wall-clock and best CPU (all threads) milliseconds per face over ``repeats`` runs."""
    run()  # warm up
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1000 * min(wall) / faces, 1000 * min(cpu) / faces


def _compare(count: int) -> None:
    from clearsight.embed import DlibResNetEmbedder

    chips, source = _chips(count)
    onnx = OnnxResNetEmbedder(mirror=False).descriptors(np.stack(chips))
    dlib = np.asarray(
        load_resnet().compute_face_descriptor([np.ascontiguousarray(chip) for chip in chips]),
        np.float32,
    )
    mirrored = (
        OnnxResNetEmbedder(mirror=True).embed(chips),
        DlibResNetEmbedder(mirror=True).embed(chips),
    )
    for label, (a, b) in (("raw descriptors", (onnx, dlib)), ("embed(mirror=True)", mirrored)):
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        cosine = 1 - (a64 * b64).sum(1) / np.linalg.norm(a64, axis=1) / np.linalg.norm(b64, axis=1)
        print(
            f"{len(chips)} chips from {source}, {label}: cosine distance max {cosine.max():.3g} "
            f"mean {cosine.mean():.3g}; largest element difference {np.abs(a - b).max():.3g}"
        )


def _resident_mb() -> tuple[int, int]:
    """This process's resident memory now and at its peak, in MB (Linux)."""
    import resource

    now = 0
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) // 1024
    return now, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _memory_of(runtime: str, count: int) -> None:
    from clearsight.embed import DlibResNetEmbedder, Embedder

    chips, _ = _chips(count)
    before = _resident_mb()[0]
    embedder: Embedder = OnnxResNetEmbedder() if runtime == "onnxruntime" else DlibResNetEmbedder()
    for _ in range(2):
        embedder.embed(chips)
    now, peak = _resident_mb()
    print(
        f"{runtime:<12} mirror=True, {len(chips)} chips: resident {now} MB "
        f"(peak {peak} MB; {before} MB before the embedder)"
    )


def _memory(count: int) -> None:
    import subprocess
    import sys

    for runtime in ("dlib-bin", "onnxruntime"):
        subprocess.run(
            [sys.executable, __file__, "--faces", str(count), "--memory-of", runtime], check=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faces", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compare", type=int, default=0, metavar="N")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--memory-of", choices=["dlib-bin", "onnxruntime"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_of:
        _memory_of(args.memory_of, args.faces)
        return
    if args.memory:
        _memory(args.faces)
        return
    if args.compare:
        _compare(args.compare)
        return
    chips, source = _chips(args.faces)
    stack = np.stack(chips)
    count = len(chips)
    print(
        f"{count} chips from {source}; CPUs usable: {len(os.sched_getaffinity(0))}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )

    start = time.perf_counter()
    convert_dlib_resnet()
    print(
        f"convert .dat -> ONNX (parse, build, check, serialize): "
        f"{1000 * (time.perf_counter() - start):.0f} ms, once per machine (then cached)"
    )

    net = load_resnet()
    batch = [np.ascontiguousarray(chip) for chip in chips]
    rows = [
        (
            "dlib-bin",
            "-",
            "one chip per call",
            _best_ms(
                lambda: [net.compute_face_descriptor([c]) for c in batch], count, args.repeats
            ),
        ),
        (
            "dlib-bin",
            "-",
            f"{count} chips per call",
            _best_ms(lambda: net.compute_face_descriptor(batch), count, args.repeats),
        ),
    ]
    for threads in (1, 2):
        single = OnnxResNetEmbedder(mirror=False, threads=threads, batch_size=1)
        rows.append(
            (
                "onnxruntime",
                str(threads),
                "one chip per call",
                _best_ms(partial(single.descriptors, stack), count, args.repeats),
            )
        )
        for size in (8, count):
            batched = OnnxResNetEmbedder(mirror=False, threads=threads, batch_size=size)
            rows.append(
                (
                    "onnxruntime",
                    str(threads),
                    f"batches of {size}",
                    _best_ms(partial(batched.descriptors, stack), count, args.repeats),
                )
            )
    print(f"{'runtime':<12} {'threads':>7}  {'calls':<20} {'wall ms/face':>12} {'CPU ms/face':>12}")
    for runtime, threads_text, calls, (wall, cpu) in rows:
        print(f"{runtime:<12} {threads_text:>7}  {calls:<20} {wall:12.2f} {cpu:12.2f}")
    mirrored = OnnxResNetEmbedder(mirror=True, batch_size=count)
    wall, cpu = _best_ms(partial(mirrored.embed, chips), count, args.repeats)
    print(
        f"OnnxResNetEmbedder(mirror=True).embed, {mirrored.threads} threads: {wall:.2f} wall "
        f"ms/face, {cpu:.2f} CPU ms/face (two passes per face)"
    )


if __name__ == "__main__":
    main()
