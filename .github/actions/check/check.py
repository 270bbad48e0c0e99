#!/usr/bin/env python3
"""The idp check action's logic, kept out of action.yml so a test can run it.

Steps, each driven by the environment GitHub Actions sets (GITHUB_*, RUNNER_TEMP) and by
the action's inputs (INPUT_*):

  install  downloads the released idp for this runner, refuses it unless its SHA-256 is
           the one pinned in idp.sha256 beside this file (or the `sha256` input), and
           puts it on PATH;
  run      puts the base branch's organisation idp.kdl in place, runs `idp check --base`
           (markdown verdict and SARIF), writes the verdict to the job summary and, on a
           pull request from this repository, into ONE pull-request comment found again
           by a hidden marker and updated on every push. A fork's token cannot comment:
           the summary alone then.

Python's standard library only: every GitHub-hosted runner has python3.
"""

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PINS = HERE / "idp.sha256"
MARKER = "<!-- idp-check: this comment is updated on each push -->"
# A released archive is about 30 MB; anything far larger is not one.
MAX_ARCHIVE = 512 * 1024 * 1024
# GitHub refuses comment bodies past 65,536 characters.
MAX_COMMENT = 60_000


def fail(message):
    print(f"::error::{message}", flush=True)
    sys.exit(1)


def env(name, default=None):
    value = os.environ.get(name, "")
    return value if value.strip() else default


def target():
    system, machine = platform.system(), platform.machine().lower()
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}.get(machine)
    os_part = {"Linux": "unknown-linux-gnu", "Darwin": "apple-darwin"}.get(system)
    if not arch or not os_part:
        fail(f"idp is released for Linux and macOS on x86_64 and arm64, not {system} {machine}")
    return f"{arch}-{os_part}"


def pinned(archive):
    """The pinned SHA-256 of an archive name, from the `sha256` input or idp.sha256."""
    explicit = env("INPUT_SHA256")
    if explicit:
        return explicit.strip().lower()
    for line in PINS.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#") and parts[1].lstrip("*") == archive:
            return parts[0].lower()
    fail(
        f"this action pins no checksum for {archive}: use a version idp.sha256 lists, "
        "or pass the release's SHA-256 (from its SHA256SUMS) as the `sha256` input"
    )


def download(url, dest):
    digest = hashlib.sha256()
    size = 0
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
            while chunk := response.read(1 << 20):
                size += len(chunk)
                if size > MAX_ARCHIVE:
                    fail(f"{url} is larger than {MAX_ARCHIVE} bytes: not an idp release")
                digest.update(chunk)
                out.write(chunk)
    except (urllib.error.URLError, OSError) as e:
        fail(f"cannot download {url}: {e}")
    return digest.hexdigest()


def install():
    version = env("INPUT_VERSION")
    if not version:
        fail("the `version` input is required (a release, such as 0.1.0)")
    version = version.removeprefix("v")
    name = f"idp-{version}-{target()}"
    archive = f"{name}.tar.gz"
    expected = pinned(archive)
    repository = env("INPUT_REPOSITORY") or env("GITHUB_ACTION_REPOSITORY")
    server = env("GITHUB_SERVER_URL", "https://github.com")
    base = env("IDP_RELEASES_URL") or f"{server}/{repository}/releases/download"
    if not env("IDP_RELEASES_URL") and not repository:
        fail("cannot tell which repository releases idp: set the `repository` input")
    work = Path(env("RUNNER_TEMP", tempfile.gettempdir())) / "idp-action"
    shutil.rmtree(work, ignore_errors=True)
    (work / "bin").mkdir(parents=True)
    got = download(f"{base}/v{version}/{archive}", work / archive)
    if got != expected:
        fail(f"{archive} has SHA-256 {got}, but {expected} is pinned: refusing to run it")
    member = f"{name}/idp"
    with tarfile.open(work / archive, "r:gz") as tar:
        try:
            info = tar.getmember(member)
        except KeyError:
            fail(f"{archive} holds no {member}")
        if not info.isfile():
            fail(f"{member} in {archive} is not a regular file")
        source = tar.extractfile(info)
        binary = work / "bin" / "idp"
        with open(binary, "wb") as out:
            shutil.copyfileobj(source, out)
    binary.chmod(0o755)
    (work / archive).unlink()
    with open(env("GITHUB_PATH", os.devnull), "a", encoding="utf-8") as path:
        path.write(f"{work / 'bin'}\n")
    print(f"installed idp {version} ({target()}, SHA-256 {got}) in {work / 'bin'}")


