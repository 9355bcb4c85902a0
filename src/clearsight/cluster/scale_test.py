"""``python -m clearsight.cluster.scale_test``: the scale test on one machine (prints figures)."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m clearsight.cluster.scale_test",
        description="Simulated cameras on several worker processes, one consumer, real NATS "
        "and PostgreSQL. Reports alerts/s, alert latency and failover time.",
    )
    parser.add_argument("--cameras", type=int, default=1725)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--sites", type=int, default=25)
    parser.add_argument("--duration", type=float, default=90.0, help="seconds of traffic")
    parser.add_argument(
        "--track-every", type=float, default=30.0, help="mean seconds between tracks on one camera"
    )
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--namespace", default=None, help="default: a fresh random one")
    parser.add_argument("--folder", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument(
        "--sim-data",
        type=Path,
        default=None,
        help="simulation templates (.npz); computed when absent",
    )
    parser.add_argument("--no-kill-worker", action="store_true")
    parser.add_argument("--no-kill-consumer", action="store_true")
    parser.add_argument(
        "--nats-outage",
        type=float,
        default=0.0,
        help="seconds to stop a private nats-server mid-run (0: no outage)",
    )
    parser.add_argument("--buffer-alerts", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep buckets, stream and table")
    return parser


def main(argv: list[str] | None = None) -> int:
    from clearsight.cluster._scale import ScaleOptions, run_scale_test
    from clearsight.errors import ClearsightError

    args = _parser().parse_args(argv)
    namespace = args.namespace or f"scale{secrets.token_hex(3)}"
    with tempfile.TemporaryDirectory(prefix="clearsight-scale-") as temporary:
        options = ScaleOptions(
            cameras=args.cameras,
            workers=args.workers,
            sites=args.sites,
            duration_s=args.duration,
            track_every_s=args.track_every,
            nats_url=args.nats,
            dsn=args.dsn,
            namespace=namespace,
            folder=args.folder or Path(temporary),
            sim_data=args.sim_data,
            kill_worker=not args.no_kill_worker,
            kill_consumer=not args.no_kill_consumer,
            nats_outage_s=args.nats_outage,
            buffer_alerts=args.buffer_alerts,
            keep=args.keep,
        )
        try:
            report = asyncio.run(
                run_scale_test(options, lambda line: print(f"  {line}", flush=True))
            )
        except ClearsightError as error:
            print(f"scale test: error: {error}", file=sys.stderr)
            return 2
    print("\n".join(report.lines()))
    return 0 if report.missing == 0 and report.unexpected == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
