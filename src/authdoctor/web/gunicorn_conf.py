# Production server settings: `authdoctor serve`, or in a checkout
# `.venv/bin/gunicorn -c gunicorn.conf.py app:app`. gunicorn reads this file by its
# path (it is not imported as part of the package), so nothing of the app is
# imported before gevent patches the standard library below.
#
# What they are chosen for: 2-core machines; a diagnosis is pure CPU and takes
# a few milliseconds; Slack gives up on an answer after 3 s; request bodies are
# capped at 64 KiB (256 KiB for Slack) by the app. Every number can be
# overridden by the AUTHDOCTOR_* variable named next to it (authdoctor/settings.py,
# the README's configuration table); a bad value stops the start, naming it.
import multiprocessing
import os
import sys
import time

from authdoctor import settings as _settings_module

try:
    _settings = _settings_module.load()
except _settings_module.SettingsError as _exc:
    # SystemExit, not an exception: gunicorn would print a traceback around the message
    print(f"authdoctor: {_exc}", file=sys.stderr)
    sys.exit(2)

_cores = multiprocessing.cpu_count()

# Loopback unless told otherwise: a reverse proxy (TLS, the public name) sits
# in front in production and sets AUTHDOCTOR_BIND=0.0.0.0:8000.
bind = _settings.bind

# The work is CPU-bound Python, so the GIL makes processes, not threads, the
# unit of parallelism: one worker per core, plus one so that a core is not left
# idle while a worker is between requests (GC, reading a body, writing logs).
# More would only queue on the same two cores and add ~60 MB each.
workers = _settings.workers or _cores + 1

# gevent, not gthread or sync: a sync worker is held by one connection from
# accept to the last byte, and a gthread worker gives each connection a thread
# while it reads the request line and headers, so a dozen clients sending a
# byte every few seconds (3 workers x 4 threads) stopped the server. Under
# gevent a waiting socket holds a greenlet (a few KiB), not a thread; 64 slow
# sockets leave normal requests answered in milliseconds (docs/performance.md,
# bench/slow_clients.py). The diagnosis is CPU-bound and never yields, so one
# worker still runs one diagnosis at a time: processes stay the parallelism.
# The class adds the two read deadlines below to gunicorn's gevent worker.
#
# The app is preloaded in the master (below), so gevent patches the standard
# library here, before the app is imported: objects the app makes at import
# (the Slack door's thread pool and its queue, locks) must be gevent's, or a
# greenlet blocking on a real queue would stop the whole worker.
# AUTHDOCTOR_WORKER_CLASS=gthread goes back to threads (use it, not `-k`, so that
# nothing is patched); `threads` applies to gthread only.
_worker_class = _settings.worker_class
threads = _settings.threads

# Read deadlines, per request, in seconds. Headers: from the wait for a
# request (the first, or the next on a kept-alive connection) to its last
# header line; so under gevent it is also the keep-alive idle time. Body: from
# the end of the headers to the body's last byte, whatever the pace (a byte
# every second would otherwise keep a 64 KiB body open for 18 hours). Past
# either the connection is closed (the body's with a 408 first). A reverse
# proxy that buffers bodies (nginx does by default) makes both moot for the
# clients behind it; they still bound the proxy's own connections.
_header_timeout = _settings.header_timeout or float(_settings.keepalive or 5)
_body_timeout = _settings.body_timeout

worker_class: object  # a class gunicorn runs, or the name of one of its own
if _worker_class == "gevent":
    from gevent import monkey

    monkey.patch_all()

    import gevent
    from gunicorn.workers.ggevent import GeventWorker
    from werkzeug.exceptions import RequestTimeout

    class _DeadlineSocket:
        """The request's socket as the body reader sees it: recv() fails past the deadline."""

        def __init__(self, sock, seconds):
            self.sock = sock
            self.deadline = time.monotonic() + seconds

        def recv(self, size):
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise RequestTimeout(f"the request body took more than {_body_timeout:g} s to arrive")
            with gevent.Timeout(left, False):
                return self.sock.recv(size)
            raise RequestTimeout(f"the request body took more than {_body_timeout:g} s to arrive")

        def __getattr__(self, name):
            return getattr(self.sock, name)

    class AuthDoctorWorker(GeventWorker):
        """gunicorn's gevent worker with a header and a body read deadline."""

        def timeout_ctx(self):
            # gunicorn wraps the read of each request line and headers in this
            return gevent.Timeout(_header_timeout, False)

        def handle_request(self, listener_name, req, sock, addr):
            # the body is read by the app through req.unreader: its socket gets the deadline;
            # a RequestTimeout there is a 408 from the app, then gunicorn closes the connection
            unreader = getattr(req, "unreader", None)
            real = getattr(unreader, "sock", None)
            if real is not None:
                unreader.sock = _DeadlineSocket(real, _body_timeout)
            try:
                return super().handle_request(listener_name, req, sock, addr)
            finally:
                if real is not None:
                    unreader.sock = real

    worker_class = AuthDoctorWorker

    def post_worker_init(worker):
        # gevent prints a failed greenlet's traceback straight to stderr, many plain lines;
        # as a log record it is one JSON line like every other (logs.py)
        import logging

        hub_log = logging.getLogger("authdoctor.gevent")

        def print_exception(context, t, v, tb):
            hub_log.error("a greenlet failed: %s", type(context).__name__ if context is not None else "the hub", exc_info=(t, v, tb))

        gevent.get_hub().print_exception = print_exception
