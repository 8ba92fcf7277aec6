"""The floor for the checkout race: a bare Flask app whose POST /checkout answers a 303 at
once, served by the identical gunicorn command. Raced by the same 100 clients just before
each checkout race, it shows what this machine delivers at that moment."""

from flask import Flask, redirect

app = Flask(__name__)


@app.post("/checkout")
def checkout():
    return redirect("/cart", 303)


@app.get("/healthz")
def healthz():
    return "ok"
