"""Every command block of the READMEs is run by the suite, so the docs cannot drift.

Each fenced shell block (```sh, ```bash, ```console, ```shell) of README.md, charts/*/README.md,
operator/README.md and infra/README.md is cut into commands (continuation lines joined, comments
dropped). Every command must be in COVERED, and is then either

- run here (`Run`): against the built binary in a temporary HOME on free loopback ports, a
  long-running server started, probed (the quick start until its first `tools/list` answer) and
  stopped; the Kubernetes charts through `helm install ... --dry-run=client`; compose through
  `docker compose config`. What is replaced to make a command runnable here (a cargo command by
  the built binary, a fixed port by a free one, a placeholder by a sandbox value) is spelled out
  in SUBSTITUTIONS and PLACEHOLDERS, nothing else; or
- mapped (`Mapped`) to the test that runs it, with strings that must occur in that test's source
  (the command, or the code that reads the block from the README itself), checked here.

A command that is in no README any more but still in COVERED fails too, so the table cannot rot.
A new or changed command that is neither run nor mapped fails with its file and line.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest

from harness import REPO_ROOT, ServerProcess, clean_env, free_port, mcp_http

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
import tooling  # noqa: E402

pytestmark = pytest.mark.anyio

DOCS = sorted(
    {REPO_ROOT / "README.md", REPO_ROOT / "operator" / "README.md", REPO_ROOT / "infra" / "README.md"}
    | set((REPO_ROOT / "charts").glob("*/README.md"))
)
SHELL_LANGS = {"sh", "bash", "console", "shell"}
FENCE = re.compile(r"^\s*```(\S*)\s*$")


@dataclass(frozen=True)
class Command:
    doc: str
    line: int
    text: str  # the command as written, continuation lines joined, comments dropped

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def fenced_blocks(path: Path) -> list[tuple[int, str, list[tuple[int, str]]]]:
    """(line of the opening fence, language, [(line, text)]) of every fenced block."""
    blocks, current = [], None
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        m = FENCE.match(line)
        if current is None and m:
            current = (number, m.group(1), [])
        elif current is not None and m and not m.group(1):
            blocks.append(current)
            current = None
        elif current is not None:
            current[2].append((number, line))
    assert current is None, f"{path.relative_to(REPO_ROOT)}:{current[0]}: unclosed code fence"
    return blocks


def commands_of(path: Path) -> list[Command]:
    doc = str(path.relative_to(REPO_ROOT))
    found = []
    for _, lang, lines in fenced_blocks(path):
        if lang not in SHELL_LANGS:
            continue
        pending, start = "", 0
        for number, raw in lines:
            line = raw.strip()
            if lang == "console":
                if not line.startswith("$ "):
                    continue  # output
                line = line[2:]
            if not pending:
                start = number
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            logical, pending = pending + line, ""
            tokens = shlex.split(logical, comments=True)
            if tokens:
                found.append(Command(doc, start, shlex.join(tokens)))
    return found


def all_commands() -> list[Command]:
    return [c for doc in DOCS for c in commands_of(doc)]


# ---- what is substituted to run a command here -------------------------------------------------

# A command that builds the binary is run as the binary the suite built ($SPOTIFY_MCP_BIN):
# building it again here (12 minutes of release build) would test cargo, not the docs.
SUBSTITUTIONS = {
    "cargo run --release -p spotify-mcp-server --": "spotify-mcp-server",
}
# Placeholders of the docs and the values they get here.
PLACEHOLDERS = {
    "your-client-id": "sandbox-client-id",
}


@dataclass(frozen=True)
class Run:
    """Run here by `runner` (a function of this module)."""

    runner: str


@dataclass(frozen=True)
class Mapped:
    """Run by another test: `test` (a path) whose source contains every string of `needles`."""

    test: str
    needles: tuple[str, ...]
    why: str


COVERED: dict[str, Run | Mapped] = {
    # README.md: quick start
    "cargo run --release -p spotify-mcp-server -- --sandbox": Run("run_quick_start"),
    # README.md: the whole suite, and a tier of it
    "./scripts/test.sh": Mapped(
        "tests/python/test_test_tiers.py", ('"scripts" / "test.sh"', '"--dry-run"', '"all"', 'exec ./scripts/test.sh'),
        "the suite itself (.ci/run); its plan for the default tier `all` is checked without running it"),
    "scripts/test.sh unit e2e": Mapped(
        "tests/python/test_test_tiers.py", ('"unit", "e2e"',), "the plan of the tiers it names"),
    "scripts/test.sh --dry-run": Mapped(
        "tests/python/test_test_tiers.py", ('"--dry-run"',), "every test there runs the dry run"),
    "eval '$(scripts/test-env.sh)' '&&' '$SPOTIFY_MCP_TEST_PYTHON' -m pytest tests/python/test_readme_commands.py -q":
        Mapped("scripts/test.sh", ("scripts/test-env.sh", "-m pytest tests/python"),
               "this file, run by the e2e tier with the same venv (a test cannot run itself)"),
    "cargo test -p spotify-mcp-server --test readme": Mapped(
        "scripts/test.sh", ("cargo test --workspace",), "the unit tier's cargo test (targets checked below)"),
    "tests/k8s/run.sh -k operator": Mapped(
        "tests/k8s/run.sh", ('-m pytest tests/k8s', '"$@"'),
        "the real-node suite; its arguments go to pytest (the node tier of scripts/test.sh runs it)"),
    "scripts/real-cluster.sh up": Mapped(
        "tests/k8s/run.sh", ("scripts/real-cluster.sh up",), "brought up by the real-node suite"),
    "scripts/real-cluster.sh down": Mapped(
        "tests/k8s/run.sh", ("scripts/real-cluster.sh down",), "torn down by the real-node suite"),
    # README.md: fuzzing, schemathesis, soak, faults
    "scripts/fuzz.sh": Mapped("scripts/test.sh", ("scripts/fuzz.sh",), "the unit tier's fuzzing step"),
    "scripts/fuzz.sh mcp_http 600": Mapped(
        "scripts/fuzz.sh", ('selected=("$1")', 'seconds="${2:-'), "the same script, one target and a duration"),
    "python -m pytest tests/python/test_sandbox_schemathesis.py": Mapped(
        "scripts/test.sh", ("-m pytest tests/python",), "the e2e tier runs every file of tests/python"),
    "python tests/soak/soak.py --duration 1800 --report soak.json": Mapped(
        "tests/python/test_soak.py", ('"soak.py"', '"--duration"', '"--report"'), "the short soak run"),
    "cargo test -p spotify-mcp-operator --test faults": Mapped(
        "scripts/test.sh", ("cargo test --workspace",), "the unit tier's cargo test (a target named faults)"),
    # README.md: your own account (against the sandbox's accounts service)
    "export SPOTIFY_CLIENT_ID=your-client-id": Run("run_auth_login"),
    "spotify-mcp-server auth login": Run("run_auth_login"),
    # README.md: hosted mode
    "spotify-mcp-server --sandbox --oauth --public-url http://127.0.0.1:8000": Mapped(
        "tests/python/test_hosted_oauth.py", ('readme.index("## Hosted mode")', 'startswith("spotify-mcp-server")'),
        "test_the_readme_command_starts_a_hosted_sandbox_that_asks_clients_to_sign_in reads the block"),
    # README.md: the sandbox on its own
    "spotify-mcp-server sandbox --bind 127.0.0.1:8900": Run("run_standalone_sandbox"),
    # README.md: releasing (only on a tag: the Rust image cannot be pulled here, nothing is pushed)
    "docker build -t spotify-mcp-server .": Mapped(
        "tests/python/test_release_workflow.py", ('"Dockerfile"', '"release"', "cargo build"),
        "the Dockerfile's stages and build command; the prebuilt stage is built with buildah"),
    "docker build -f operator/Dockerfile -t spotify-mcp-operator .": Mapped(
        "tests/python/test_release_workflow.py", ('"operator/Dockerfile"',), "as above, for the operator"),
    "cosign verify ghcr.io/spotify-mcp/spotify-mcp-server:0.1.0 --certificate-identity-regexp "
    "'^https://github.com/spotify-mcp/spotify-mcp/' --certificate-oidc-issuer "
    "https://token.actions.githubusercontent.com": Mapped(
        "tests/python/test_release_workflow.py", ("cosign", "id-token"),
        "the workflow signs keyless with its OIDC identity (the signature exists only on a tag)"),
    "helm install op oci://ghcr.io/spotify-mcp/charts/spotify-mcp-operator --version 0.1.0": Mapped(
        "tests/python/test_release_workflow.py", ('helm push "$package" "$CHARTS_REPOSITORY"', 'CHARTS_REPOSITORY = f"oci://ghcr.io/{OWNER}/charts"'),
        "the workflow pushes the charts there (only on a tag)"),
    # charts/spotify-mcp/README.md
    "kubectl create namespace music": Mapped(
        "charts/tests/server_chart.sh", ('restricted_namespace "$ns"',), "the chart lifecycle test's namespace, on kwok"),
    "kubectl -n music create secret generic spotify-mcp-spotify '--from-literal=client-id=<client' 'id>' "
    "'--from-literal=refresh-token=<from' '`spotify-mcp-server' auth 'login`>'": Mapped(
        "charts/tests/server_chart.sh", ("create secret generic music-spotify-mcp-spotify",),
        "the chart lifecycle test on kwok, with the Secret the chart's default expects"),
    "kubectl -n music create secret generic mcp-tokens '--from-literal=tokens=<a' long random 'token>'": Mapped(
        "charts/tests/server_chart.sh", ("create secret generic mcp-tokens",), "the chart lifecycle test on kwok"),
    "helm install spotify charts/spotify-mcp -n music --set spotify.existingSecret=spotify-mcp-spotify "
    "--set auth.existingSecret=mcp-tokens": Run("run_helm_dry_run"),
    # charts/spotify-mcp-operator/README.md
    "helm install spotify-mcp-operator charts/spotify-mcp-operator -n spotify-mcp-system --create-namespace":
        Run("run_helm_dry_run"),
    "kubectl apply -n default -f examples/sandbox.yaml": Mapped(
        "tests/k8s/test_operator_real_node.py", ('"apply", "-f", str(REPO_ROOT / "examples" / "sandbox.yaml")',),
        "the operator chart on the real node, then the example until Ready"),
    "kubectl get smcp -n default -w": Mapped(
        "charts/tests/operator_chart.sh", ("kubectl get smcp -n music", "NAME +READY +REPLICAS +ENDPOINT"),
        "the same columns (READY True, the endpoint) once the examples are Ready under the chart's operator"),
    # operator/README.md
    "spotify-mcp-operator crd '|' kubectl apply --server-side -f -": Mapped(
        "charts/tests/operator_image.sh", ("run crd >",),
        "the CRD the binary prints equals crds/ (which the chart installs and the tests apply server-side)"),
    "kubectl apply -n music -f examples/spotifymcp.yaml": Mapped(
        "charts/tests/operator_chart.sh", ('kubectl -n "$apps" apply -f "$REPO_ROOT/examples/spotifymcp.yaml"',),
        "the example becomes Ready under the chart's operator, on kwok"),
    "kubectl get smcp -n music": Mapped(
        "charts/tests/operator_chart.sh", ("out=$(kubectl get smcp -n music)",), "its columns and row are checked"),
    "kubectl explain smcp.spec": Mapped(
        "charts/tests/operator_chart.sh", ("out=$(kubectl explain smcp.spec 2>&1)",), "the CRD's fields are served"),
    "cargo test -p spotify-mcp-operator --lib --test manifests --test golden": Mapped(
        "scripts/test.sh", ("cargo test --workspace",), "the unit tier's cargo test (targets checked below)"),
    "scripts/k8s-toolchain.sh": Mapped("scripts/test.sh", ("scripts/k8s-toolchain.sh",), "provisioning of the charts and node tiers"),
    "cargo test -p spotify-mcp-operator --test e2e": Mapped(
        "scripts/test.sh", ("cargo test --workspace",), "the unit tier's cargo test (targets checked below)"),
    # infra/README.md: compose, validated with the docker compose CLI; the services run as processes
    # in test_monitoring_e2e.py (no container engine here)
    "docker compose up --build": Run("run_compose_config"),
    "docker compose --profile monitoring up --build": Run("run_compose_config"),
}


def by_text() -> dict[str, list[Command]]:
    found: dict[str, list[Command]] = {}
    for c in all_commands():
        found.setdefault(c.text, []).append(c)
    return found


def test_the_docs_have_command_blocks():
    """The extraction itself works: the quick start is found (else every check below is vacuous)."""
    texts = by_text()
    assert "cargo run --release -p spotify-mcp-server -- --sandbox" in texts, sorted(texts)
    assert len(texts) >= 20, sorted(texts)


def test_every_command_is_run_or_mapped():
    missing = [f"{c.where}: {c.text}" for cmds in by_text().values() for c in cmds if c.text not in COVERED]
    assert not missing, (
        "commands in the docs that no test runs: run them in tests/python/test_readme_commands.py "
        "or map them to the test that does (COVERED):\n" + "\n".join(missing)
    )
    stale = sorted(set(COVERED) - set(by_text()))
    assert not stale, "COVERED lists commands no README has any more:\n" + "\n".join(stale)


def test_mapped_commands_are_in_the_mapped_tests():
    bad = []
    for text, cover in COVERED.items():
        if not isinstance(cover, Mapped):
            continue
        path = REPO_ROOT / cover.test
        if not path.is_file():
            bad.append(f"{text!r}: {cover.test} does not exist")
            continue
        source = path.read_text()
        bad += [f"{text!r}: {needle!r} not in {cover.test}" for needle in cover.needles if needle not in source]
    assert not bad, "\n".join(bad)


def test_paths_in_commands_exist():
    """A path a command names (a script, an example, a chart, a test file) exists: moving one fails."""
    bad = []
    for text, cmds in by_text().items():
        for token in shlex.split(text):
            token = token.split("=", 1)[-1]
            if "/" not in token or "://" in token or token.startswith(("-", "<", "'", "^", "`")):
                continue
            if token.split("/")[0].lstrip("./") in {"scripts", "tests", "examples", "charts", "crds", "operator", "server", "infra"}:
                if not (REPO_ROOT / token).exists():
                    bad.append(f"{cmds[0].where}: {token} does not exist")
    assert not bad, "\n".join(bad)


def test_cargo_test_targets_of_the_docs_exist():
    """`cargo test -p P --test T` in the docs names a package and test target that exist."""
    meta = json.loads(subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=REPO_ROOT,
                                     check=True, capture_output=True, text=True).stdout)
    targets = {(p["name"], t["name"]) for p in meta["packages"] for t in p["targets"] if "test" in t["kind"]}
    checked, bad = 0, []
    for text, cmds in by_text().items():
        tokens = shlex.split(text)
        if tokens[:2] != ["cargo", "test"]:
            continue
        package = tokens[tokens.index("-p") + 1]
        for i, token in enumerate(tokens):
            if token == "--test":
                checked += 1
                if (package, tokens[i + 1]) not in targets:
                    bad.append(f"{cmds[0].where}: no test target {tokens[i + 1]} in {package}")
    assert checked >= 3 and not bad, bad


# ---- the commands run here -----------------------------------------------------------------------


def runnable(text: str, binary: Path) -> list[str]:
    """The command's argv with SUBSTITUTIONS and PLACEHOLDERS applied, the binary's name resolved."""
    for written, replacement in SUBSTITUTIONS.items():
        if text.startswith(written + " "):
            text = replacement + text[len(written):]
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    argv = shlex.split(text)
    if argv[0] == "spotify-mcp-server":
        argv[0] = str(binary)
    return argv


def runs_of(runner: str) -> list[str]:
    texts = [text for text, cover in COVERED.items() if cover == Run(runner)]
    assert texts and all(t in by_text() for t in texts), f"{runner}: {texts} are not all in the docs"
    return texts


def start(argv: list[str], name: str, tmp_path: Path, port: int, env: dict[str, str] | None = None) -> ServerProcess:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return ServerProcess(name, argv, clean_env(env, home), tmp_path / f"{name}.log", port=port).start()


def with_free_port(argv: list[str], default: str) -> tuple[list[str], int]:
    """The docs' fixed port replaced by a free loopback one (or `--port P` added for the default)."""
    port = free_port()
    joined = [a.replace(default, str(port)) for a in argv]
    if joined == argv:
        joined += ["--port", str(port)]
    return joined, port