def event():
    path = env("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return {}
    return json.loads(Path(path).read_text(encoding="utf-8"))


def organisation_config(base, config):
    """The base branch's organisation idp.kdl replaces the head's: a pull request cannot
    loosen the policies it is judged by (nested idp.kdl files still add to it)."""
    theirs = base / config
    if not theirs.is_file():
        fail(f"the base branch has no {config}: the organisation's configuration must be committed there")
    ours = Path(config)
    if not ours.is_file() or ours.read_bytes() != theirs.read_bytes():
        print(f"::warning::{config} differs from the base branch's; using the base branch's")
    shutil.copyfile(theirs, ours)


def idp_check(idp, paths, base, fmt, output):
    args = [idp, "check", *paths, "--format", fmt, "--output", output]
    if base:
        args += ["--base", str(base)]
    fail_on = env("INPUT_FAIL_ON")
    if fail_on:
        args += ["--fail-on", fail_on]
    print("+ " + " ".join(args), flush=True)
    return subprocess.run(args).returncode


def api(method, url, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", "application/vnd.github+json")
    request.add_header("X-GitHub-Api-Version", "2022-11-28")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def upsert_comment(repository, number, token, body):
    """Updates the pull request's comment that carries the marker, or adds it."""
    root = env("GITHUB_API_URL", "https://api.github.com")
    existing = None
    for page in range(1, 21):
        url = f"{root}/repos/{repository}/issues/{number}/comments?per_page=100&page={page}"
        comments = api("GET", url, token) or []
        existing = next((c for c in comments if MARKER in (c.get("body") or "")), None)
        if existing or len(comments) < 100:
            break
    if existing:
        api("PATCH", f"{root}/repos/{repository}/issues/comments/{existing['id']}", token, {"body": body})
        print(f"updated the verdict comment {existing['id']}")
    else:
        api("POST", f"{root}/repos/{repository}/issues/{number}/comments", token, {"body": body})
        print("added the verdict comment")


def publish(verdict):
    with open(env("GITHUB_STEP_SUMMARY", os.devnull), "a", encoding="utf-8") as summary:
        summary.write(verdict + "\n")
    payload = event()
    pr = payload.get("pull_request")
    token = env("INPUT_TOKEN")
    if not pr or env("INPUT_COMMENT", "true") != "true" or not token:
        return
    repository = env("GITHUB_REPOSITORY")
    head = ((pr.get("head") or {}).get("repo") or {}).get("full_name")
    if head != repository:
        print(f"a pull request from {head or 'a deleted fork'}: its token cannot comment, so the verdict is in the job summary only")
        return
    if len(verdict) > MAX_COMMENT:
        verdict = verdict[:MAX_COMMENT] + "\n\n… cut here: the job summary has the whole verdict"
    try:
        upsert_comment(repository, pr["number"], token, f"{MARKER}\n{verdict}")
    except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
        print(f"::warning::cannot comment on the pull request ({e}); the verdict is in the job summary")


def run():
    idp = shutil.which("idp") or fail("idp is not on PATH: the install step did not run")
    paths = (env("INPUT_PATHS") or ".").split()
    config = env("INPUT_CONFIG", "idp.kdl")
    base = env("INPUT_BASE")
    base = Path(base) if base and Path(base).is_dir() else None
    if base:
        organisation_config(base, config)
    out = Path(env("RUNNER_TEMP", tempfile.gettempdir()))
    verdict_file, sarif = out / "idp-verdict.md", out / "idp.sarif"
    code = idp_check(idp, paths, base, "markdown", str(verdict_file))
    idp_check(idp, paths, base, "sarif", str(sarif))
    if code not in (0, 1) and not verdict_file.is_file():
        verdict_file.write_text(f"### idp check failed (exit code {code})\n\nThe job's log says why.\n")
    publish(verdict_file.read_text(encoding="utf-8") if verdict_file.is_file() else "")
    with open(env("GITHUB_OUTPUT", os.devnull), "a", encoding="utf-8") as output:
        output.write(f"exit-code={code}\n")
        if sarif.is_file():
            output.write(f"sarif={sarif}\n")


if __name__ == "__main__":
    {"install": install, "run": run}.get(sys.argv[1] if len(sys.argv) > 1 else "", lambda: fail("usage: check.py install|run"))()
