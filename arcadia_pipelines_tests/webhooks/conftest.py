import pytest
from cryptography.fernet import Fernet

from .receiver import Receiver


@pytest.fixture(autouse=True)
def webhook_key(monkeypatch, tmp_path):
    """Secrets encrypted with a key of this test's own; DAGSTER_HOME a folder of its own too."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("ARCADIA_WEBHOOK_KEY", key)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    return key


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()
