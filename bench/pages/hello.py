"""The floor: a bare Flask app that answers "hello", served by the identical gunicorn command
as the real app, so the ratio page/floor leaves out what any Flask app under gunicorn costs."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
