#!/usr/bin/env python3
"""Build a local Neo4j image from Debian packages and Maven Central only (no image registry needed).

For machines whose Docker engine cannot pull `neo4j:<version>-community` (air-gapped CI runners):
1. base: a minimal Debian (debootstrap, needs root) with openjdk-17-jre-headless, `docker import`ed;
2. image: images/neo4j/ (entry point with the official image's NEO4J_AUTH / NEO4J_* contract) plus
   the org.neo4j:neo4j jars the jvm backend resolves with Maven into ~/.cache/oncograph-harness.

Both are tagged with a hash of their inputs and skipped when that tag exists, so a rerun takes
seconds. The image is also tagged LOCAL_IMAGE (printed on stdout); use it with
`HARNESS_NEO4J_IMAGE=oncograph-harness/neo4j:<version>-local harness db up --neo4j docker`.

    .venv/bin/python scripts/build_neo4j_image.py [--mirror URL]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import docker
from docker.errors import APIError, ImageNotFound

from harness.graph.jvm import ensure_runtime, runtime_dir
from harness.graph.version import LOCAL_IMAGE, NEO4J_VERSION

RECIPE = Path(__file__).resolve().parent.parent / "images" / "neo4j"
BASE_REPO = "oncograph-harness/debian-jre"
DEBIAN_SUITE = "bookworm"
BASE_PACKAGES = ("openjdk-17-jre-headless",)
IMAGE_REPO, _, _ = LOCAL_IMAGE.partition(":")


def say(message: str) -> None:
    print(f"build_neo4j_image: {message}", file=sys.stderr, flush=True)


def digest(parts: list[bytes]) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(hashlib.sha256(part).digest())
    return sha.hexdigest()[:16]


def file_digest(path: Path) -> bytes:
    sha = hashlib.sha256(path.name.encode() + b"\0")
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.digest()


def image_exists(client, tag: str) -> bool:
    try:
        client.images.get(tag)
        return True
    except ImageNotFound:
        return False


def build_base(client, mirror: str) -> str:
    """A Debian rootfs with a JRE 17, debootstrapped once and imported as an image."""
    tag = f"{BASE_REPO}:{DEBIAN_SUITE}-" + digest([DEBIAN_SUITE.encode(), " ".join(BASE_PACKAGES).encode()])
    if image_exists(client, tag):
        say(f"base image {tag} exists, skipped")
        return tag
    if os.geteuid() != 0 or not shutil.which("debootstrap"):
        sys.exit(
            "build_neo4j_image: the base image needs `debootstrap` run as root (apt-get install debootstrap); "
            "on a machine that can pull images, use the official image instead (the default)"
        )
    with tempfile.TemporaryDirectory(prefix="neo4j-base-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        say(f"debootstrap {DEBIAN_SUITE} with {', '.join(BASE_PACKAGES)} from {mirror} (a few minutes)")
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(BASE_PACKAGES)}",
                DEBIAN_SUITE,
                str(rootfs),
                mirror,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (rootfs / leftover).glob("*"):
                if path.is_file():
                    path.unlink()
        tarball = Path(tmp) / "rootfs.tar"
        subprocess.run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(tarball), "."], check=True)
        repository, _, version = tag.partition(":")
        client.api.import_image_from_file(str(tarball), repository=repository, tag=version)
    say(f"base image {tag} imported")
    return tag


def jar_files() -> list[Path]:
    ensure_runtime()  # the same Maven resolution as the jvm backend, cached
    return sorted((runtime_dir() / "lib").glob("*.jar"))


def build_image(client, base: str) -> str:
    jars = jar_files()
    recipe = sorted(p for p in RECIPE.iterdir() if p.is_file())
    inputs = [base.encode(), NEO4J_VERSION.encode()]
    inputs += [file_digest(path) for path in recipe + jars]
    tag = f"{IMAGE_REPO}:{NEO4J_VERSION}-" + digest(inputs)
    if image_exists(client, tag):
        say(f"image {tag} exists, skipped")
    else:
        with tempfile.TemporaryDirectory(prefix="neo4j-image-") as context:
            for path in recipe:
                shutil.copy2(path, Path(context) / path.name)
            (Path(context) / "lib").mkdir()
            for jar in jars:
                shutil.copy2(jar, Path(context) / "lib" / jar.name)
            say(f"building {tag} from {base} and {len(jars)} jars")
            client.images.build(
                path=context,
                tag=tag,
                buildargs={"BASE_IMAGE": base, "NEO4J_VERSION": NEO4J_VERSION},
                pull=False,
                rm=True,
                forcerm=True,
            )
    client.images.get(tag).tag(*LOCAL_IMAGE.split(":"))
    remove_stale_builds(client, keep=tag)
    return tag


def remove_stale_builds(client, keep: str) -> None:
    """Older content-hash builds of the image are replaced, not accumulated."""
    for image in client.images.list(name=IMAGE_REPO):
        if keep not in image.tags:
            for old in image.tags:
                try:
                    client.images.remove(old)
                except APIError as exc:  # still used by a container: left for a later build
                    say(f"kept {old}: {exc.explanation}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", default=os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian"))
    args = parser.parse_args()
    client = docker.from_env()
    try:
        client.ping()
    except Exception as exc:
        sys.exit(f"build_neo4j_image: no Docker engine answers ({exc})")
    tag = build_image(client, build_base(client, args.mirror))
    say(f"{LOCAL_IMAGE} is {tag}")
    print(LOCAL_IMAGE)


if __name__ == "__main__":
    main()
