"""The WSGI app gunicorn serves (`authdoctor serve`, or `gunicorn authdoctor.web.wsgi:app`)."""
from . import create_app

app = create_app()
