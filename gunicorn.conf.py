# Production server settings: `.venv/bin/gunicorn -c gunicorn.conf.py app:app`
# (or `authdoctor serve`, which an installed package has too).
#
# The settings, each with its reason, live in the package
# (src/authdoctor/web/gunicorn_conf.py) so that a wheel carries them; this file
# runs that one, found without importing the package: gevent must patch the
# standard library before anything of the app is imported.
import importlib.util
import os

_spec = importlib.util.find_spec("authdoctor")
if _spec is None or not _spec.submodule_search_locations:
    raise RuntimeError("the authdoctor package is not installed in this Python (run scripts/setup)")
_path = os.path.join(list(_spec.submodule_search_locations)[0], "web", "gunicorn_conf.py")
with open(_path, encoding="utf-8") as _f:
    exec(compile(_f.read(), _path, "exec"))
