#!/usr/bin/env python3
"""BaSyx Python peer for `voltpass bench aas`.

Loads a standard AAS v3 JSON environment ({"assetAdministrationShells": [...], "submodels": [...],
"conceptDescriptions": [...]}) with basyx-python-sdk's JSON deserialiser into its in-memory
DictObjectStore and serves basyx.aas.adapter.http.WSGIApp (AAS + submodel repository API,
base path /api/v3.0) on HOST:PORT.

  python peer.py ENV_JSON --port PORT [--server gunicorn|waitress] [--workers 2] [--threads 4]

Prints exactly one line `ready` on stdout once the socket listens; everything else goes to stderr.
"""
import argparse
import gc
import os
import resource
import sys
import time


def log(msg: str) -> None:
    print(f"[basyx-peer pid={os.getpid()}] {msg}", file=sys.stderr, flush=True)


def rss_mib() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_app(env_path: str):
    from basyx.aas import model
    from basyx.aas.adapter import aasx
    from basyx.aas.adapter.http import WSGIApp
    from basyx.aas.adapter.json import read_aas_json_file

    t0 = time.monotonic()
    # The loaded graph is millions of long-lived objects with no garbage cycles: running the cyclic GC
    # while building it only rescans it again and again (loading 100k shells took ~2x longer with it on).
    gc.disable()
    # failsafe=False: a malformed environment must fail loudly, not load half the objects.
    store = read_aas_json_file(env_path, failsafe=False)
    n_aas = sum(1 for o in store if isinstance(o, model.AssetAdministrationShell))
    n_sm = sum(1 for o in store if isinstance(o, model.Submodel))
    log(f"loaded {env_path}: {n_aas} shells, {n_sm} submodels, {len(store)} identifiables "
        f"in {time.monotonic() - t0:.1f} s, RSS {rss_mib():.0f} MiB")
    app = WSGIApp(store, aasx.DictSupplementaryFileContainer())
    # Move the (large, effectively immutable) loaded object graph into the GC's permanent generation so
    # that collections in the workers neither scan it nor dirty its copy-on-write pages after the fork.
    gc.freeze()
    gc.enable()
    return app


def ready() -> None:
    sys.stdout.write("ready\n")
    sys.stdout.flush()


def serve_gunicorn(app, host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    class PeerApp(BaseApplication):
        def load_config(self):
            cfg = {
                "bind": f"{host}:{port}",
                "workers": workers,
                # gthread keeps HTTP/1.1 connections alive (the sync worker closes each one), which is
                # what wrk's 64 persistent connections expect.
                "worker_class": "gthread" if threads > 1 else "sync",
                "threads": threads,
                "keepalive": 75,
                "backlog": 2048,
                "timeout": 600,          # a lookup scan over 100k shells can take seconds
                "graceful_timeout": 5,
                "preload_app": True,     # load once in the master, fork (copy-on-write) into workers
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "when_ready": lambda _server: ready(),
            }
            for k, v in cfg.items():
                self.cfg.set(k, v)

        def load(self):
            return app

    PeerApp().run()


def serve_waitress(app, host: str, port: int, threads: int) -> None:
    from waitress.server import create_server

    server = create_server(app, host=host, port=port, threads=threads, backlog=2048,
                           connection_limit=1000, channel_timeout=600, ident="basyx-peer")
    ready()
    server.run()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("env_json", help="AAS v3 JSON environment file")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--server", choices=("gunicorn", "waitress"), default="gunicorn")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2 = cores)")
    ap.add_argument("--threads", type=int, default=4,
                    help="threads per gunicorn worker (gthread; 1 = sync worker) or waitress threads")
    a = ap.parse_args()

    app = load_app(a.env_json)
    if a.server == "gunicorn":
        serve_gunicorn(app, a.host, a.port, a.workers, a.threads)
    else:
        serve_waitress(app, a.host, a.port, a.threads)


if __name__ == "__main__":
    main()
