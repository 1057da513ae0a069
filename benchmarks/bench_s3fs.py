"""s3fs upload throughput, guarded against raw, in the same run.

Two ``s3fs.S3FileSystem`` instances on the offline sandbox (moto in server mode over HTTPS, in
this process), each on an aiobotocore session of its own; one session is guarded
(``safeai.guard(policy, session=...)``), so its clients' requests go through the guard's async
door: credentials awaited, the checks run in a worker thread on a synchronous mirror of the
client. Two workloads, each in alternating rounds (who goes first alternates):

* **many files**: 64 files of 1 MiB written with one ``fs.pipe`` (s3fs sends them concurrently,
  one ``PutObject`` each);
* **one large file**: 128 MiB through ``fs.open(..., "wb")`` with 8 MiB blocks (one
  ``CreateMultipartUpload``, 16 ``UploadPart``, one ``CompleteMultipartUpload``).

The target is a median time ratio, guarded / raw, of at most 1.05 for each.

    python benchmarks/bench_s3fs.py [--quick]
"""

from __future__ import annotations

import sys
import time
from typing import Any

import _common

MIB = 1024 * 1024


def _many(fs: Any, bucket: str, prefix: str, files: int) -> float:
    payload = {f"{bucket}/{prefix}/part-{index:03d}.bin": b"\x5a" * MIB for index in range(files)}
    start = time.perf_counter()
    fs.pipe(payload)
    return time.perf_counter() - start


def _large(fs: Any, bucket: str, key: str, size_mib: int) -> float:
    chunk = b"\x5a" * MIB
    start = time.perf_counter()
    with fs.open(f"{bucket}/{key}", "wb", block_size=8 * MIB) as out:
        for _ in range(size_mib):
            out.write(chunk)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    args = _common.parse_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    files, size_mib, rounds = (16, 32, 3) if args.quick else (64, 128, 8)
    _common.ensure_safeai_importable()
    import aiobotocore.session
    import s3fs

    import safeai
    from safeai.testing import RequestRecorder, Sandbox

    with Sandbox() as sandbox:
        bucket = sandbox.baseline.bucket if sandbox.baseline else ""
        raw_session = aiobotocore.session.AioSession()
        guarded_session = aiobotocore.session.AioSession()
        handle = safeai.guard(sandbox.policy, session=guarded_session)
        try:
            raw = s3fs.S3FileSystem(session=raw_session, skip_instance_cache=True)
            guarded = s3fs.S3FileSystem(session=guarded_session, skip_instance_cache=True)
            arms = {"raw": raw, "guarded": guarded}
            # One warm-up each: connection pools, the guard's mirror and cached checks.
            for name, fs in arms.items():
                _many(fs, bucket, f"warm-{name}", 2)
            times: dict[tuple[str, str], list[float]] = {}
            for index in range(rounds):
                order = ("raw", "guarded") if index % 2 == 0 else ("guarded", "raw")
                for name in order:
                    times.setdefault(("many files", name), []).append(
                        _many(arms[name], bucket, f"{name}-{index}", files)
                    )
                for name in order:
                    times.setdefault(("one large file", name), []).append(
                        _large(arms[name], bucket, f"{name}-{index}.bin", size_mib)
                    )
            with RequestRecorder() as recorder:
                _many(guarded, bucket, "checked", 1)
            sent = recorder.last("PutObject").headers.get("x-amz-server-side-encryption")
        finally:
            safeai.unguard(handle)
    volume = {"many files": files, "one large file": size_mib}
    print(f"s3fs writes to the sandbox, {rounds} alternating rounds")
    print(f"machine: {_common.machine_info()}")
    rows = []
    ratios = {}
    for workload in ("many files", "one large file"):
        raw_median = _common.median(times[(workload, "raw")])
        guarded_median = _common.median(times[(workload, "guarded")])
        ratios[workload] = guarded_median / raw_median
        for name, median in (("raw", raw_median), ("guarded", guarded_median)):
            rows.append([workload, name, median, volume[workload] / median])
    _common.print_table(["workload", "file system", "median s", "MiB/s"], rows)
    for workload, ratio in ratios.items():
        print(f"ratio guarded/raw (median), {workload}: {ratio:.3f} (target <= 1.05)")
    print(f"a guarded PutObject was sent with x-amz-server-side-encryption: {sent}")
    _common.emit_result(
        {
            "files": files,
            "size_mib": size_mib,
            "rounds": rounds,
            "ratio_many_files": ratios["many files"],
            "ratio_one_large_file": ratios["one large file"],
            "encrypted": sent == "aws:kms",
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
