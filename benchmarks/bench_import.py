"""What ``import safeai`` costs: fresh interpreters running ``import safeai`` vs ``import boto3``.

Each sample is a new subprocess of the same interpreter (``sys.executable``) with the same
environment; the repository's ``src`` is put on ``PYTHONPATH`` when safeai is not installed.
The ``pass`` row is the interpreter's own start-up, for reference; the ``import boto3, safeai``
row is what a program that already uses boto3 pays for safeai on top. The commands are
interleaved (the order rotates every round) and the wall time of each subprocess is taken with
``time.perf_counter_ns``. A last subprocess imports safeai and reports which heavy packages
ended up in ``sys.modules``. Figures are printed, never asserted.

    python benchmarks/bench_import.py [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import _common

DIFFERENCE_TARGET_MS = 30.0
HEAVY_MODULES = ("sagemaker", "rich", "boto3", "botocore", "moto")
NEVER_IMPORTED = ("sagemaker", "rich")
COMMANDS = {
    "pass": "pass",
    "import boto3": "import boto3",
    "import safeai": "import safeai",
    "import boto3, safeai": "import boto3, safeai",
}

_PROBE = (
    "import json, sys, safeai; "
    f"print(json.dumps({{'file': safeai.__file__, 'modules': {{m: m in sys.modules for m in "
    f"{HEAVY_MODULES!r}}}, 'count': len(sys.modules)}}))"
)


def _environment() -> tuple[dict[str, str], bool]:
    """The subprocesses' environment, and whether ``src`` had to be put on PYTHONPATH."""
    env = dict(os.environ)
    env.pop("PYTHONSTARTUP", None)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.util as u; print(u.find_spec('safeai') is not None)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    if found.stdout.strip() == "True":
        return env, False
    paths = [str(_common.SRC_DIR), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env, True


def _run_ms(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter_ns()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return (time.perf_counter_ns() - start) / 1e6


def main(argv: list[str] | None = None) -> int:
    args = _common.parse_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    runs = 5 if args.quick else 25
    env, added_src = _environment()

    names = list(COMMANDS)
    for name in names:  # warm-up: the file system cache and the .pyc files
        _run_ms(COMMANDS[name], env)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(runs):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(_run_ms(COMMANDS[name], env))

    probe = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    report = json.loads(probe.stdout)
    modules: dict[str, bool] = report["modules"]

    medians = {name: _common.median(values) for name, values in samples.items()}
    difference = medians["import safeai"] - medians["import boto3"]
    over_startup = medians["import safeai"] - medians["pass"]
    on_top = medians["import boto3, safeai"] - medians["import boto3"]

    print(
        f"fresh `{os.path.basename(sys.executable)} -c ...` subprocesses, {runs} each, "
        f"interleaved; safeai from {report['file']}"
        + (" (src put on PYTHONPATH)" if added_src else "")
    )
    print()
    _common.print_table(
        ["command", "median ms", "p90 ms", "min ms"],
        [
            [name, medians[name], _common.percentile(samples[name], 0.9), min(samples[name])]
            for name in names
        ],
    )
    print()
    verdict = "meets" if difference <= DIFFERENCE_TARGET_MS else "MISSES"
    print(
        f"import safeai - import boto3 = {difference:+.1f} ms ({verdict} the target "
        f"<= +{DIFFERENCE_TARGET_MS:.0f} ms); safeai over bare start-up: {over_startup:.1f} ms"
    )
    print(f"import boto3, safeai - import boto3 = {on_top:+.1f} ms (safeai on top of boto3)")
    loaded = [name for name in HEAVY_MODULES if modules.get(name)]
    print(
        f"after `import safeai` ({report['count']} modules): "
        + ", ".join(
            f"{name} {'loaded' if modules.get(name) else 'not loaded'}" for name in HEAVY_MODULES
        )
    )
    clean = not any(modules.get(name) for name in NEVER_IMPORTED)
    print(f"sagemaker and rich {'never imported' if clean else 'IMPORTED'} (target: never)")
    _common.emit_result(
        {
            "benchmark": "import",
            "quick": args.quick,
            "runs": runs,
            "startup_median_ms": round(medians["pass"], 2),
            "boto3_median_ms": round(medians["import boto3"], 2),
            "safeai_median_ms": round(medians["import safeai"], 2),
            "difference_ms": round(difference, 2),
            "boto3_and_safeai_median_ms": round(medians["import boto3, safeai"], 2),
            "safeai_on_top_of_boto3_ms": round(on_top, 2),
            "difference_target_ms": DIFFERENCE_TARGET_MS,
            "meets_target": difference <= DIFFERENCE_TARGET_MS,
            "modules_after_import": modules,
            "loaded": loaded,
            "sagemaker_and_rich_absent": clean,
            "src_on_pythonpath": added_src,
            **_common.machine_info(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
