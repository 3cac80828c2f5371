"""WSGI entry point in a checkout: `flask --app app run` for development, `gunicorn -c gunicorn.conf.py app:app` in production."""
import gc

# Loading the app (Flask, the engine, the KB) makes about 50,000 objects that live as long as it
# does, and the cyclic collector would walk them a hundred times while they are made (a twentieth
# of a start, for a few hundred objects of garbage). It is paused meanwhile, and what loading made
# is frozen out of later collections: what a forking server wants too (gunicorn preloads the app),
# as the workers' collections then leave the pages they share with the master alone.
gc.disable()
try:
    from authdoctor.web.wsgi import app
finally:
    gc.freeze()
    gc.enable()

__all__ = ["app"]
