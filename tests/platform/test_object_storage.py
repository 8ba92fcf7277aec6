"""Uploads in an S3-compatible bucket: a real S3 API server (moto's server mode, a process this
module starts on a free port), reached over HTTP by boto3 as a real bucket would be."""

from __future__ import annotations

import io
import re
import socket
import subprocess
import sys
import tarfile
import time
import uuid
from pathlib import Path

import pytest
import requests
from PIL import Image

from app import create_app
from app.platform.extensions import db
from app.platform.storage import IMMUTABLE, LocalStorage, S3Storage, copy_files, make_s3_client
from tests.booking.helpers import make_bookable_venue
from tests.conftest import Browser, IsolatedClient

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing", "S3_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(endpoint, timeout=5)
            break
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or slow to answer
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("moto_server did not start")
            time.sleep(0.1)
    yield endpoint
    server.terminate()
    server.wait(10)


@pytest.fixture
def bucket(s3_endpoint):
    name = f"cozywish-{uuid.uuid4().hex[:12]}"
    client = make_s3_client({**CREDENTIALS, "S3_ENDPOINT_URL": s3_endpoint})
    client.create_bucket(Bucket=name)
    return name


def s3_settings(endpoint: str, bucket: str, **more) -> dict:
    return {**CREDENTIALS, "STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": endpoint, "S3_BUCKET": bucket, **more}


@pytest.fixture
def make_s3_app(database_url, tmp_path):
    def make(endpoint: str, bucket: str, **more):
        return create_app(
            "testing",
            overrides={
                "SQLALCHEMY_DATABASE_URI": database_url,
                "UPLOAD_ROOT": str(tmp_path / "local-uploads"),
                **s3_settings(endpoint, bucket, **more),
            },
        )

    return make


def contents(storage) -> dict[str, bytes]:
    return {key: storage.open(key) for key in list(storage.keys())}


def webp_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 120, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_s3_backend_stores_reads_lists_and_signs(s3_endpoint, bucket):
    client = make_s3_client({**CREDENTIALS, "S3_ENDPOINT_URL": s3_endpoint})
    storage = S3Storage(client, bucket)
    assert storage.check() is None
    storage.save("venues/3/ab12.webp", b"RIFF-photo")

    assert storage.open("venues/3/ab12.webp") == b"RIFF-photo"
    assert storage.exists("venues/3/ab12.webp") and not storage.exists("venues/3/none.webp")
    assert list(storage.keys()) == ["venues/3/ab12.webp"]
    head = client.head_object(Bucket=bucket, Key="venues/3/ab12.webp")
    assert head["CacheControl"] == IMMUTABLE
    assert head["ContentType"] == "image/webp"

    signed = storage.url("venues/3/ab12.webp")
    assert "Signature=" in signed or "X-Amz-Signature=" in signed
    fetched = requests.get(signed, timeout=10)  # a browser following the link
    assert fetched.status_code == 200 and fetched.content == b"RIFF-photo"
    assert fetched.headers["Cache-Control"] == IMMUTABLE
    assert requests.get(signed.replace("ab12", "ab13"), timeout=10).status_code in {403, 404}

    with pytest.raises(FileNotFoundError):
        storage.open("venues/3/none.webp")
    with pytest.raises(ValueError, match="escapes"):
        storage.save("../escape.webp", b"x")
    storage.delete("venues/3/ab12.webp")
    assert list(storage.keys()) == []
    assert S3Storage(client, "no-such-bucket-here").check().startswith("cannot reach bucket")


def test_a_photo_uploaded_through_the_page_lands_in_the_bucket_and_pages_link_there(
    make_s3_app, s3_endpoint, bucket, provider
):
    app = make_s3_app(s3_endpoint, bucket)
    venue, _ = make_bookable_venue(provider)
    browser = Browser(IsolatedClient(app, app.response_class, use_cookies=True))
    browser.sign_in_as(provider)

    added = browser.post(
        "/provider/venue/images",
        {"photo": (io.BytesIO(webp_photo()), "room.png"), "alt_text": "The quiet room"},
        content_type="multipart/form-data",
    )
    assert added.status_code in {200, 302, 303}, added.get_data(as_text=True)[:500]
    keys = sorted(S3Storage(make_s3_client({**CREDENTIALS, "S3_ENDPOINT_URL": s3_endpoint}), bucket).keys())
    assert keys and all(key.startswith(f"venues/{venue.id}/") and key.endswith(".webp") for key in keys)
    assert not list((Path(app.config["UPLOAD_ROOT"])).rglob("*.webp"))  # nothing on this node's disk

    db.session.commit()  # a savepoint: the venue page reads the same transaction
    page = IsolatedClient(app, app.response_class).get(f"/venues/{venue.slug}")
    assert page.status_code == 200
    sources = re.findall(r'<img[^>]+src="([^"]+)"', page.get_data(as_text=True))
    in_bucket = [src.replace("&amp;", "&") for src in sources if src.startswith(f"{s3_endpoint}/{bucket}/venues/")]
    assert in_bucket, sources
    photo = requests.get(in_bucket[0], timeout=10)
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(photo.content)).format == "WEBP"
    assert s3_endpoint in page.headers["Content-Security-Policy"]  # img-src allows the bucket

    old_link = IsolatedClient(app, app.response_class).get(f"/media/{keys[0]}")
    assert old_link.status_code == 302 and old_link.location.startswith(f"{s3_endpoint}/{bucket}/")