else:
    worker_class = _worker_class

# Connections one worker holds open (busy plus idle keep-alive) before it
# stops accepting, and the kernel's queue of not-yet-accepted ones: bounded,
# so an overload is refused quickly (a client can retry) rather than queued
# past Slack's 3 s. The load test's 64 connections fit with room to spare, and
# so do 64 slow clients: each holds a slot for at most the read deadlines.
worker_connections = 256
backlog = 256

# A diagnosis takes milliseconds; a worker silent for 30 s is stuck, not busy,
# so it is killed and replaced. Graceful shutdown gets 20 s to finish what is
# in flight (answers are quick; Slack's response_url posts time out after 5 s).
timeout = _settings.timeout
graceful_timeout = 20

# Short keep-alive: enough to reuse a connection for a page and its assets or
# a client's burst, short enough that idle sockets do not hold connection
# slots. Behind a load balancer, set it above the balancer's idle timeout
# instead (under gevent the header deadline above follows it unless
# AUTHDOCTOR_HEADER_TIMEOUT is set).
keepalive = _settings.keepalive

# Header limits well under the defaults: the longest legitimate request line is
# the page's shareable link (at most 1,500 characters of masked text, URL-
# encoded); nothing needs more than a few dozen headers.
limit_request_line = 8190
limit_request_fields = 50
limit_request_field_size = 8190

# What is served when no app is named on the command line (`authdoctor serve`).
wsgi_app = "authdoctor.web.wsgi:app"

# Load the KB once in the master: a broken KB stops the start with its error
# instead of workers crash-looping, and the workers share its pages by fork.
preload_app = True

# No max_requests: memory is bounded by design (64 KiB bodies, a 256-entry
# Slack LRU), and recycling a worker would throw away that LRU, expiring the
# buttons of long Slack pastes early.
max_requests = 0

# The heartbeat file on tmpfs: a slow or full disk must not look like a hung worker.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# The app writes one JSON line per request itself (request id, route, status,
# latency, never the pasted text); gunicorn's own access log would duplicate it
# and write query strings. gunicorn's own lines go to stderr as JSON too, through
# the app's formatter (authdoctor/web/logs.py).
accesslog = None
errorlog = "-"


def _no_access_line():
    # gunicorn builds its access line (a dozen atoms and a log record) for every request whenever
    # a logging config is given, as below, even with its access logger sending it nowhere
    from gunicorn.glogging import Logger

    class QuietAccessLogger(Logger):
        """gunicorn's logger, less the access line the app already writes itself."""

        access_log_enabled = False

    return QuietAccessLogger


logger_class = _no_access_line()
loglevel = _settings.log_level
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "authdoctor.web.logs.Formatter"}},
    "filters": {"request_id": {"()": "authdoctor.web.logs.RequestIdFilter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"],
                            "stream": "ext://sys.stderr"}},
    "root": {"level": loglevel.upper(), "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}

# Metrics: every worker writes its counts to files in one folder, and /metrics
# adds them up (prometheus-client's multiprocess mode, authdoctor/web/metrics.py).
# Set before the app is imported (preload, below): the library picks its mode then.
# Files left by an earlier run would add their counts, so the folder starts empty.
import glob  # noqa: E402
import tempfile  # noqa: E402

_metrics_dir = _settings.metrics_dir or tempfile.mkdtemp(prefix="authdoctor-metrics-")
os.makedirs(_metrics_dir, exist_ok=True)
for _stale in glob.glob(os.path.join(_metrics_dir, "*.db")):
    os.remove(_stale)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def child_exit(server, worker):
    # a dead worker's live gauges go; its counters stay in the sum
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
proc_name = "authdoctor"

# gunicorn 27's control socket lives at one path per user ($HOME/.gunicorn):
# a second server on the machine (a load run next to a dev server) would fight
# over it, and nothing here uses `gunicornc`.
control_socket_disable = True


def when_ready(server):
    # in the master, after the app is loaded and before any worker is forked: what the doors import
    # on first use (Slack's SDK, Markdown, the feedback store's database layer) is imported once here
    # and shared by every worker, instead of each worker paying for it on its first such request
    if server.cfg.preload_app:
        from authdoctor.web import warm

        warm(server.app.wsgi())


def on_starting(server):
    # memory state is per worker: say so once, at start, where the operator looks
    n = server.cfg.workers
    if n > 1 and not _settings.redis_url:
        server.log.warning("%d workers and no AUTHDOCTOR_REDIS_URL: each worker counts rate limits and keeps Slack's long pastes "
                           "in its own memory, so a client gets up to %d times a limit and a button may find its paste expired; "
                           "set AUTHDOCTOR_REDIS_URL to share them", n, n)
