"""A watchdog that removes one-shot harness containers when their owner dies (Ryuk's job, no image needed).

    python -m harness.graph.docker_reaper LABEL VALUE

The docker backend starts it with a pipe on stdin before it creates the container. The pipe closes
when the owner exits for any reason, kill -9 included; then every container labelled LABEL=VALUE is
force-removed with its volumes. Started in its own session, so a Ctrl-C aimed at the owner does not
stop it early.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    label, value = argv
    sys.stdin.buffer.read()  # blocks until the owner's end of the pipe closes
    import docker

    client = docker.from_env(timeout=60)
    for container in client.containers.list(all=True, filters={"label": f"{label}={value}"}):
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
