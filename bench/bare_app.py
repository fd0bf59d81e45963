"""The baseline for bench/ingest.py: a Flask endpoint that reads the body and answers 200, nothing else."""

from flask import Flask, request


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/webhooks")
    def receive() -> tuple[dict[str, str], int]:
        request.get_data()
        return {"status": "queued"}, 200

    return app
