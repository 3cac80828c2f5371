# Production server settings: `.venv/bin/gunicorn -c gunicorn.conf.py app:app`
#
# What they are chosen for: 2-core machines; a diagnosis is pure CPU and takes
# a few milliseconds; Slack gives up on an answer after 3 s; request bodies are
# capped at 64 KiB (256 KiB for Slack) by the app. Every number can be
# overridden by the environment variable named next to it.
import os
import multiprocessing

_cores = multiprocessing.cpu_count()

# Loopback unless told otherwise: a reverse proxy (TLS, the public name) sits
# in front in production and sets GUNICORN_BIND=0.0.0.0:8000.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# The work is CPU-bound Python, so the GIL makes processes, not threads, the
# unit of parallelism: one worker per core, plus one so that a core is not left
# idle while a worker is between requests (GC, reading a body, writing logs).
# More would only queue on the same two cores and add ~60 MB each.
workers = int(os.environ.get("GUNICORN_WORKERS", _cores + 1))

# gthread, not sync: a sync worker is held by one connection from accept to
# the last byte, so a few slow clients (or a slowloris dribbling a 64 KiB body)
# would stall every worker and Slack's 3 s would pass. With threads, a slow
# socket holds one thread while the others keep answering. Few threads: they
# add concurrency for waiting, not CPU, and more of them only contend for the
# GIL and stretch the tail latency of the CPU-bound requests.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))

# Connections one worker holds open (busy plus idle keep-alive) before it
# stops accepting, and the kernel's queue of not-yet-accepted ones: bounded,
# so an overload is refused quickly (a client can retry) rather than queued
# past Slack's 3 s. The load test's 64 connections fit with room to spare.
worker_connections = 256
backlog = 256

# A diagnosis takes milliseconds; a worker silent for 30 s is stuck, not busy,
# so it is killed and replaced. Graceful shutdown gets 20 s to finish what is
# in flight (answers are quick; Slack's response_url posts time out after 5 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20

# Short keep-alive: enough to reuse a connection for a page and its assets or
# a client's burst, short enough that idle sockets do not pin threads. Behind a
# load balancer, set it above the balancer's idle timeout instead.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))

# Header limits well under the defaults: the longest legitimate request line is
# the page's shareable link (at most 1,500 characters of masked text, URL-
# encoded); nothing needs more than a few dozen headers.
limit_request_line = 8190
limit_request_fields = 50
limit_request_field_size = 8190

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
# and write query strings. Errors go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "authdoctor"

# gunicorn 27's control socket lives at one path per user ($HOME/.gunicorn):
# a second server on the machine (a load run next to a dev server) would fight
# over it, and nothing here uses `gunicornc`.
control_socket_disable = True
