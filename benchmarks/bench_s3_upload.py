"""Upload throughput through boto3's transfer manager, guarded against raw, in the same run.

Uploads one file (256 MiB; 32 MiB with ``--quick``) to the offline sandbox (moto in server mode
over HTTPS, in this process) with ``upload_file`` and the default ``TransferConfig`` (8 MiB
parts, 10 threads), a raw client and a guarded one in every round, who goes first alternating,
so both see the same machine. The guard secures ``CreateMultipartUpload`` (SSE-KMS headers,
preflight of the key and the account, cached) and passes every ``UploadPart`` after one set
lookup; the target is a median time ratio, guarded / raw, of at most 1.05.

    python benchmarks/bench_s3_upload.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common

MIB = 1024 * 1024


def _upload(client: Any, path: Path, bucket: str, key: str) -> float:
    start = time.perf_counter()
    client.upload_file(str(path), bucket, key)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    args = _common.parse_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    size_mib, rounds = (32, 4) if args.quick else (256, 8)
    _common.ensure_safeai_importable()
    import boto3

    import safeai
    from safeai.testing import Sandbox

    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as scratch:
        bucket = sandbox.baseline.bucket if sandbox.baseline else ""
        path = Path(scratch) / "data.bin"
        with path.open("wb") as data:
            for _ in range(size_mib):
                data.write(b"\x5a" * MIB)
        raw = boto3.Session(region_name="us-east-1").client("s3")
        guarded = boto3.Session(region_name="us-east-1").client("s3")
        handle = safeai.guard(sandbox.policy, client=guarded)
        try:
            # One warm-up each: connection pools, the guard's preflight answers.
            _upload(raw, path, bucket, "warm-raw")
            _upload(guarded, path, bucket, "warm-guarded")
            raw_times: list[float] = []
            guarded_times: list[float] = []
            for index in range(rounds):
                # Who goes first alternates: the second upload of a round finds moto's memory
                # and the page cache warmer.
                first, second = (raw, guarded) if index % 2 == 0 else (guarded, raw)
                times = {
                    id(client): _upload(client, path, bucket, f"{name}-{index}")
                    for client, name in ((first, "a"), (second, "b"))
                }
                raw_times.append(times[id(raw)])
                guarded_times.append(times[id(guarded)])
        finally:
            safeai.unguard(handle)
        last = "a" if (rounds - 1) % 2 else "b"  # the guarded upload of the last round
        head = raw.head_object(Bucket=bucket, Key=f"{last}-{rounds - 1}")
    raw_median = _common.median(raw_times)
    guarded_median = _common.median(guarded_times)
    ratio = guarded_median / raw_median
    print(f"upload_file of {size_mib} MiB to the sandbox, {rounds} alternating rounds")
    print(f"machine: {_common.machine_info()}")
    _common.print_table(
        ["client", "median s", "MiB/s", "min s", "max s"],
        [
            [name, _common.median(times), size_mib / _common.median(times), min(times), max(times)]
            for name, times in (("raw", raw_times), ("guarded", guarded_times))
        ],
    )
    print(f"ratio guarded/raw (median): {ratio:.3f} (target <= 1.05)")
    print(f"guarded upload stored with: {head.get('ServerSideEncryption')}")
    _common.emit_result(
        {
            "size_mib": size_mib,
            "rounds": rounds,
            "raw_median_s": raw_median,
            "guarded_median_s": guarded_median,
            "ratio": ratio,
            "encrypted": head.get("ServerSideEncryption") == "aws:kms",
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
