"""How to launch each server under test, all on 127.0.0.1, with matching CPU thread counts."""

from __future__ import annotations

import re
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

from loadgen import Endpoint
from procs import ProcessSupervisor, ServerFailed, ServerProcess, log, run_command

from reef.engine.catalogue import DEFAULT_CATALOGUE

REPO = Path(__file__).resolve().parents[1]
PRODUCT_BIN = REPO / ".venv" / "bin"
BENCH_BIN = REPO / ".venv-bench" / "bin"
HOST = "127.0.0.1"
CHAT_MODEL = "smollm2-135m"
PROXY_MODEL = "fake-upstream"
ADMIN_KEY_PATTERN = re.compile(r"\b((?:reef|sk)[-_][A-Za-z0-9_\-]{16,})")


@dataclass
class RunningServer:
    endpoint: Endpoint
    process: ServerProcess


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def require_bench_venv() -> None:
    if not (BENCH_BIN / "python").exists():
        raise SystemExit(
            f"{BENCH_BIN / 'python'} is missing: run scripts/bench-setup.sh first "
            "(it installs llama-cpp-python[server] and litellm[proxy] into .venv-bench)"
        )


async def start_fake_upstream(supervisor: ProcessSupervisor) -> RunningServer:
    port = free_port()
    script = REPO / "bench" / "fake_upstream.py"
    process = supervisor.start(
        "fake-upstream", [str(PRODUCT_BIN / "python"), str(script), "--port", str(port)]
    )
    await process.wait_http(f"http://{HOST}:{port}/v1/models", timeout_s=60)
    endpoint = Endpoint(
        name="fake upstream (direct)", base_url=f"http://{HOST}:{port}/v1", model="fake"
    )
    return RunningServer(endpoint, process)


def write_reef_catalogue(path: Path, upstream_base_url: str | None) -> Path:
    """The built-in catalogue plus, when given, the `fake-upstream` model of backend openai."""
    text = DEFAULT_CATALOGUE.read_text()
    if upstream_base_url:
        text += (
            f'\n[models.{PROXY_MODEL}]\nkind = "chat"\nbackend = "openai"\n'
            f'base_url = "{upstream_base_url}"\napi_key = "x"\nupstream_model = "fake"\n'
            "input_per_m = 0.1\noutput_per_m = 0.2\n"
        )
    path.write_text(text)
    return path


async def start_reef(
    supervisor: ProcessSupervisor,
    work_dir: Path,
    threads: int,
    upstream_base_url: str | None,
    name: str = "reef",
    extra_env: dict[str, str] | None = None,
) -> RunningServer:
    """`reef serve` on a fresh data dir; a key with no rate limits comes from `reef keys create`."""
    port = free_port()
    data_dir = work_dir / f"{name}-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    catalogue = write_reef_catalogue(work_dir / f"{name}-catalogue.toml", upstream_base_url)
    env = {
        "REEF_DATA_DIR": str(data_dir),
        "REEF_CATALOGUE": str(catalogue),
        "REEF_ENGINE__N_THREADS": str(threads),
        **(extra_env or {}),
    }
    process = supervisor.start(
        name,
        [str(PRODUCT_BIN / "reef"), "serve", "--host", HOST, "--port", str(port)],
        env=env,
        cwd=work_dir,
    )
    await process.wait_http(f"http://{HOST}:{port}/v1/models", timeout_s=300)
    key = _create_reef_key(env, work_dir) or _admin_key_from_log(process.log_tail(200))
    if not key:
        raise ServerFailed(f"no API key for reef:\n{process.log_tail()}")
    endpoint = Endpoint(
        name="reef", base_url=f"http://{HOST}:{port}/v1", model=CHAT_MODEL, api_key=key
    )
    return RunningServer(endpoint, process)


def _create_reef_key(env: dict[str, str], cwd: Path) -> str | None:
    command = [str(PRODUCT_BIN / "reef"), "keys", "create", "--org", "bench"]
    try:
        output = run_command(command, env, cwd)
    except ServerFailed as exc:
        log(f"reef keys create failed, falling back to the admin key: {exc}")
        return None
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else None


def _admin_key_from_log(text: str) -> str | None:
    match = ADMIN_KEY_PATTERN.search(text)
    return match.group(1) if match else None


async def start_llama_cpp_server(
    supervisor: ProcessSupervisor, model_path: Path, threads: int, n_ctx: int, n_batch: int
) -> RunningServer:
    """llama-cpp-python's own server. `interrupt_requests False` keeps concurrent streams from
    cancelling each other, and `logits_all False` skips work chat never uses: its best setup."""
    require_bench_venv()
    port = free_port()
    command = [
        str(BENCH_BIN / "python"), "-m", "llama_cpp.server",
        "--model", str(model_path), "--model_alias", CHAT_MODEL,
        "--host", HOST, "--port", str(port),
        "--n_ctx", str(n_ctx), "--n_batch", str(n_batch),
        "--n_threads", str(threads), "--n_threads_batch", str(threads),
        "--interrupt_requests", "False", "--logits_all", "False", "--verbose", "False",
    ]  # fmt: skip
    process = supervisor.start("llama-cpp-server", command)
    await process.wait_http(f"http://{HOST}:{port}/v1/models", timeout_s=180)
    endpoint = Endpoint(
        name="llama_cpp.server", base_url=f"http://{HOST}:{port}/v1", model=CHAT_MODEL
    )
    return RunningServer(endpoint, process)


async def start_litellm(
    supervisor: ProcessSupervisor, work_dir: Path, upstream_base_url: str
) -> RunningServer:
    """LiteLLM's proxy (one worker, no database) routing to the fake upstream; a master key is
    required to start, and it is also the client's key (checked in memory, like Reef's cache)."""
    require_bench_venv()
    port = free_port()
    config = work_dir / "litellm-config.yaml"
    config.write_text(
        "model_list:\n"
        f"  - model_name: {PROXY_MODEL}\n"
        "    litellm_params:\n"
        "      model: openai/fake\n"
        f"      api_base: {upstream_base_url}\n"
        "      api_key: x\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
    )
    master_key = f"sk-bench-{secrets.token_hex(16)}"
    env = {
        "LITELLM_MASTER_KEY": master_key,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY": "False",
    }
    command = [
        str(BENCH_BIN / "litellm"), "--config", str(config),
        "--host", HOST, "--port", str(port), "--num_workers", "1",
    ]  # fmt: skip
    process = supervisor.start("litellm", command, env=env)
    await process.wait_http(f"http://{HOST}:{port}/health/liveliness", timeout_s=300)
    endpoint = Endpoint(
        name="litellm", base_url=f"http://{HOST}:{port}/v1", model=PROXY_MODEL, api_key=master_key
    )
    return RunningServer(endpoint, process)
