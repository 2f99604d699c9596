"""What can be checked of a release without publishing one (issue 14):

- actionlint (scripts/actionlint.sh, built from the Go module proxy) finds nothing in
  .github/workflows/*.yml;
- the release workflow's shape: a v* tag, the version check first, both Dockerfiles' `release`
  stage for linux/amd64 and linux/arm64, SBOM, cosign keyless signatures, charts pushed as OCI
  artifacts, actions pinned by version, id-token only where something is signed;
- one image name everywhere: the workflow, the charts' values (and the operator chart's test
  image), docker-compose.yml and the operator's default server image;
- scripts/release-check.sh passes for the repository's version and fails for any other;
- the Dockerfiles' structure (parsed with dockerfile-parse): a build stage from the official Rust
  image with a pinned tag building the static musl binary with --locked, a FROM scratch runtime
  running as a non-root user, a `prebuilt` and a default `release` stage;
- with buildah: the `prebuilt` stage builds without the Rust image (nothing pulled) into the
  expected one-layer image, the default stage does need the Rust image, and the source context
  (.dockerignore) holds what the build stage copies and nothing else.

What only runs on a tag: the buildx builds from the sources, the pushes and the signatures.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import pytest
import yaml
from dockerfile_parse import DockerfileParser

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
import tooling  # noqa: E402
from tooling import REPO_ROOT  # noqa: E402

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
RELEASE_YML = WORKFLOWS / "release.yml"
OWNER = "spotify-mcp"
SOURCE_URL = f"https://github.com/{OWNER}/spotify-mcp"
SERVER_IMAGE = f"ghcr.io/{OWNER}/spotify-mcp-server"
OPERATOR_IMAGE = f"ghcr.io/{OWNER}/spotify-mcp-operator"
CHARTS_REPOSITORY = f"oci://ghcr.io/{OWNER}/charts"
MUSL = "x86_64-unknown-linux-musl"


def run(args, timeout=300, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT, **kw)


def workflow() -> dict:
    return yaml.safe_load(RELEASE_YML.read_text())


def workflow_on(doc: dict) -> dict:
    # YAML 1.1 reads the key `on` as True
    return doc.get("on", doc.get(True))


def cargo_version() -> str:
    return tomllib.loads((REPO_ROOT / "Cargo.toml").read_text())["workspace"]["package"]["version"]


# ---- actionlint -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def actionlint() -> str:
    """$SPOTIFY_MCP_ACTIONLINT, or scripts/actionlint.sh run here (cached after its first build)."""
    path = os.environ.get("SPOTIFY_MCP_ACTIONLINT") or tooling.script_exports("actionlint.sh")["SPOTIFY_MCP_ACTIONLINT"]
    assert Path(path).is_file(), path
    return path


def test_actionlint_finds_nothing(actionlint):
    files = sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))
    assert RELEASE_YML in files
    # shellcheck on the run: blocks only when one is given (the suite does not provision it, and
    # actionlint would otherwise use whatever shellcheck the machine happens to have)
    shellcheck = os.environ.get("SPOTIFY_MCP_SHELLCHECK", "")
    r = run([actionlint, "-no-color", f"-shellcheck={shellcheck}", "-pyflakes=", *map(str, files)])
    assert r.returncode == 0 and not r.stdout.strip(), f"actionlint findings:\n{r.stdout}{r.stderr}"


def test_actionlint_reports_a_broken_workflow(actionlint, tmp_path):
    """The check above can fail: a workflow with an unknown expression and a bad runner is reported."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-lastest-please\n"
        "    steps:\n      - run: echo ${{ github.no_such_context }}\n"
    )
    r = subprocess.run([actionlint, "-no-color", "-shellcheck=", "-pyflakes=", str(bad)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1 and "no_such_context" in r.stdout, r.stdout + r.stderr


# ---- the release workflow's shape -----------------------------------------------------------------

def all_steps(doc: dict):
    for name, job in doc["jobs"].items():
        for step in job.get("steps", []):
            yield name, step


def test_release_runs_on_version_tags_after_the_version_check():
    doc = workflow()
    assert workflow_on(doc) == {"push": {"tags": ["v*"]}}
    assert doc["permissions"] == {"contents": "read"}
    jobs = doc["jobs"]
    runs = [s.get("run", "") for s in jobs["versions"]["steps"]]
    assert any('scripts/release-check.sh "$GITHUB_REF_NAME"' in r and "GITHUB_OUTPUT" in r for r in runs), runs

    def needs(job: str) -> set[str]:
        direct = jobs[job].get("needs", [])
        direct = {direct} if isinstance(direct, str) else set(direct)
        return direct | {n for d in direct for n in needs(d)}

    for name in jobs:
        if name != "versions":
            assert "versions" in needs(name), f"job {name} does not wait for the version check"
    assert "publish" in needs("charts"), "charts should be pushed after the images they name"


def test_actions_are_pinned_and_id_token_is_only_where_something_is_signed():
    doc = workflow()
    for job, step in all_steps(doc):
        if "uses" in step:
            ref = step["uses"].partition("@")[2]
            assert re.fullmatch(r"v\d+\.\d+\.\d+|[0-9a-f]{40}", ref), f"{job}: {step['uses']} is not pinned"
    for name, job in doc["jobs"].items():
        signs = any("cosign sign" in s.get("run", "") for s in job.get("steps", []))
        perms = job.get("permissions", {})
        assert (perms.get("id-token") == "write") == signs, f"job {name}: id-token {perms.get('id-token')}, signs {signs}"
        if signs:
            assert any(s.get("uses", "").startswith("sigstore/cosign-installer@") for s in job["steps"]), name


def test_images_are_built_from_both_dockerfiles_for_both_platforms_with_an_sbom():
    doc = workflow()
    job = doc["jobs"]["image"]
    matrix = job["strategy"]["matrix"]
    assert set(matrix["arch"]) == {"amd64", "arm64"}
    dockerfiles = {e["image"]: e["dockerfile"] for e in matrix["include"] if "dockerfile" in e}
    assert dockerfiles == {"server": "Dockerfile", "operator": "operator/Dockerfile"}
    for path in dockerfiles.values():
        assert (REPO_ROOT / path).is_file()
    runners = {e["arch"]: e["runner"] for e in matrix["include"] if "runner" in e}
    assert runners == {"amd64": "ubuntu-24.04", "arm64": "ubuntu-24.04-arm"}
    build = next(s for s in job["steps"] if s.get("uses", "").startswith("docker/build-push-action@"))["with"]
    assert build["target"] == "release"
    assert build["platforms"] == "linux/${{ matrix.arch }}"
    assert build["sbom"] is True
    assert "push-by-digest=true" in build["outputs"] and "push=true" in build["outputs"]
    assert job["permissions"]["packages"] == "write"
    publish = "\n".join(s.get("run", "") for s in doc["jobs"]["publish"]["steps"])
    assert "docker buildx imagetools create" in publish and "cosign sign --yes --recursive" in publish


def test_charts_are_pushed_as_oci_artifacts_and_signed():
    doc = workflow()
    assert doc["env"]["CHARTS_REPOSITORY"] == CHARTS_REPOSITORY
    script = "\n".join(s.get("run", "") for s in doc["jobs"]["charts"]["steps"])
    for needle in ("helm package", 'helm push "$package" "$CHARTS_REPOSITORY"', "cosign sign --yes", "helm lint"):
        assert needle in script, needle
    charts = sorted(p.parent.name for p in (REPO_ROOT / "charts").glob("*/Chart.yaml"))
    assert charts == ["spotify-mcp", "spotify-mcp-operator"], charts
    # the same helm as the suite's chart tests
    helm_toolchain = (REPO_ROOT / "scripts" / "helm-toolchain.sh").read_text()
    suite_helm = re.search(r'HELM_VERSION="\$\{HELM_VERSION:-(v[^}]+)\}"', helm_toolchain).group(1)
    assert doc["env"]["HELM_VERSION"] == suite_helm


# ---- one image name everywhere --------------------------------------------------------------------

def test_image_names_agree():
    env = workflow()["env"]
    found = {
        ("release.yml", "SERVER_IMAGE"): env["SERVER_IMAGE"],
        ("release.yml", "OPERATOR_IMAGE"): env["OPERATOR_IMAGE"],
    }
    charts = REPO_ROOT / "charts"
    found[("charts/spotify-mcp/values.yaml", "image.repository")] = yaml.safe_load(
        (charts / "spotify-mcp" / "values.yaml").read_text())["image"]["repository"]
    found[("charts/spotify-mcp-operator/values.yaml", "image.repository")] = yaml.safe_load(
        (charts / "spotify-mcp-operator" / "values.yaml").read_text())["image"]["repository"]
    helpers = (charts / "spotify-mcp-operator" / "templates" / "_helpers.tpl").read_text()
    found[("charts/spotify-mcp-operator/templates/_helpers.tpl", "testImage")] = re.search(
        r'printf "([^"%]+):%s" \.Chart\.AppVersion', helpers).group(1)
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    found[("docker-compose.yml", "spotify-mcp-server image")] = (
        compose["services"]["spotify-mcp-server"]["image"].partition(":")[0])
    config_rs = (REPO_ROOT / "operator" / "src" / "config.rs").read_text()
    found[("operator/src/config.rs", "SERVER_IMAGE_REPOSITORY")] = re.search(
        r'pub const SERVER_IMAGE_REPOSITORY: &str = "([^"]+)";', config_rs).group(1)

    expected = {
        ("release.yml", "OPERATOR_IMAGE"): OPERATOR_IMAGE,
        ("charts/spotify-mcp-operator/values.yaml", "image.repository"): OPERATOR_IMAGE,
    }
    wrong = {k: v for k, v in found.items() if v != expected.get(k, SERVER_IMAGE)}
    assert not wrong, f"image names disagree (server {SERVER_IMAGE}, operator {OPERATOR_IMAGE}): {wrong}"


def test_versions_and_sources_agree():
    """The images' default tags are the charts' appVersion: every version is the Cargo version,
    and the images' source label, the charts' home and Cargo's repository are one repository."""
    version = cargo_version()
    for chart in (REPO_ROOT / "charts").glob("*/Chart.yaml"):
        meta = yaml.safe_load(chart.read_text())
        assert meta["appVersion"] == meta["version"] == version, chart
        assert meta["home"] == SOURCE_URL and SOURCE_URL in meta["sources"], chart
    assert tomllib.loads((REPO_ROOT / "Cargo.toml").read_text())["workspace"]["package"]["repository"] == SOURCE_URL
    for dockerfile in ("Dockerfile", "operator/Dockerfile"):
        labels = instructions(stages(dockerfile)["runtime"], "LABEL")
        assert f'org.opencontainers.image.source="{SOURCE_URL}"' in " ".join(labels), dockerfile


def test_release_check_accepts_only_the_repository_version():
    version = cargo_version()
    ok = run(["scripts/release-check.sh", f"v{version}"])
    assert ok.returncode == 0 and ok.stdout.strip() == f"version={version}", ok.stdout + ok.stderr
    major, minor, patch = version.split("-")[0].split(".")
    for tag in (f"v{major}.{minor}.{int(patch) + 1}", version, f"v{version}-rc.1", "latest"):
        r = run(["scripts/release-check.sh", tag])
        assert r.returncode != 0, f"{tag} accepted: {r.stdout}"
    r = run(["scripts/release-check.sh", f"v{major}.{int(minor) + 1}.0"])
    for where in ("Cargo.toml", "charts/spotify-mcp/Chart.yaml appVersion",
                  "charts/spotify-mcp-operator/Chart.yaml version", "docker-compose.yml"):
        assert where in r.stderr, r.stderr


# ---- the Dockerfiles ------------------------------------------------------------------------------

BINARIES = {"Dockerfile": "spotify-mcp-server", "operator/Dockerfile": "spotify-mcp-operator"}


def stages(dockerfile: str) -> dict[str, list[dict]]:
    """The instructions of each stage, by stage name (in order), from dockerfile-parse."""
    parser = DockerfileParser(path=str(REPO_ROOT / dockerfile))
    out: dict[str, list[dict]] = {}
    current = None
    for ins in parser.structure:
        if ins["instruction"] == "COMMENT":
            continue
        if ins["instruction"] == "FROM":
            words = ins["value"].split()
            assert len(words) == 3 and words[1].upper() == "AS", f"{dockerfile}: unnamed stage {ins['value']}"
            current = words[2]
            assert current not in out, f"{dockerfile}: stage {current} twice"
            out[current] = []
        if current is not None:
            out[current].append(ins)
    return out


def instructions(stage: list[dict], kind: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == kind]


def base(stage: list[dict]) -> str:
    return stage[0]["value"].split()[0]


@pytest.mark.parametrize("dockerfile", list(BINARIES))
def test_dockerfile_structure(dockerfile):
    binary = BINARIES[dockerfile]
    st = stages(dockerfile)
    assert list(st) == ["build", "runtime", "prebuilt", "release"], list(st)

    # build: the official Rust image with a pinned tag, the static musl binary with --locked
    image = base(st["build"])
    m = re.fullmatch(r"(?:docker\.io/library/)?rust:(\d+\.\d+\.\d+)-(alpine\d+\.\d+|(?:slim-)?(?:bookworm|trixie))"
                     r"(?:@sha256:[0-9a-f]{64})?", image)
    assert m, f"{dockerfile}: build stage FROM {image} is not the official rust image with a pinned version"
    rust_version = tuple(map(int, m.group(1).split(".")))
    msrv = tomllib.loads((REPO_ROOT / "Cargo.toml").read_text())["workspace"]["package"]["rust-version"]
    assert rust_version >= tuple(map(int, msrv.split("."))), f"{image} is older than rust-version {msrv}"
    builds = [r for r in instructions(st["build"], "RUN") if "cargo build" in r]
    assert len(builds) == 1, builds
    for needle in ("--profile dist", "--locked", "-unknown-linux-musl", f"-p {binary}", f'/dist/{binary}" /{binary}'):
        assert needle in builds[0], f"{dockerfile}: {needle!r} not in the build command {builds[0]}"
    assert "program interpreter" in builds[0], "the build stage checks that the binary is static"

    # runtime: an empty image, run as a non-root numeric user, the binary as entrypoint
    assert st["runtime"][0]["value"] == "scratch AS runtime"
    users = instructions(st["runtime"], "USER")
    assert users == ["65532:65532"], users
    assert json.loads(instructions(st["runtime"], "ENTRYPOINT")[0]) == [f"/{binary}"]
    labels = " ".join(instructions(st["runtime"], "LABEL"))
    for key in ("title", "description", "source", "licenses"):
        assert f"org.opencontainers.image.{key}=" in labels, key
    assert f'org.opencontainers.image.title="{binary}"' in labels
    if binary == "spotify-mcp-server":
        (health,) = instructions(st["runtime"], "HEALTHCHECK")
        assert f'CMD ["/{binary}", "healthcheck"' in health
        env = " ".join(instructions(st["runtime"], "ENV"))
        assert "SPOTIFY_MCP_BIND=0.0.0.0" in env and "SPOTIFY_MCP_PORT=8000" in env
        assert instructions(st["runtime"], "EXPOSE") == ["8000"]
    else:
        assert instructions(st["runtime"], "CMD") == ['["run"]']
        assert instructions(st["runtime"], "EXPOSE") == ["8080"]

    # prebuilt and release: the runtime plus the binary, from outside or from the build stage;
    # nothing else, so both images are configured alike
    assert base(st["prebuilt"]) == "runtime" and base(st["release"]) == "runtime"
    assert [i["instruction"] for i in st["prebuilt"]] == ["FROM", "ARG", "COPY"]
    assert instructions(st["prebuilt"], "ARG") == [f"BINARY=target/{MUSL}/dist/{binary}"]
    assert instructions(st["prebuilt"], "COPY") == [f"${{BINARY}} /{binary}"]
    assert [i["instruction"] for i in st["release"]] == ["FROM", "COPY"]
    assert instructions(st["release"], "COPY") == [f"--from=build /{binary} /{binary}"]


def test_both_dockerfiles_share_the_build_stage_up_to_the_package():
    server, operator = (stages(d)["build"] for d in BINARIES)
    assert base(server) == base(operator), "one Rust image for both"
    assert instructions(server, "COPY") == instructions(operator, "COPY")


# ---- buildah --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def buildah(tmp_path_factory):
    """buildah on a private storage root (the system's image store is not touched)."""
    exe = os.environ.get("SPOTIFY_MCP_BUILDAH") or tooling.tools().get("SPOTIFY_MCP_BUILDAH")
    if not exe:
        pytest.fail("buildah not provisioned: run scripts/infra-tools.sh without SPOTIFY_MCP_INFRA_SKIP_IMAGE")
    store = tmp_path_factory.mktemp("buildah")
    yield [exe, "--root", str(store / "root"), "--runroot", str(store / "run"), "--storage-driver", "vfs"]
    subprocess.run([exe, "--root", str(store / "root"), "--runroot", str(store / "run"), "--storage-driver", "vfs",
                    "rmi", "--all", "--force"], capture_output=True)
    shutil.rmtree(store, ignore_errors=True)


def inspect(buildah: list[str], image: str) -> dict:
    r = run([*buildah, "inspect", "--type", "image", image])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["Docker"]


def test_shipped_binaries_use_the_dist_profile():
    """Images are built with `dist` (fat LTO, one codegen unit); `release`, what people build
    with `cargo run --release`, is the quicker thin-LTO profile."""
    profiles = tomllib.loads((REPO_ROOT / "Cargo.toml").read_text())["profile"]
    dist = {**profiles["release"], **profiles["dist"]}
    assert profiles["dist"]["inherits"] == "release"
    assert (dist["lto"], dist["codegen-units"], dist["strip"], dist["panic"]) == ("fat", 1, True, "abort"), dist
    assert (profiles["release"]["lto"], profiles["release"]["codegen-units"]) == ("thin", 16)
    images = (REPO_ROOT / "scripts" / "images.sh").read_text()
    assert images.count("cargo build --profile dist --locked") == 2 and "--release" not in images
    assert f'"target/$TARGET/dist/spotify-mcp-server"' in images and f'"target/$TARGET/dist/spotify-mcp-operator"' in images
    ignore = (REPO_ROOT / "prebuilt.dockerignore").read_text()
    assert "!target/*/dist/spotify-mcp-server" in ignore and "!target/*/dist/spotify-mcp-operator" in ignore


@pytest.mark.parametrize("dockerfile", list(BINARIES))
def test_prebuilt_stage_builds_with_buildah_without_the_rust_image(buildah, dockerfile, tmp_path):
    """The path of scripts/images.sh and the image tests: only the binary of the context goes in."""
    binary = BINARIES[dockerfile]
    payload = f"not really {binary} {uuid.uuid4()}\n"
    placed = tmp_path / "target" / MUSL / "dist" / binary
    placed.parent.mkdir(parents=True)
    placed.write_text(payload)
    placed.chmod(0o755)
    (tmp_path / "Cargo.toml").write_text("not in the prebuilt context\n")
    tag = f"localhost/release-test/{binary}:{uuid.uuid4().hex[:8]}"
    r = run([*buildah, "bud", "--format", "docker", "--pull=never", "--squash", "--target", "prebuilt",
             "--ignorefile", str(REPO_ROOT / "prebuilt.dockerignore"), "-f", str(REPO_ROOT / dockerfile),
             "-t", tag, str(tmp_path)])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert f"FROM {base(stages(dockerfile)['build'])}" not in r.stdout, f"the build stage ran:\n{r.stdout}"
    info = inspect(buildah, tag)
    cfg = info["config"]
    assert cfg["User"] == "65532:65532"
    assert cfg["Entrypoint"] == [f"/{binary}"]
    assert len(info["rootfs"]["diff_ids"]) == 1, "scratch + the binary: one layer"
    if binary == "spotify-mcp-server":
        assert cfg["Healthcheck"]["Test"][:3] == ["CMD", f"/{binary}", "healthcheck"]
        assert "8000/tcp" in cfg["ExposedPorts"]
    else:
        assert cfg["Cmd"] == ["run"]
    # the image holds the binary of the context and nothing else
    container = run([*buildah, "from", "--pull-never", tag]).stdout.strip()
    try:
        mount = Path(run([*buildah, "mount", container]).stdout.strip())
        files = sorted(str(p.relative_to(mount)) for p in mount.rglob("*") if p.is_file())
        assert files == [binary], files
        assert (mount / binary).read_text() == payload
        assert os.access(mount / binary, os.X_OK)
    finally:
        run([*buildah, "umount", container])
        run([*buildah, "rm", container])


@pytest.mark.parametrize("dockerfile", list(BINARIES))
def test_default_stage_is_the_build_from_sources(buildah, dockerfile):
    """Without --target the Rust image is needed (docker build . compiles): with --pull=never and
    no such image here, buildah stops at the build stage's FROM."""
    image = base(stages(dockerfile)["build"])
    r = run([*buildah, "bud", "--format", "docker", "--pull=never", "-f", dockerfile,
             "-t", f"localhost/release-test/default:{uuid.uuid4().hex[:8]}", "."])
    if r.returncode == 0:
        pytest.skip(f"{image} is present in the store; the source build ran")
    assert image in r.stderr, r.stderr[-2000:]  # buildah 1.28: "...: image not known"


def test_source_context_holds_what_the_build_stage_copies(buildah, tmp_path):
    """.dockerignore (the context of both Dockerfiles) lets in what the build stage's COPY lines
    name and nothing else: a stage with the same COPY lines built from the repository with
    buildah, its files compared with git's, and the workspace loaded from them by cargo."""
    copies = instructions(stages("Dockerfile")["build"], "COPY")
    probe = tmp_path / "Dockerfile.context"
    probe.write_text("FROM scratch\nWORKDIR /src\n" + "".join(f"COPY {c}\n" for c in copies))
    tag = f"localhost/release-test/context:{uuid.uuid4().hex[:8]}"
    r = run([*buildah, "bud", "--format", "docker", "--pull=never", "-f", str(probe), "-t", tag, "."])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    container = run([*buildah, "from", "--pull-never", tag]).stdout.strip()
    try:
        src = Path(run([*buildah, "mount", container]).stdout.strip()) / "src"
        files = sorted(str(p.relative_to(src)) for p in src.rglob("*") if p.is_file())
        size = sum((src / f).stat().st_size for f in files)
        # the workspace loads from the context alone (every member and its targets are there)
        meta = subprocess.run(["cargo", "metadata", "--no-deps", "--offline", "--format-version", "1"],
                              cwd=src, capture_output=True, text=True, timeout=120)
        assert meta.returncode == 0, meta.stderr[-2000:]
        packages = {p["name"] for p in json.loads(meta.stdout)["packages"]}
        assert packages == {*BINARIES.values(), "spotify-mcp-sandbox", "spotify-mcp-musl-memcpy"}, packages
    finally:
        run([*buildah, "umount", container])
        run([*buildah, "rm", container])
    # every tracked file the COPY lines name is there (the ignore file drops none of them)
    sources = [w for c in copies for w in c.split()[:-1]]
    tracked = set(run(["git", "ls-files", "--", *sources]).stdout.split())
    assert tracked and tracked <= set(files), f"missing from the context: {sorted(tracked - set(files))}"
    assert not any(f.startswith(("target/", ".git", "tests/", "charts/")) or "/tests/" in f for f in files), files
    assert {"Cargo.lock", "server/src/main.rs", "server/build.rs", "sandbox/src/lib.rs", "musl-memcpy/src/lib.rs",
            "operator/src/main.rs", "infra/prometheus/alerts.yml"} <= set(files)
    print(f"\nsource context: {len(files)} files, {size / 1024:.0f} KiB")
    assert size < 8 * 1024 * 1024, f"the source context is {size} bytes"
