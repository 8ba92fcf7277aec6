"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from dotenv import load_dotenv

load_dotenv()

from app import create_app  # noqa: E402
from app.ops.production import refuse_demo_accounts  # noqa: E402

app = create_app()
refuse_demo_accounts(app)  # production only: the demo accounts' password is published