async def test_quick_start_answers_tools_list(binary, tmp_path):
    (text,) = runs_of("run_quick_start")
    argv, port = with_free_port(runnable(text, binary), "8000")
    t0 = time.monotonic()
    server = start(argv, "readme-quick-start", tmp_path, port)
    try:
        deadline = t0 + 30
        while True:
            try:
                async with mcp_http(server.mcp_url) as client:
                    tools = (await client.list_tools()).tools
                break
            except Exception:
                if time.monotonic() > deadline or not server.alive():
                    raise
                await anyio.sleep(0.02)
        elapsed = time.monotonic() - t0
        print(f"quick start: first tools/list answer {elapsed * 1000:.0f} ms after the process started")
        assert {"search", "play", "get_profile"} <= {t.name for t in tools}
    finally:
        assert server.stop() == 0, server.log()


def test_standalone_sandbox_serves_the_web_api(binary, tmp_path):
    (text,) = runs_of("run_standalone_sandbox")
    argv, port = with_free_port(runnable(text, binary), "8900")
    server = start(argv, "readme-sandbox", tmp_path, port)
    try:
        faults = server.wait_http("/sandbox/faults").json()
        assert "latency_ms" in faults, faults
        token = httpx.post(f"{server.base_url}/api/token", data={
            "grant_type": "refresh_token", "refresh_token": "sandbox-refresh-token",
            "client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}, timeout=5)
        assert token.status_code == 200, token.text
        me = httpx.get(f"{server.base_url}/v1/me", timeout=5,
                       headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        assert me.status_code == 200 and me.json()["id"], me.text
    finally:
        server.stop()


def test_auth_login_against_the_sandbox_accounts_service(binary, launcher, tmp_path):
    """The README's login block, run as written with the client ID placeholder filled in and the
    accounts service, the callback port and the browser pointed at loopback (the sandbox's
    /authorize approves at once)."""
    export, login = runs_of("run_auth_login")
    assert export.startswith("export ")
    key, _, value = runnable(export, binary)[1].partition("=")
    sandbox = launcher.sandbox(name="readme-accounts", record=False)
    callback_port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env({key: value, "SPOTIFY_ACCOUNTS_BASE_URL": sandbox.base_url,
                     "SPOTIFY_REDIRECT_PORT": str(callback_port), "BROWSER": "true"}, home)
    proc = subprocess.Popen(runnable(login, binary), env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        url = None
        output = []
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            m = re.search(r"https?://\S+/authorize\?\S+", line)
            url = m.group(0) if m else None
        assert url, "no authorize URL printed:\n" + "".join(output)
        assert url.startswith(sandbox.base_url), url
        r = httpx.get(url, follow_redirects=True, timeout=10)
        assert r.status_code == 200, r.text
        rest, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, "".join(output) + rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sandbox.stop()
    status = subprocess.run([str(binary), "auth", "status"], env=env, capture_output=True, text=True, timeout=30)
    assert status.returncode == 0, status.stdout + status.stderr
    token_files = list(home.rglob("token.json"))
    assert len(token_files) == 1, list(home.rglob("*"))
    assert oct(token_files[0].stat().st_mode & 0o777) == "0o600"


def helm_bin() -> Path:
    env = os.environ.get("SPOTIFY_MCP_HELM_BIN")
    if not env:
        env = subprocess.run([str(REPO_ROOT / "scripts" / "helm-toolchain.sh")], check=True,
                             capture_output=True, text=True).stdout.strip()
    return Path(env) / "helm"


@pytest.mark.parametrize("text", runs_of("run_helm_dry_run"))
def test_helm_install_of_the_chart_readmes_renders(text, tmp_path):
    """`helm install` as written, plus `--dry-run=client` (no cluster here; on a cluster the
    charts tests install the charts): the values it sets pass the strict schema and render."""
    argv = shlex.split(text)
    assert argv[:2] == ["helm", "install"]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path),
           "HELM_CACHE_HOME": str(tmp_path / "cache"), "HELM_CONFIG_HOME": str(tmp_path / "config"),
           "HELM_DATA_HOME": str(tmp_path / "data"), "KUBECONFIG": str(tmp_path / "none")}
    r = subprocess.run([str(helm_bin()), *argv[1:], "--dry-run=client"], cwd=REPO_ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "kind: Deployment" in r.stdout, r.stdout[-2000:]


@pytest.mark.parametrize("text", runs_of("run_compose_config"))
def test_compose_commands_are_valid(text):
    """`docker compose ... up --build` as `docker compose ... config` with the same arguments
    before `up` (no container engine here; test_monitoring_e2e.py runs the same services as
    processes)."""
    argv = shlex.split(text)
    assert argv[:2] == ["docker", "compose"] and "up" in argv, argv
    args = argv[2:argv.index("up")]
    r = subprocess.run([tooling.tools()["SPOTIFY_MCP_DOCKER_COMPOSE"], *args, "config", "--format", "json"],
                       cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    profiles = subprocess.run([tooling.tools()["SPOTIFY_MCP_DOCKER_COMPOSE"], "config", "--profiles"], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=60).stdout.split()
    named = [args[i + 1] for i, a in enumerate(args) if a == "--profile"]
    assert set(named) <= set(profiles), f"{text}: no such profile (docker-compose.yml has {profiles})"
    services = set(json.loads(r.stdout)["services"])
    expected = {"spotify-mcp-server", "redis"} | ({"prometheus", "grafana"} if "monitoring" in args else set())
    assert services == expected, services