def test_with_a_cdn_pages_link_to_the_cdn(make_s3_app, s3_endpoint, bucket, provider):
    app = make_s3_app(s3_endpoint, bucket, CDN_BASE_URL="https://cdn.example.com")
    with app.test_request_context():
        from app.platform.storage import media_url

        assert media_url("venues/3/ab12.webp") == "https://cdn.example.com/venues/3/ab12.webp"
    local = create_app(
        "testing",
        overrides={
            "CDN_BASE_URL": "https://cdn.example.com",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        },
    )
    with local.test_request_context():
        from app.platform.storage import media_url

        assert media_url("venues/3/ab12.webp") == "https://cdn.example.com/media/venues/3/ab12.webp"
    assert (
        "https://cdn.example.com" in IsolatedClient(app, app.response_class).get("/").headers["Content-Security-Policy"]
    )


@pytest.mark.committing  # writes nothing; the CLI must run in this app's context, not the test's
def test_storage_copy_copies_everything_once_and_can_run_again(make_s3_app, s3_endpoint, bucket, tmp_path):
    app = make_s3_app(s3_endpoint, bucket)
    local = LocalStorage(Path(app.config["UPLOAD_ROOT"]))
    files = {f"venues/{n}/{uuid.uuid4().hex}.webp": bytes([n]) * (1000 + n) for n in range(5)}
    files["avatars/1/face.webp"] = b""
    for key, data in files.items():
        local.save(key, data)
    runner = app.test_cli_runner()

    first = runner.invoke(args=["storage", "copy", "--from", "local", "--to", "s3"])
    assert first.exit_code == 0, first.output
    assert "6 copied, 0 already there." in first.output
    remote = S3Storage(make_s3_client({**CREDENTIALS, "S3_ENDPOINT_URL": s3_endpoint}), bucket)
    assert contents(remote) == files

    again = runner.invoke(args=["storage", "copy", "--from", "local", "--to", "s3"])
    assert "0 copied, 6 already there." in again.output

    changed = next(iter(files))
    remote.save(changed, b"x" * len(files[changed]))  # same size, other content: the ETag differs
    remote.delete("avatars/1/face.webp")
    third = runner.invoke(args=["storage", "copy", "--from", "local", "--to", "s3"])
    assert "2 copied, 4 already there." in third.output
    assert remote.open(changed) == files[changed]

    same = runner.invoke(args=["storage", "copy", "--from", "s3", "--to", "s3"])
    assert same.exit_code != 0 and "must differ" in same.output
    nowhere = create_app(
        "testing",
        overrides={"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "UPLOAD_ROOT": str(tmp_path)},
    )
    refused = nowhere.test_cli_runner().invoke(args=["storage", "copy", "--from", "local", "--to", "s3"])
    assert refused.exit_code != 0 and "needs S3_BUCKET" in refused.output


@pytest.mark.slow
@pytest.mark.committing  # pg_dump reads what is committed
def test_a_backup_holds_the_bucket_and_a_restore_puts_it_back(s3_endpoint, bucket, tmp_path):
    from flask_migrate import upgrade

    from app.ops.backup import create_backup, restore_backup
    from tests.database import create_fresh_database, drop_database, server_url

    base = server_url()
    name = f"cozywish_s3backup_{uuid.uuid4().hex[:8]}"
    url = create_fresh_database(base, name)
    try:
        app = create_app(
            "testing",
            overrides={"SQLALCHEMY_DATABASE_URI": url, **s3_settings(s3_endpoint, bucket)},
        )
        remote = S3Storage(make_s3_client({**CREDENTIALS, "S3_ENDPOINT_URL": s3_endpoint}), bucket)
        files = {"venues/1/a.webp": b"first photo", "avatars/2/b.webp": bytes(range(256)) * 10}
        for key, data in files.items():
            remote.save(key, data)
        archive = tmp_path / "backup.tar.gz"
        with app.app_context():
            upgrade()
            manifest = create_backup(archive)
        assert {"uploads/venues/1/a.webp", "uploads/avatars/2/b.webp"} <= set(manifest["files"])
        with tarfile.open(archive) as tar:
            assert tar.extractfile("uploads/venues/1/a.webp").read() == b"first photo"

        remote.delete("venues/1/a.webp")  # lost after the backup...
        remote.save("venues/1/stray.webp", b"made after the backup")  # ...and one made since
        with app.app_context():
            assert restore_backup(archive) == 2
            db.session.remove()
            db.engine.dispose()
        assert contents(remote) == files
    finally:
        drop_database(base, name)


def test_local_to_local_copy_helper_skips_equal_files(tmp_path):
    source, target = LocalStorage(tmp_path / "a"), LocalStorage(tmp_path / "b")
    source.save("x/1.webp", b"one")
    source.save("x/2.webp", b"two")
    target.save("x/1.webp", b"one")
    assert copy_files(source, target) == (1, 1)
    assert sorted(target.keys()) == ["x/1.webp", "x/2.webp"]


@pytest.mark.committing  # writes nothing; the CLI must run in this app's context, not the test's
def test_diagnose_checks_the_bucket(make_s3_app, s3_endpoint, bucket):
    ready = make_s3_app(s3_endpoint, bucket).test_cli_runner().invoke(args=["diagnose"])
    assert f"writable (bucket {bucket})" in ready.output

    missing = make_s3_app(s3_endpoint, "no-such-bucket-here").test_cli_runner().invoke(args=["diagnose"])
    assert "cannot reach bucket no-such-bucket-here" in missing.output
    assert "Check S3_BUCKET, S3_ENDPOINT_URL and the keys." in missing.output


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be local or s3, not 'ftp'."),
        ({"STORAGE_BACKEND": "s3", "S3_BUCKET": None}, "STORAGE_BACKEND=s3 needs S3_BUCKET."),
    ],
)
def test_a_wrong_storage_setting_stops_the_app_at_start_with_a_clear_message(database_url, settings, message):
    with pytest.raises(RuntimeError) as refused:
        create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": database_url, **settings})
    assert str(refused.value) == message
